/**
 * records() and restore(): everything a store holds comes out as logical
 * records and goes into an empty store unchanged (identity, peer book,
 * joined rooms, history in order, outbox, held requests); a store with
 * data, or a record that is not valid, is refused.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createStore } from '../../src/store/index.ts'
import { fixture, message, PEER_A, PEER_B, PEER_C, room } from './helpers.ts'
import type { Fixture } from './helpers.ts'
import type { Store, StoreRecord } from '../../src/store/index.ts'

async function open (fx: Fixture, dataDir = fx.dataDir): Promise<Store> {
  const store = fx.track(createStore({ dataDir }))
  await store.open()
  return store
}

async function all (store: Store): Promise<StoreRecord[]> {
  const records: StoreRecord[] = []
  for await (const record of store.records()) {
    records.push(record)
  }
  return records
}

/** The records with the conversations in peer order (their order in the history is by keyed hash, different per store) */
function normalised (records: StoreRecord[]): StoreRecord[] {
  const messages = records.filter(r => r.type === 'message')
  const peers = [...new Set(messages.map(r => r.message.peer))].sort()
  return [...records.filter(r => r.type !== 'message'), ...peers.flatMap(peer => messages.filter(r => r.message.peer === peer))]
}

async function * from (records: StoreRecord[]): AsyncGenerator<StoreRecord> {
  yield * records
}

void describe('store backup records', () => {
  void it('restores identity, peers, rooms, history, outbox and requests into an empty store', async t => {
    const fx = await fixture(t)
    const source = await open(fx)
    await source.putIdentity(new Uint8Array([8, 1, 18, 64, ...new Array<number>(64).fill(7)]))
    await source.putPeer({ peerId: PEER_A, name: 'alice', relation: 'contact', petname: 'Al', verified: true, addrs: ['/ip4/10.0.0.1/tcp/1'], seen: 5 })
    await source.putPeer({ peerId: PEER_A, seen: 9 })
    await source.putPeer({ peerId: PEER_C, name: 'stranger', seen: 7 })
    const rooms = [room({ name: 'keyed', key: 'secret', members: [{ peerId: PEER_B, provenAt: 3 }, { peerId: PEER_A, provenAt: 4 }] }), room({ name: 'open' })]
    for (const r of rooms) {
      await source.putRoom(r)
    }
    const history = [
      message(PEER_A, { text: 'a0' }),
      message(PEER_A, { direction: 'out', status: 'delivered', text: 'a1' }),
      message(PEER_B, { direction: 'out', status: 'pending', text: 'b0' }),
      message(PEER_A, { direction: 'out', status: 'sent', text: 'a2' })
    ]
    for (const m of history) {
      await source.append(m)
    }
    const held = message(PEER_C, { text: 'c0' })
    await source.append(held, { request: true })
    const records = await all(source)

    assert.equal(records[0]?.type, 'identity')
    assert.deepEqual(records.filter(r => r.type === 'peer').map(r => r.type === 'peer' && [r.peer.peerId, r.peer.firstSeen, r.peer.lastSeen]), [[PEER_A, 5, 9], [PEER_C, 7, 7]])
    // the rooms after the peers and before the messages, by id, each as rooms() gives it
    assert.deepEqual(records.map(r => r.type).join(), 'identity,peer,peer,room,room,message,message,message,message,message')
    assert.deepEqual(records.flatMap(r => r.type === 'room' ? [r.room] : []), await source.rooms())

    const target = await open(fx, `${fx.dataDir}-restored`)
    const summary = await target.restore(from(records))
    assert.deepEqual(summary, { identity: true, peers: 2, rooms: 2, messages: 5 })
    assert.deepEqual(normalised(await all(target)), normalised(records))
    assert.deepEqual(await target.getIdentity(), await source.getIdentity())
    assert.deepEqual(await target.history(PEER_A), history.filter(m => m.peer === PEER_A))
    assert.deepEqual((await target.pending(PEER_A)).map(m => m.text), ['a2'])
    assert.deepEqual((await target.pending(PEER_B)).map(m => m.text), ['b0'])
    assert.equal(target.outboxSize(), 2)
    assert.deepEqual(target.requests().map(r => [r.peer, r.messages]), [[PEER_C, 1]])
    assert.deepEqual(await target.getPeer(PEER_A), await source.getPeer(PEER_A))
    assert.deepEqual(await target.rooms(), await source.rooms())
    // what restore() wrote is durable and stays after a reopen; appends go on after it
    await target.close()
    const reopened = await open(fx, `${fx.dataDir}-restored`)
    assert.equal((await reopened.rooms()).length, 2)
    const later = message(PEER_A, { text: 'a3' })
    await reopened.append(later)
    assert.deepEqual((await reopened.history(PEER_A)).map(m => m.text), ['a0', 'a1', 'a2', 'a3'])
    assert.equal(await reopened.append(history[0]!), false, 'the index came along: no duplicates')
  })

  void it('refuses a store that holds data, and invalid records, with typed errors', async t => {
    const fx = await fixture(t)
    const full = await open(fx)
    await full.append(message(PEER_A))
    await assert.rejects(full.restore(from([])), { name: 'StoreNotEmptyError' })
    assert.equal((await full.history(PEER_A)).length, 1)

    const bad: unknown[] = [
      { type: 'message', message: { ...message(PEER_A), text: 5 }, request: false },
      { type: 'message', message: { ...message(PEER_A), extra: 1 }, request: false },
      { type: 'peer', peer: { peerId: 'a b', addrs: [], firstSeen: 1, lastSeen: 1 } },
      { type: 'peer', peer: { peerId: PEER_A, addrs: [], firstSeen: 2, lastSeen: 1 } },
      { type: 'identity', key: 'not bytes' },
      { type: 'room', room: { ...room(), id: 'not hex' } },
      { type: 'room', room: { ...room(), key: '' } },
      { type: 'room', room: { ...room(), proofKey: new Uint8Array(16) } },
      { type: 'room', room: { ...room(), members: [{ peerId: PEER_A, provenAt: 1 }, { peerId: PEER_A, provenAt: 1 }] } },
      { type: 'other' }
    ]
    const peer = { type: 'peer', peer: { peerId: PEER_A, addrs: [], firstSeen: 1, lastSeen: 1 } }
    const identity = { type: 'identity', key: new Uint8Array([1]) }
    const joined = { type: 'room', room: room() }
    for (const [i, records] of [...bad.map(r => [r]), [peer, peer], [identity, identity], [joined, joined]].entries()) {
      const empty = await open(fx, `${fx.dataDir}-${i}`)
      await assert.rejects(empty.restore(from(records as StoreRecord[])), TypeError)
    }

    // past the store's bounds: RoomLimitError, as putRoom() says it
    const crowded = { type: 'room', room: room({ members: Array.from({ length: 257 }, (_, i) => ({ peerId: `${PEER_A}${i}`, provenAt: i })) }) }
    const many = Array.from({ length: 65 }, () => ({ type: 'room', room: room() }))
    for (const [i, records] of [[crowded], many].entries()) {
      const empty = await open(fx, `${fx.dataDir}-limit-${i}`)
      await assert.rejects(empty.restore(from(records as StoreRecord[])), { name: 'RoomLimitError' })
    }
    // a store holding only a room is not empty
    const roomOnly = await open(fx, `${fx.dataDir}-room-only`)
    await roomOnly.putRoom(room())
    await assert.rejects(roomOnly.restore(from([])), { name: 'StoreNotEmptyError' })
  })
})
