/**
 * Behaviour every Store must have, whatever its backend. `storeConformance`
 * defines the suite; each backend's test file calls it with a factory. The
 * factory gets a data dir (and optionally a frozen clock) and returns a new,
 * unopened store; calling it twice on one dir is how restarts are tested.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { fixture, message, PEER_A, PEER_B, PEER_C, room } from './helpers.ts'
import type { Fixture } from './helpers.ts'
import type { Store, StoredMember, StoredRoom } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'
import type { TestContext } from 'node:test'

export interface StoreFactoryInit {
  dataDir: string
  now?: () => number
  maxOutboxPerPeer?: number
  maxOutboxTotal?: number
}

export type StoreFactory = (init: StoreFactoryInit) => Store

export interface ConformanceOptions {
  /** called with each test's data dir (not yet created) before the first store of the test opens it */
  prepare?: (dataDir: string) => Promise<void>
}

export function storeConformance (name: string, factory: StoreFactory, options: ConformanceOptions = {}): void {
  async function prepared (t: TestContext): Promise<Fixture> {
    const fx = await fixture(t)
    await options.prepare?.(fx.dataDir)
    return fx
  }

  async function setup (t: TestContext, now?: () => number): Promise<{ fx: Fixture, store: Store, reopen: (now?: () => number) => Promise<Store> }> {
    const fx = await prepared(t)
    let current = fx.track(factory({ dataDir: fx.dataDir, now }))
    await current.open()
    return {
      fx,
      store: current,
      async reopen (nextNow = now) {
        await current.close()
        current = fx.track(factory({ dataDir: fx.dataDir, now: nextNow }))
        await current.open()
        return current
      }
    }
  }

  const ids = (messages: ChatMessage[]): string[] => messages.map(m => m.id)

  void describe(`store conformance: ${name}`, () => {
    void it('reports its status and refuses work when not open', async t => {
      const fx = await prepared(t)
      const store = fx.track(factory({ dataDir: fx.dataDir }))
      assert.equal(store.status, 'closed')
      await assert.rejects(store.history(PEER_A), { name: 'StoreNotOpenError' })
      await assert.rejects(store.append(message(PEER_A)), { name: 'StoreNotOpenError' })
      await assert.rejects(store.rooms(), { name: 'StoreNotOpenError' })
      await assert.rejects(store.putRoom(room()), { name: 'StoreNotOpenError' })
      await assert.rejects(store.deleteRoom(room().id), { name: 'StoreNotOpenError' })

      const opening = store.open()
      assert.equal(store.status, 'opening')
      await Promise.all([opening, store.open()])
      assert.equal(store.status, 'open')
      await store.open()

      const closing = store.close()
      assert.equal(store.status, 'closing')
      await Promise.all([closing, store.close()])
      assert.equal(store.status, 'closed')
      await store.close()
      await assert.rejects(store.get(PEER_A, 'x'), { name: 'StoreNotOpenError' })

      await store.open()
      assert.equal(store.status, 'open')
    })

    void it('round-trips a message and answers has/get for unknown ones', async t => {
      const { store } = await setup(t)
      const m = message(PEER_A, { text: 'héllo 👋', name: 'ålice' })
      assert.equal(await store.has(PEER_A, m.id), false)
      assert.equal(await store.get(PEER_A, m.id), undefined)
      assert.equal(await store.append(m), true)
      assert.equal(await store.has(PEER_A, m.id), true)
      assert.deepEqual(await store.get(PEER_A, m.id), m)
      assert.equal(await store.has(PEER_B, m.id), false)
      assert.deepEqual(await store.history(PEER_B), [])
    })

    void it('keeps append order for many appends in the same millisecond', async t => {
      const { store, reopen } = await setup(t, () => 1_700_000_000_000)
      const sent: ChatMessage[] = []
      for (let i = 0; i < 300; i++) {
        const m = message(PEER_A, { text: `m${i}`, direction: i % 3 === 0 ? 'out' : 'in' })
        sent.push(m)
        assert.equal(await store.append(m), true)
      }
      assert.deepEqual(ids(await store.history(PEER_A, { limit: 1000 })), ids(sent))
      const again = await reopen()
      assert.deepEqual(ids(await again.history(PEER_A, { limit: 1000 })), ids(sent))
    })

    void it('keeps append order when the clock steps back, also across restarts', async t => {
      let now = 2_000_000_000_000
      const { store, reopen } = await setup(t, () => now)
      const sent: ChatMessage[] = []
      for (let i = 0; i < 20; i++) {
        now -= 1000
        const m = message(PEER_A, { text: `m${i}` })
        sent.push(m)
        await store.append(m)
      }
      now = 1_000
      const again = await reopen()
      for (let i = 0; i < 5; i++) {
        const m = message(PEER_A)
        sent.push(m)
        await again.append(m)
      }
      assert.deepEqual(ids(await again.history(PEER_A, { limit: 100 })), ids(sent))
    })

    void it('serialises concurrent appends in call order', async t => {
      const { store } = await setup(t)
      const sent = Array.from({ length: 50 }, (_, i) => message(PEER_A, { text: `c${i}` }))
      const results = await Promise.all(sent.map(async m => store.append(m)))
      assert.ok(results.every(Boolean))
      assert.deepEqual(ids(await store.history(PEER_A, { limit: 100 })), ids(sent))
    })

    void it('returns the last N messages, oldest first', async t => {
      const { store } = await setup(t)
      const sent: ChatMessage[] = []
      for (let i = 0; i < 120; i++) {
        const m = message(PEER_A, { text: `n${i}` })
        sent.push(m)
        await store.append(m)
      }
      assert.deepEqual(ids(await store.history(PEER_A)), ids(sent.slice(-50)))
      assert.deepEqual(ids(await store.history(PEER_A, { limit: 7 })), ids(sent.slice(-7)))
      assert.deepEqual(ids(await store.history(PEER_A, { limit: 1 })), ids(sent.slice(-1)))
      assert.deepEqual(await store.history(PEER_A, { limit: 0 }), [])
      assert.deepEqual(ids(await store.history(PEER_A, { limit: 500 })), ids(sent))
      await assert.rejects(store.history(PEER_A, { limit: -1 }), TypeError)
      await assert.rejects(store.history(PEER_A, { limit: 1.5 }), TypeError)
    })

    void it('interleaves both directions and keeps conversations apart', async t => {
      const { store } = await setup(t)
      const byPeer = new Map<string, ChatMessage[]>([[PEER_A, []], [PEER_B, []], [PEER_C, []]])
      const peers = [PEER_A, PEER_B, PEER_C]
      for (let i = 0; i < 60; i++) {
        const peer = peers[i % 3] as string
        const m = message(peer, { direction: i % 2 === 0 ? 'in' : 'out', text: `${peer}-${i}` })
        byPeer.get(peer)?.push(m)
        await store.append(m)
      }
      for (const peer of peers) {
        const history = await store.history(peer, { limit: 100 })
        assert.deepEqual(history, byPeer.get(peer))
        assert.ok(history.some(m => m.direction === 'in') && history.some(m => m.direction === 'out'))
      }
    })

    void it('deduplicates per (peer, id), also after a restart', async t => {
      const { store, reopen } = await setup(t)
      const m = message(PEER_A, { text: 'original' })
      assert.equal(await store.append(m), true)
      assert.equal(await store.append(m), false)
      assert.equal(await store.append({ ...m, text: 'replayed' }), false)
      assert.deepEqual(await store.history(PEER_A), [m])

      // same id in another conversation is another message
      const other = { ...m, peer: PEER_B, from: PEER_B }
      assert.equal(await store.append(other), true)

      const again = await reopen()
      assert.equal(await again.append({ ...m, text: 'after restart' }), false)
      assert.deepEqual(await again.history(PEER_A), [m])
      assert.deepEqual(await again.history(PEER_B), [other])
    })

    void it('stores exactly one of concurrent appends of the same id', async t => {
      const { store } = await setup(t)
      const m = message(PEER_A)
      const results = await Promise.all(Array.from({ length: 10 }, async (_, i) => store.append({ ...m, text: `try ${i}` })))
      assert.equal(results.filter(Boolean).length, 1)
      assert.equal(results[0], true)
      assert.deepEqual(ids(await store.history(PEER_A)), [m.id])
    })

    void it('persists history, peers and identity across close and reopen', async t => {
      const { store, reopen } = await setup(t)
      const sent = [message(PEER_A), message(PEER_A, { direction: 'out' }), message(PEER_B)]
      for (const m of sent) {
        await store.append(m)
      }
      const peer = await store.putPeer({ peerId: PEER_A, name: 'alice', addrs: ['/ip4/10.0.0.1/tcp/4001'], seen: 1000 })
      const identity = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
      await store.putIdentity(identity)

      const again = await reopen()
      assert.deepEqual(await again.history(PEER_A), sent.slice(0, 2))
      assert.deepEqual(await again.history(PEER_B), sent.slice(2))
      assert.deepEqual(await again.getPeer(PEER_A), peer)
      assert.deepEqual(await again.getIdentity(), identity)
      const later = message(PEER_A)
      await again.append(later)
      assert.deepEqual(ids(await again.history(PEER_A)), [...ids(sent.slice(0, 2)), later.id])
    })

    void it('only moves status forward', async t => {
      const { store, reopen } = await setup(t)
      const out = message(PEER_A, { direction: 'out', status: 'pending' })
      const incoming = message(PEER_A)
      await store.append(out)
      await store.append(incoming)

      await store.setStatus(PEER_A, out.id, 'sent')
      assert.equal((await store.get(PEER_A, out.id))?.status, 'sent')
      await store.setStatus(PEER_A, out.id, 'pending')
      assert.equal((await store.get(PEER_A, out.id))?.status, 'sent')
      await store.setStatus(PEER_A, out.id, 'delivered')
      await store.setStatus(PEER_A, out.id, 'sent')
      await store.setStatus(PEER_A, out.id, 'pending')
      assert.equal((await store.get(PEER_A, out.id))?.status, 'delivered')

      // pending -> delivered directly is forward too
      const other = message(PEER_A, { direction: 'out' })
      await store.append(other)
      await store.setStatus(PEER_A, other.id, 'delivered')
      assert.equal((await store.get(PEER_A, other.id))?.status, 'delivered')

      // incoming and unknown messages: no-op
      await store.setStatus(PEER_A, incoming.id, 'delivered')
      assert.deepEqual(await store.get(PEER_A, incoming.id), incoming)
      await store.setStatus(PEER_A, 'f'.repeat(32), 'delivered')
      assert.equal(await store.has(PEER_A, 'f'.repeat(32)), false)
      // @ts-expect-error not a status
      await assert.rejects(store.setStatus(PEER_A, out.id, 'seen'), TypeError)
      // read is past delivered
      const seen = message(PEER_B, { direction: 'out', status: 'delivered' })
      await store.append(seen)
      assert.deepEqual(await store.setStatus(PEER_B, seen.id, 'read'), { previous: 'delivered' })
      assert.equal(await store.setStatus(PEER_B, seen.id, 'delivered'), undefined)
      assert.equal((await store.get(PEER_B, seen.id))?.status, 'read')

      // status changes keep the message in place
      assert.deepEqual(ids(await store.history(PEER_A)), [out.id, incoming.id, other.id])
      const again = await reopen()
      assert.equal((await again.get(PEER_A, out.id))?.status, 'delivered')
      assert.deepEqual(ids(await again.history(PEER_A)), [out.id, incoming.id, other.id])
    })

    void it('keeps undelivered outgoing messages in the outbox, in order, across restarts', async t => {
      const { store, reopen } = await setup(t)
      const outA = [0, 1, 2, 3].map(i => message(PEER_A, { direction: 'out', status: 'pending', text: `a${i}` }))
      const outB = message(PEER_B, { direction: 'out', status: 'pending' })
      await store.append(outA[0] as ChatMessage)
      await store.append(message(PEER_A))
      for (const m of outA.slice(1)) await store.append(m)
      await store.append(outB)
      await store.append(message(PEER_A, { direction: 'out', status: 'delivered' }))

      assert.deepEqual(ids(await store.pending(PEER_A)), ids(outA))
      assert.deepEqual(ids(await store.pending(PEER_A, { limit: 2 })), ids(outA.slice(0, 2)))
      assert.deepEqual((await store.pendingPeers()).sort(), [PEER_A, PEER_B].sort())
      assert.equal(store.outboxSize(PEER_A), 4)
      assert.equal(store.outboxSize(), 5)

      // sent keeps it queued; delivered takes it out, once
      assert.deepEqual(await store.setStatus(PEER_A, outA[0]?.id ?? '', 'sent', { sync: false }), { previous: 'pending' })
      assert.deepEqual(ids(await store.pending(PEER_A)), ids(outA))
      assert.deepEqual(await store.setStatus(PEER_A, outA[1]?.id ?? '', 'delivered'), { previous: 'pending' })
      assert.equal(await store.setStatus(PEER_A, outA[1]?.id ?? '', 'delivered'), undefined)
      assert.deepEqual(ids(await store.pending(PEER_A)), ids([outA[0], outA[2], outA[3]] as ChatMessage[]))
      assert.equal(store.outboxSize(PEER_A), 3)

      const again = await reopen()
      assert.deepEqual(ids(await again.pending(PEER_A)), ids([outA[0], outA[2], outA[3]] as ChatMessage[]))
      assert.equal((await again.pending(PEER_A))[0]?.status, 'sent')
      assert.equal(again.outboxSize(), 4)
      for (const m of [outA[0], outA[2], outA[3], outB] as ChatMessage[]) await again.setStatus(m.peer, m.id, 'delivered')
      assert.deepEqual(await again.pending(PEER_A), [])
      assert.deepEqual(await again.pendingPeers(), [])
      assert.equal(again.outboxSize(), 0)
    })

    void it('refuses new outgoing messages when the outbox is full, and drops nothing', async t => {
      const fx = await prepared(t)
      const store = fx.track(factory({ dataDir: fx.dataDir, maxOutboxPerPeer: 3, maxOutboxTotal: 4 }))
      await store.open()
      const queued = [0, 1, 2].map(() => message(PEER_A, { direction: 'out', status: 'pending' }))
      for (const m of queued) assert.equal(await store.append(m), true)
      const refused = message(PEER_A, { direction: 'out', status: 'pending' })
      await assert.rejects(store.append(refused), { name: 'OutboxFullError' })
      assert.equal(await store.has(PEER_A, refused.id), false)
      // incoming messages are not limited by the outbox
      assert.equal(await store.append(message(PEER_A)), true)
      // the total bound
      assert.equal(await store.append(message(PEER_B, { direction: 'out', status: 'pending' })), true)
      await assert.rejects(store.append(message(PEER_B, { direction: 'out', status: 'pending' })), { name: 'OutboxFullError' })
      assert.deepEqual(ids(await store.pending(PEER_A)), ids(queued))
      // delivery frees a slot
      await store.setStatus(PEER_A, queued[0]?.id ?? '', 'delivered')
      assert.equal(await store.append(refused), true)
    })

    void it('upserts peers: firstSeen kept, lastSeen the max, name and addrs replaced when given', async t => {
      const { store, reopen } = await setup(t, () => 5000)
      assert.equal(await store.getPeer(PEER_A), undefined)
      assert.deepEqual(await store.putPeer({ peerId: PEER_A, name: 'alice', addrs: ['/ip4/1.2.3.4/tcp/1'], seen: 1000 }),
        { peerId: PEER_A, name: 'alice', addrs: ['/ip4/1.2.3.4/tcp/1'], firstSeen: 1000, lastSeen: 1000 })
      assert.deepEqual(await store.putPeer({ peerId: PEER_A, seen: 500 }),
        { peerId: PEER_A, name: 'alice', addrs: ['/ip4/1.2.3.4/tcp/1'], firstSeen: 1000, lastSeen: 1000 })
      assert.deepEqual(await store.putPeer({ peerId: PEER_A, addrs: ['/ip4/5.6.7.8/tcp/2'], seen: 2000 }),
        { peerId: PEER_A, name: 'alice', addrs: ['/ip4/5.6.7.8/tcp/2'], firstSeen: 1000, lastSeen: 2000 })
      assert.deepEqual(await store.putPeer({ peerId: PEER_A, name: 'alice2', addrs: [] }),
        { peerId: PEER_A, name: 'alice2', addrs: [], firstSeen: 1000, lastSeen: 5000 })
      await store.putPeer({ peerId: PEER_B, seen: 3000 })

      const again = await reopen()
      assert.deepEqual(await again.getPeer(PEER_A), { peerId: PEER_A, name: 'alice2', addrs: [], firstSeen: 1000, lastSeen: 5000 })
      assert.deepEqual((await again.peers()).map(p => p.peerId), [PEER_A, PEER_B].sort())
      assert.deepEqual(await again.getPeer(PEER_B), { peerId: PEER_B, addrs: [], firstSeen: 3000, lastSeen: 3000 })
    })

    void it('round-trips the identity key', async t => {
      const { store } = await setup(t)
      assert.equal(await store.getIdentity(), undefined)
      const first = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
      await store.putIdentity(first)
      assert.deepEqual(await store.getIdentity(), first)
      const second = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
      await store.putIdentity(second)
      assert.deepEqual(await store.getIdentity(), second)
      await assert.rejects(store.putIdentity(new Uint8Array(0)), TypeError)
    })

    void it('throws TypeError for bad arguments', async t => {
      const { store } = await setup(t)
      await assert.rejects(store.history(''), TypeError)
      await assert.rejects(store.history('a!b'), TypeError)
      await assert.rejects(store.has(PEER_A, 'has space'), TypeError)
      await assert.rejects(store.append({ ...message(PEER_A), id: '' }), TypeError)
      await assert.rejects(store.append({ ...message(PEER_A), ts: Number.NaN }), TypeError)
      await assert.rejects(store.append({ ...message(PEER_A), status: 'sent' }), TypeError)
      // @ts-expect-error not a direction
      await assert.rejects(store.append({ ...message(PEER_A), direction: 'sideways' }), TypeError)
      // @ts-expect-error missing text
      await assert.rejects(store.append({ ...message(PEER_A), text: undefined }), TypeError)
      // @ts-expect-error addrs must be strings
      await assert.rejects(store.putPeer({ peerId: PEER_A, addrs: [1] }), TypeError)
      await assert.rejects(store.putPeer({ peerId: PEER_A, seen: Infinity }), TypeError)
    })

    void it('rejects every operation with an aborted signal', async t => {
      const { store } = await setup(t)
      const signal = AbortSignal.abort()
      const m = message(PEER_A)
      await assert.rejects(store.append(m, { signal }), { name: 'AbortError' })
      assert.equal(await store.has(PEER_A, m.id), false)
      await assert.rejects(store.has(PEER_A, m.id, { signal }), { name: 'AbortError' })
      await assert.rejects(store.get(PEER_A, m.id, { signal }), { name: 'AbortError' })
      await assert.rejects(store.setStatus(PEER_A, m.id, 'sent', { signal }), { name: 'AbortError' })
      await assert.rejects(store.history(PEER_A, { signal }), { name: 'AbortError' })
      await assert.rejects(store.getPeer(PEER_A, { signal }), { name: 'AbortError' })
      await assert.rejects(store.putPeer({ peerId: PEER_A }, { signal }), { name: 'AbortError' })
      await assert.rejects(store.peers({ signal }), { name: 'AbortError' })
      await assert.rejects(store.getIdentity({ signal }), { name: 'AbortError' })
      await assert.rejects(store.putIdentity(new Uint8Array([1]), { signal }), { name: 'AbortError' })
      const joined = room()
      await assert.rejects(store.putRoom(joined, { signal }), { name: 'AbortError' })
      assert.deepEqual(await store.rooms(), [])
      await assert.rejects(store.rooms({ signal }), { name: 'AbortError' })
      await assert.rejects(store.deleteRoom(joined.id, { signal }), { name: 'AbortError' })
      await store.close()
      await assert.rejects(store.open({ signal }), { name: 'AbortError' })
      assert.equal(store.status, 'closed')
    })

    void it('keeps joined rooms by id, their members by peer id; replaces and deletes them; across restarts', async t => {
      const { store, reopen } = await setup(t)
      assert.deepEqual(await store.rooms(), [])
      const keyed = room({ name: 'Ｄｅｍｏ', key: 'a shared 🔑', members: [{ peerId: PEER_B, provenAt: 2 }, { peerId: PEER_A, provenAt: 3 }] })
      const open = room({ name: 'lobby', joinedAt: 0 })
      await store.putRoom(keyed)
      await store.putRoom(open)
      const sorted = (rooms: StoredRoom[]): StoredRoom[] => [...rooms].sort((a, b) => a.id < b.id ? -1 : 1)
      const byPeer = (members: StoredMember[]): StoredMember[] => [...members].sort((a, b) => a.peerId < b.peerId ? -1 : 1)
      const stored = { ...keyed, proofKey: new Uint8Array(keyed.proofKey), members: byPeer(keyed.members) }
      assert.deepEqual(await store.rooms(), sorted([stored, open]))
      // what was stored is a copy: changing the caller's object changes nothing
      keyed.proofKey.fill(0)
      keyed.members.push({ peerId: PEER_C, provenAt: 4 })
      assert.deepEqual(await store.rooms(), sorted([stored, open]))

      // a new version replaces the old one
      const updated: StoredRoom = { ...stored, members: [{ peerId: PEER_C, provenAt: 9 }, ...stored.members] }
      await store.putRoom(updated)
      assert.deepEqual(await store.rooms(), sorted([{ ...updated, members: byPeer(updated.members) }, open]))

      const again = await reopen()
      assert.deepEqual(await again.rooms(), sorted([{ ...updated, members: byPeer(updated.members) }, open]))
      assert.equal(await again.deleteRoom(open.id), true)
      assert.equal(await again.deleteRoom(open.id), false)
      assert.equal(await again.deleteRoom(room().id), false)
      const last = await reopen()
      assert.deepEqual((await last.rooms()).map(r => r.id), [keyed.id])
      assert.equal((await last.rooms())[0]?.key, 'a shared 🔑')
    })

    void it('keeps at most 64 rooms and 256 members a room (RoomLimitError); malformed rooms are TypeError', async t => {
      const { store } = await setup(t)
      const rooms = Array.from({ length: 64 }, () => room())
      for (const r of rooms) {
        await store.putRoom(r)
      }
      const extra = room()
      await assert.rejects(store.putRoom(extra), { name: 'RoomLimitError' })
      // a stored room may still change; one deleted makes room for another
      await store.putRoom({ ...rooms[0]!, name: 'renamed' })
      assert.equal(await store.deleteRoom(rooms[1]!.id), true)
      await store.putRoom(extra)
      assert.equal((await store.rooms()).length, 64)

      const members = (n: number): StoredMember[] => Array.from({ length: n }, (_, i) => ({ peerId: `${PEER_A}${i}`, provenAt: i }))
      await store.putRoom({ ...extra, members: members(256) })
      await assert.rejects(store.putRoom({ ...extra, members: members(257) }), { name: 'RoomLimitError' })
      assert.equal((await store.rooms()).find(r => r.id === extra.id)?.members.length, 256)

      // the bounds themselves are fine: 256 bytes of name, 1,024 of key
      await store.putRoom({ ...extra, name: 'é'.repeat(128), key: '\u0000'.repeat(1024) })
      const bad: Array<Record<string, unknown>> = [
        { id: 'A'.repeat(32) }, { id: '0'.repeat(31) }, { id: undefined },
        { name: '' }, { name: 'a\nb' }, { name: 'é'.repeat(129) }, { name: '\ud800' }, { name: 5 },
        { key: '' }, { key: 'x'.repeat(1025) }, { key: '\udfff' }, { key: null },
        { proofKey: new Uint8Array(31) }, { rendezvousKey: new Uint8Array(33) }, { proofKey: 'x'.repeat(32) },
        { joinedAt: -1 }, { joinedAt: 1.5 }, { joinedAt: Number.NaN },
        { members: 'x' }, { members: [{ peerId: 'a b', provenAt: 1 }] }, { members: [{ peerId: PEER_A, provenAt: -1 }] },
        { members: [{ peerId: PEER_A, provenAt: 1 }, { peerId: PEER_A, provenAt: 2 }] }, { members: [null] }
      ]
      for (const fields of bad) {
        await assert.rejects(store.putRoom({ ...room(), ...fields }), TypeError, Object.keys(fields).join())
      }
      await assert.rejects(store.deleteRoom('not a room id'), TypeError)
      assert.equal((await store.rooms()).length, 64)
    })

    void it('finishes queued writes before closing', async t => {
      const { store, reopen } = await setup(t)
      const sent = Array.from({ length: 20 }, () => message(PEER_A))
      const appends = sent.map(async m => store.append(m))
      await store.close()
      assert.deepEqual(await Promise.all(appends), sent.map(() => true))
      const again = await reopen()
      assert.deepEqual(ids(await again.history(PEER_A)), ids(sent))
    })
  })
}
