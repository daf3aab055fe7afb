/**
 * Room messages in the store, on real LevelDB: stored once in the room's
 * conversation, waiting for each member in a fan-out entry of its own
 * (counted in that member's outbox, kept across a reopen), settled member
 * by member until the last ack makes it `delivered`; ids are the sender's
 * own (a member cannot take another's); a room's history is in (clock,
 * sender) order; what does not fit refuses and writes nothing.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Level } from 'level'
import { createStore } from '../../src/store/index.ts'
import { fixture, message, messageId, PEER_A, PEER_B, SELF } from './helpers.ts'
import type { ChatMessage } from '../../src/types.ts'

const ROOM = '#' + 'ab'.repeat(16)
const PEER_D = '12D3KooWDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDdDd'
const MEMBERS = [PEER_A, PEER_B, PEER_D]

/** Our post to ROOM */
function post (clock: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return message(ROOM, { direction: 'out', status: 'pending', clock, ...overrides })
}

/** A member's message to ROOM */
function heard (from: string, clock: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return message(ROOM, { from, clock, name: from.slice(-4), ...overrides })
}

void describe('room messages in the store', () => {
  void it('a post waits for each member in its outbox, across a reopen, and is delivered with the last ack', async (t) => {
    const fx = await fixture(t)
    let store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    const direct = message(PEER_A, { direction: 'out', status: 'pending' })
    await store.append(direct)
    const m = post(7)
    assert.equal(await store.append(m, { to: MEMBERS }), true)

    assert.equal(store.outboxSize(), 4)
    assert.equal(store.outboxSize(PEER_B), 1)
    assert.deepEqual((await store.pendingPeers()).sort(), [...MEMBERS].sort())
    // a member's direct messages first, then the room's
    assert.deepEqual((await store.pending(PEER_A)).map(x => x.id), [direct.id, m.id])
    assert.deepEqual(await store.pending(PEER_B), [m])
    assert.deepEqual(await store.pending(ROOM), [], 'a room is nobody\'s outbox')

    await store.close()
    store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    assert.equal(store.outboxSize(), 4, 'counted again from disk')
    assert.deepEqual((await store.pending(PEER_D)).map(x => x.id), [m.id])

    assert.deepEqual(await store.deliveredTo(PEER_A, m), { last: false })
    assert.equal(await store.deliveredTo(PEER_A, m), undefined, 'a second ack settles nothing')
    assert.equal(await store.deliveredTo(SELF, m), undefined, 'nor one from a peer it was not sent to')
    assert.deepEqual((await store.pending(PEER_A)).map(x => x.id), [direct.id])
    assert.deepEqual(await store.deliveredTo(PEER_B, m), { last: false })
    assert.equal((await store.get(ROOM, m.id, { from: SELF }))?.status, 'pending')
    assert.deepEqual(await store.deliveredTo(PEER_D, m), { last: true })
    assert.equal((await store.get(ROOM, m.id, { from: SELF }))?.status, 'delivered')
    assert.equal(store.outboxSize(), 1)
    assert.deepEqual(await store.pendingPeers(), [PEER_A])

    await store.close()
    store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    assert.equal(store.outboxSize(), 1)
    assert.equal((await store.history(ROOM))[0]?.status, 'delivered')
  })

  void it('ids are per sender in a room: a member cannot take another\'s id; the same sender\'s copy is a duplicate', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    const id = messageId()
    // mallory (PEER_B) sends alice's (PEER_A) id first, to a member that has not stored alice's yet
    assert.equal(await store.append(heard(PEER_B, 1, { id, text: 'forged first' })), true)
    assert.equal(await store.append(heard(PEER_A, 1, { id, text: 'the real one' })), true)
    assert.deepEqual((await store.appendMany([heard(PEER_A, 1, { id, text: 'the real one' })])).added, [false])
    assert.equal((await store.get(ROOM, id, { from: PEER_A }))?.text, 'the real one')
    assert.equal((await store.get(ROOM, id, { from: PEER_B }))?.text, 'forged first')
    assert.equal((await store.history(ROOM)).length, 2)
  })

  void it('a room\'s history is in (clock, sender) order, whatever order it arrived in', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    await store.appendMany([heard(PEER_B, 3, { text: 'b3' }), heard(PEER_A, 1, { text: 'a1' })])
    await store.append(post(2, { text: 's2', status: 'delivered' }))
    // late: written while the member was away, so its clock is low
    await store.append(heard(PEER_B, 1, { text: 'b1' }))
    assert.ok(PEER_A < PEER_B)
    assert.deepEqual((await store.history(ROOM)).map(m => m.text), ['a1', 'b1', 's2', 'b3'])
    assert.deepEqual((await store.history(ROOM, { limit: 2 })).map(m => m.text), ['s2', 'b3'])
  })

  void it('refuses what does not fit or is malformed, writing nothing', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir, maxFanoutTotal: 2, maxOutboxTotal: 1 }))
    await store.open()
    await assert.rejects(store.append(post(1), { to: MEMBERS }), { name: 'OutboxFullError' })
    assert.deepEqual(await store.history(ROOM), [])
    assert.equal(store.outboxSize(), 0)
    assert.equal(await store.append(post(1), { to: [PEER_A, PEER_B] }), true)
    await assert.rejects(store.append(post(2), { to: [PEER_D] }), { name: 'OutboxFullError' })
    // a budget of its own: a full fan-out does not stop a direct message
    assert.equal(await store.append(message(PEER_D, { direction: 'out', status: 'pending' })), true)

    await assert.rejects(store.append(post(3), { to: [PEER_A, PEER_A] }), TypeError)
    await assert.rejects(store.append(post(3), { to: [ROOM] }), TypeError)
    await assert.rejects(store.append(message(PEER_A, { direction: 'out', status: 'pending' }), { to: [PEER_B] }), TypeError)
    await assert.rejects(store.append(post(3, { status: 'delivered' }), { to: [PEER_B] }), TypeError)
    await assert.rejects(store.append(message(ROOM, { from: PEER_A })), TypeError, 'a room message has a clock')
    await assert.rejects(store.append(message(PEER_A, { clock: 1 })), TypeError, 'only a room message has one')
    await assert.rejects(store.append(message('#room', { clock: 1 })), TypeError, 'a room conversation is # and a room id')
    await assert.rejects(store.append(heard(PEER_A, -1)), TypeError)
    await assert.rejects(store.append(heard(PEER_A, 2 ** 53)), TypeError)
    await assert.rejects(store.deliveredTo(PEER_A, message(PEER_B)), TypeError)
    assert.equal((await store.history(ROOM)).length, 1)
  })

  void it('a member past its bound is skipped by later posts; blocking a member or leaving a room drops their entries', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir, maxFanoutPerMember: 2 }))
    await store.open()
    const posts = [post(1), post(2), post(3)]
    await store.append(posts[0] as ChatMessage, { to: [PEER_A, PEER_B] })
    await store.append(posts[1] as ChatMessage, { to: [PEER_A] })
    await store.append(posts[2] as ChatMessage, { to: [PEER_A, PEER_B] })
    assert.equal(store.outboxSize(PEER_A), 2, 'PEER_A, which never acks, missed the third')
    assert.equal(store.outboxSize(PEER_B), 2)
    // the last member the third waits for is PEER_B
    assert.deepEqual(await store.deliveredTo(PEER_B, posts[2] as ChatMessage), { last: true })

    const other = '#' + 'cd'.repeat(16)
    const elsewhere = message(other, { direction: 'out', status: 'pending', clock: 1 })
    await store.append(elsewhere, { to: [PEER_B] })
    assert.equal(await store.dropFanout({ member: PEER_A }), 2)
    assert.equal(store.outboxSize(PEER_A), 0)
    assert.deepEqual(await store.pending(PEER_A), [])
    assert.deepEqual(await store.pendingPeers(), [PEER_B])
    assert.equal(await store.dropFanout({ room: ROOM }), 1, 'the first post still waited for PEER_B')
    assert.deepEqual((await store.pending(PEER_B)).map(m => m.id), [elsewhere.id], 'another room\'s entries stay')
    assert.equal(store.outboxSize(), 1)

    await store.close()
    const reopened = fx.track(createStore({ dataDir: fx.dataDir }))
    await reopened.open()
    assert.equal(reopened.outboxSize(), 1)
    await assert.rejects(reopened.dropFanout({ room: 'not a room' }), TypeError)
  })

  void it('one room cannot use up the others\' budget; a member stuck in one room still gets another\'s; a message left waiting for nobody is sent', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir, maxFanoutPerMember: 2, maxFanoutPerRoom: 4, maxFanoutTotal: 6 }))
    await store.open()
    const other = '#' + 'cd'.repeat(16)
    await store.append(post(1), { to: [PEER_A, PEER_B] })
    await store.append(post(2), { to: [PEER_A, PEER_B] })
    await assert.rejects(store.append(post(3), { to: [PEER_D] }), { name: 'OutboxFullError' }, 'the room\'s budget is spent')
    let admitted: string[] = []
    const elsewhere = message(other, { direction: 'out', status: 'pending', clock: 1 })
    await store.append(elsewhere, { to: [PEER_A], admitted: (m) => { admitted = m } })
    assert.deepEqual(admitted, [PEER_A], 'PEER_A is full in ROOM, not in the other room')

    const lone = post(4)
    await store.close()
    const again = fx.track(createStore({ dataDir: fx.dataDir, maxFanoutPerRoom: 10 }))
    await again.open()
    await again.append(lone, { to: [PEER_D] })
    assert.equal(await again.dropFanout({ member: PEER_D }), 1)
    assert.equal((await again.get(ROOM, lone.id, { from: SELF }))?.status, 'sent', 'nobody left to wait for')
    assert.equal(again.outboxSize(), 5, 'the other entries stay')
  })

  void it('the fan-out keys name neither the member\'s conversation nor the room\'s', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    await store.append(message(PEER_A, { direction: 'out', status: 'delivered' }))
    await store.append(post(1), { to: [PEER_A, PEER_B] })
    await store.close()
    const db = new Level<string, Uint8Array>(join(fx.dataDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' })
    const keys: string[] = []
    for await (const key of db.keys()) keys.push(key)
    await db.close()
    const fanout = keys.filter(k => k.startsWith('!fanout!')).map(k => k.slice('!fanout!'.length))
    const conversations = new Set(keys.filter(k => k.startsWith('!history!')).map(k => k.split('!')[2]))
    assert.equal(fanout.length, 2)
    assert.equal(conversations.size, 2)
    for (const key of fanout) {
      assert.match(key, /^F[A-Za-z0-9_-]{22}!G[A-Za-z0-9_-]{22}$/)
      assert.ok(key.split('!').every(part => !conversations.has(part)), 'no conversation prefix in a fan-out key')
    }
    assert.notEqual(fanout[0]?.split('!')[1], fanout[1]?.split('!')[1])
  })
})
