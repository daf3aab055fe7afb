/**
 * Group commit in the LevelDB store (real LevelDB on disk): appends and
 * status changes issued together are written together and still behave as
 * if written one by one — call order, dedup inside a group, outbox counts,
 * status never going back — and survive a reopen. appendMany() stops at the
 * first message it cannot store. The outbox cache answers pending() and
 * stays in step with the disk. The queue alone is in write-queue.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createStore } from '../../src/store/index.ts'
import { CACHED_PER_PEER } from '../../src/store/outbox-cache.ts'
import { fixture, message, PEER_A, PEER_B } from './helpers.ts'
import type { Store, StoreInit } from '../../src/store/index.ts'
import type { TestContext } from 'node:test'

async function open (t: TestContext, init: Partial<StoreInit> = {}) {
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir, ...init }))
  await store.open()
  const reopen = async (): Promise<Store> => {
    await store.close()
    const again = fx.track(createStore({ dataDir: fx.dataDir, ...init }))
    await again.open()
    return again
  }
  return { store, reopen }
}

void describe('group commit', () => {
  void it('stores 300 concurrent appends to two peers once each, in call order, across a reopen', async t => {
    const { store, reopen } = await open(t)
    const messages = Array.from({ length: 300 }, (_, i) => message(i % 3 === 0 ? PEER_B : PEER_A, { text: `m${i}` }))
    const added = await Promise.all(messages.map(async m => store.append(m)))
    assert.ok(added.every(a => a), 'every append was new')
    const expect = (peer: string): string[] => messages.filter(m => m.peer === peer).map(m => m.text)
    assert.deepEqual((await store.history(PEER_A, { limit: 1000 })).map(m => m.text), expect(PEER_A))
    const again = await reopen()
    assert.deepEqual((await again.history(PEER_A, { limit: 1000 })).map(m => m.text), expect(PEER_A))
    assert.deepEqual((await again.history(PEER_B, { limit: 1000 })).map(m => m.text), expect(PEER_B))
  })

  void it('stores a message sent twice in one group once: the second append resolves false', async t => {
    const { store } = await open(t)
    const m = message(PEER_A)
    const results = await Promise.all([store.append(m), store.append({ ...m }), store.append(message(PEER_A)), store.append({ ...m })])
    assert.deepEqual(results, [true, false, true, false])
    assert.equal((await store.history(PEER_A)).length, 2)
  })

  void it('moves a status forward once when sent, delivered and a late sent arrive together', async t => {
    const { store, reopen } = await open(t)
    const out = Array.from({ length: 20 }, (_, i) => message(PEER_A, { direction: 'out', text: `o${i}` }))
    await Promise.all(out.map(async m => store.append(m)))
    assert.equal(store.outboxSize(PEER_A), 20)
    const changes = await Promise.all(out.flatMap(m => [
      store.setStatus(PEER_A, m.id, 'sent', { sync: false }),
      store.setStatus(PEER_A, m.id, 'delivered', { sync: false }),
      store.setStatus(PEER_A, m.id, 'delivered'),
      store.setStatus(PEER_A, m.id, 'sent')
    ]))
    // per message: sent (from pending), delivered (from sent), then nothing twice
    for (let i = 0; i < out.length; i++) {
      assert.deepEqual(changes.slice(4 * i, 4 * i + 4), [{ previous: 'pending' }, { previous: 'sent' }, undefined, undefined])
    }
    assert.equal(store.outboxSize(PEER_A), 0, 'each message left the outbox once')
    assert.deepEqual(await store.pending(PEER_A), [])
    const again = await reopen()
    assert.equal(again.outboxSize(PEER_A), 0)
    assert.deepEqual(await again.pending(PEER_A), [])
    assert.ok((await again.history(PEER_A)).every(m => m.status === 'delivered'))
  })

  void it('appendMany stores a run up to the first message over a bound, and nothing after it', async t => {
    const { store } = await open(t, { maxRequestMessagesPerPeer: 3 })
    const run = Array.from({ length: 6 }, (_, i) => message(PEER_A, { text: `r${i}` }))
    const first = await store.appendMany([run[0], run[0], run[1]].map(m => ({ ...m } as typeof run[0])), { request: true })
    assert.deepEqual(first.added, [true, false, true], 'a duplicate inside the run is not new')
    assert.equal(first.error, undefined)
    const second = await store.appendMany(run.slice(2), { request: true })
    assert.deepEqual(second.added, [true])
    assert.equal(second.error?.name, 'RequestQuotaError')
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['r0', 'r1', 'r2'])
    for (const m of run.slice(3)) {
      assert.equal(await store.has(PEER_A, m.id), false, `${m.text} written after the failure`)
    }
  })

  void it('appendMany stops at an invalid message with a TypeError, keeping the ones before', async t => {
    const { store } = await open(t)
    const good = message(PEER_A, { text: 'good' })
    const result = await store.appendMany([good, { ...message(PEER_A), id: 'has space' }, message(PEER_A)])
    assert.deepEqual(result.added, [true])
    assert.equal(result.error?.name, 'TypeError')
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['good'])
  })

  void it('answers pending() from the outbox cache in step with the disk, past the cached window', async t => {
    const { store, reopen } = await open(t)
    const total = CACHED_PER_PEER * 2 + 7
    const out = Array.from({ length: total }, (_, i) => message(PEER_A, { direction: 'out', text: `o${i}` }))
    for (const m of out.slice(0, 10)) await store.append(m)
    // cache loaded with a complete outbox of 10, then appends join it
    assert.deepEqual((await store.pending(PEER_A, { limit: 32 })).map(m => m.text), out.slice(0, 10).map(m => m.text))
    await Promise.all(out.slice(10).map(async m => store.append(m)))
    const drained: string[] = []
    while (true) {
      const batch = await store.pending(PEER_A, { limit: 32 })
      if (batch.length === 0) break
      // an ack for each, grouped as the delivery queue does
      await Promise.all(batch.map(async m => store.setStatus(PEER_A, m.id, 'delivered', { sync: false })))
      drained.push(...batch.map(m => m.text))
    }
    assert.deepEqual(drained, out.map(m => m.text), 'every message once, in order')
    assert.equal(store.outboxSize(PEER_A), 0)
    const again = await reopen()
    assert.deepEqual(await again.pending(PEER_A), [])
  })

  void it('pending() never offers a message whose append has not resolved (is not on disk yet)', async t => {
    const { store } = await open(t)
    await store.append(message(PEER_A, { direction: 'out', text: 'first' }))
    await store.pending(PEER_A)
    const resolved = new Set<string>(['first'])
    const out = Array.from({ length: 40 }, (_, i) => message(PEER_A, { direction: 'out', text: `o${i}` }))
    // one at a time, so that each spends a while prepared but not yet on disk
    const appending = (async () => {
      for (const m of out) {
        await store.append(m)
        resolved.add(m.text)
      }
    })()
    let done = false
    void appending.finally(() => { done = true })
    let polls = 0
    while (!done) {
      for (const m of await store.pending(PEER_A, { limit: 64 })) {
        assert.ok(resolved.has(m.text), `${m.text} offered before its append resolved`)
      }
      polls++
      await new Promise(resolve => setImmediate(resolve))
    }
    await appending
    assert.ok(polls > 40, `polled ${polls} times`)
    assert.equal((await store.pending(PEER_A, { limit: 64 })).length, 41)
  })

  void it('gives two appends to one conversation in one group different keys, even when the seq cache starts over between them', async t => {
    const { store } = await open(t)
    const peer = (i: number): string => `${PEER_A}${i}`
    // 4,096 conversations used: Sequences' cache is full, the next new one empties it
    for (let k = 0; k < 4096; k += 512) {
      await Promise.all(Array.from({ length: 512 }, async (_, j) => store.append(message(peer(k + j), { text: 'first' }))))
    }
    const inFlight = store.append(message(peer(1), { text: 'in flight' }))
    const one = message(peer(0), { text: 'one' })
    const two = message(peer(0), { text: 'two' })
    // one group: conversation 0, a new conversation (the cache starts again), conversation 0 once more
    assert.deepEqual(await Promise.all([store.append(one), store.append(message(peer(99_999))), store.append(two)]), [true, true, true])
    await inFlight
    assert.deepEqual((await store.history(peer(0))).map(m => m.text), ['first', 'one', 'two'], 'a stored message was overwritten')
    assert.equal((await store.get(peer(0), one.id))?.text, 'one')
  })

  void it('keeps an append and a status change of the same message in one group in step: disk, cache and counts', async t => {
    const { store, reopen } = await open(t)
    assert.deepEqual(await store.pending(PEER_A), [])
    // something in flight, so that the next two writes queue up as one group
    const inFlight = store.append(message(PEER_B))
    const m = message(PEER_A, { direction: 'out', text: 'x' })
    const [added, change] = await Promise.all([store.append(m), store.setStatus(PEER_A, m.id, 'read')])
    await inFlight
    assert.equal(added, true)
    assert.deepEqual(change, { previous: 'pending' })
    assert.equal((await store.get(PEER_A, m.id))?.status, 'read')
    assert.deepEqual(await store.pending(PEER_A), [], 'the cache offers a message that left the outbox')
    assert.equal(await store.setStatus(PEER_A, m.id, 'delivered'), undefined, 'the status went back')
    assert.equal(store.outboxSize(PEER_A), 0)
    assert.equal(store.outboxSize(), 0)
    const again = await reopen()
    assert.equal((await again.get(PEER_A, m.id))?.status, 'read')
    assert.equal(again.outboxSize(), 0)
  })
})
