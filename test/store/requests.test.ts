/**
 * Message requests in the store: the quarantine's bounds (per peer in
 * messages and bytes, in total in bytes), nothing written past them, accept
 * keeps the messages as history, decline deletes them, and the counts
 * survive a reopen. Real LevelDB on disk. Also the peer book's contact
 * fields (relation, petname, verified) and how an update clears them.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createStore } from '../../src/store/index.ts'
import { fixture, message, PEER_A, PEER_B } from './helpers.ts'
import type { StoreInit } from '../../src/store/index.ts'
import type { TestContext } from 'node:test'

async function open (t: TestContext, init: Partial<StoreInit> = {}) {
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir, ...init }))
  await store.open()
  return { fx, store }
}

void describe('message requests', () => {
  void it('holds requests up to the per-peer message bound, then refuses without writing', async t => {
    const { store } = await open(t, { maxRequestMessagesPerPeer: 3 })
    for (let i = 0; i < 3; i++) {
      assert.equal(await store.append(message(PEER_A, { text: `m${i}` }), { request: true }), true)
    }
    const over = message(PEER_A, { text: 'one too many' })
    await assert.rejects(store.append(over, { request: true }), { name: 'RequestQuotaError' })
    assert.equal(await store.has(PEER_A, over.id), false, 'nothing written past the bound')
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['m0', 'm1', 'm2'])
    // the bound is per peer
    assert.equal(await store.append(message(PEER_B), { request: true }), true)
    const summary = store.requests().find(r => r.peer === PEER_A)
    assert.equal(summary?.messages, 3)
    assert.ok((summary?.bytes ?? 0) > 3 * 'm0'.length)
    assert.equal(store.hasRequests(PEER_A), true)
  })

  void it('counts bytes on disk per peer and in total', async t => {
    const { store } = await open(t, { maxRequestBytesPerPeer: 20_000, maxRequestBytesTotal: 30_000 })
    const big = 'x'.repeat(8_000)
    assert.equal(await store.append(message(PEER_A, { text: big }), { request: true }), true)
    assert.equal(await store.append(message(PEER_A, { text: big }), { request: true }), true)
    await assert.rejects(store.append(message(PEER_A, { text: big }), { request: true }), { name: 'RequestQuotaError' }, 'per-peer bytes')
    assert.equal(await store.append(message(PEER_B, { text: big }), { request: true }), true)
    await assert.rejects(store.append(message(PEER_B, { text: big }), { request: true }), { name: 'RequestQuotaError' }, 'total bytes')
    const total = store.requests().reduce((sum, r) => sum + r.bytes, 0)
    assert.ok(total <= 30_000 && total > 3 * 8_000, `total ${total}`)
  })

  void it('holds requests from a bounded number of peers: a new peer past it is refused', async t => {
    const { store } = await open(t, { maxRequestPeers: 1 })
    assert.equal(await store.append(message(PEER_A), { request: true }), true)
    await assert.rejects(store.append(message(PEER_B), { request: true }), { name: 'RequestQuotaError' })
    // the peer already held may add more
    assert.equal(await store.append(message(PEER_A), { request: true }), true)
    await store.acceptRequests(PEER_A)
    assert.equal(await store.append(message(PEER_B), { request: true }), true)
  })

  void it('ordinary messages and outgoing ones are not requests and are not bounded by the quarantine', async t => {
    const { store } = await open(t, { maxRequestMessagesPerPeer: 1 })
    for (let i = 0; i < 3; i++) {
      assert.equal(await store.append(message(PEER_A)), true)
      assert.equal(await store.append(message(PEER_A, { direction: 'out' }), { request: true }), true)
    }
    assert.deepEqual(store.requests(), [])
  })

  void it('accept keeps the messages as history and frees the quota', async t => {
    const { store } = await open(t, { maxRequestMessagesPerPeer: 2 })
    await store.append(message(PEER_A, { text: 'a' }), { request: true })
    await store.append(message(PEER_A, { text: 'b' }), { request: true })
    assert.equal(await store.acceptRequests(PEER_A), 2)
    assert.equal(store.hasRequests(PEER_A), false)
    assert.deepEqual(store.requests(), [])
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['a', 'b'])
    assert.equal(await store.append(message(PEER_A, { text: 'c' }), { request: true }), true)
    assert.equal(await store.acceptRequests(PEER_B), 0)
  })

  void it('decline deletes the held messages and their index, so a resend is a new request', async t => {
    const { store } = await open(t)
    const held = message(PEER_A, { text: 'spam' })
    await store.append(held, { request: true })
    await store.append(message(PEER_B, { text: 'keep' }), { request: true })
    assert.equal(await store.dropRequests(PEER_A), 1)
    assert.deepEqual(await store.history(PEER_A), [])
    assert.equal(await store.has(PEER_A, held.id), false)
    assert.equal(await store.append(held, { request: true }), true)
    assert.deepEqual((await store.history(PEER_B)).map(m => m.text), ['keep'])
  })

  void it('the counts survive a reopen', async t => {
    const { fx, store } = await open(t, { maxRequestMessagesPerPeer: 2 })
    await store.append(message(PEER_A), { request: true })
    await store.append(message(PEER_A), { request: true })
    const before = store.requests()
    await store.close()
    const again = fx.track(createStore({ dataDir: fx.dataDir, maxRequestMessagesPerPeer: 2 }))
    await again.open()
    assert.deepEqual(again.requests(), before)
    await assert.rejects(again.append(message(PEER_A), { request: true }), { name: 'RequestQuotaError' })
  })
})

void describe('contact fields of the peer book', () => {
  void it('stores relation, petname and verified, and null or false clears them', async t => {
    const { store } = await open(t)
    await store.putPeer({ peerId: PEER_A, name: 'alice' })
    let p = await store.putPeer({ peerId: PEER_A, relation: 'contact', petname: 'Alice W.', verified: true })
    assert.deepEqual([p.relation, p.petname, p.verified, p.name], ['contact', 'Alice W.', true, 'alice'])
    // an update that names none of them keeps them
    p = await store.putPeer({ peerId: PEER_A, name: 'alice2' })
    assert.deepEqual([p.relation, p.petname, p.verified], ['contact', 'Alice W.', true])
    p = await store.putPeer({ peerId: PEER_A, relation: 'blocked', petname: null, verified: false })
    assert.deepEqual([p.relation, p.petname, p.verified], ['blocked', undefined, undefined])
    p = await store.putPeer({ peerId: PEER_A, relation: null })
    assert.equal(p.relation, undefined)
    assert.deepEqual(await store.getPeer(PEER_A), p)
  })

  void it('refuses a bad relation', async t => {
    const { store } = await open(t)
    await assert.rejects(store.putPeer({ peerId: PEER_A, relation: 'friend' as 'contact' }), TypeError)
  })
})
