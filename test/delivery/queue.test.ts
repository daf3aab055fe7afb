/**
 * The delivery queue against a real LevelDB store and a scripted sender:
 * order across failures, retries with backoff, one `delivered` per message,
 * resumption from the store after a restart.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { DeliveryQueue } from '../../src/delivery/queue.ts'
import { createStore } from '../../src/store/index.ts'
import { until } from '../helpers/node-events.ts'
import { fixture, message, PEER_A, PEER_B } from '../store/helpers.ts'
import type { SendBatch } from '../../src/delivery/queue.ts'
import type { Store } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'
import type { TestContext } from 'node:test'

const log = defaultLogger().forComponent('test:delivery')

/** A receiver that stores what it gets, in order, with failures on demand */
class Receiver {
  readonly received: string[] = []
  readonly batches: string[][] = []
  /** fail when about to deliver the message with this index in the overall stream of attempts */
  failOn = new Set<string>()
  down = false
  /** peers that cannot be reached */
  readonly unreachable = new Set<string>()
  /** while set, frames go out but acks wait for it */
  ackGate?: Promise<void>

  readonly send: SendBatch = async (peer, messages, options) => {
    this.batches.push(messages.map(m => m.id))
    if (this.down || this.unreachable.has(peer)) throw new Error('peer unreachable')
    for (const m of messages) {
      options.onWritten(m.id)
      if (this.failOn.delete(m.id)) throw new Error('connection reset')
      // the receiver dedups by id, as the real one does
      if (!this.received.includes(m.id)) this.received.push(m.id)
      await this.ackGate
      await options.onAck(m.id)
    }
  }
}

async function setup (t: TestContext, receiver: Receiver, init: { window?: number, sentDelay?: number } = {}): Promise<{ store: Store, queue: DeliveryQueue, delivered: string[], sentEvents: string[], statusWrites: string[], failures: Error[] }> {
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir }))
  await store.open()
  const delivered: string[] = []
  const sentEvents: string[] = []
  const statusWrites: string[] = []
  const failures: Error[] = []
  const queue = new DeliveryQueue({
    store: {
      pending: async (peer, options) => store.pending(peer, options),
      pendingPeers: async (options) => store.pendingPeers(options),
      setStatus: async (peer, id, status, options) => {
        statusWrites.push(`${id}:${status}`)
        return store.setStatus(peer, id, status, options)
      },
      deliveredTo: async (member, message) => store.deliveredTo(member, message)
    },
    sendBatch: receiver.send,
    onDelivered: m => { delivered.push(m.id) },
    onSent: m => { sentEvents.push(m.id) },
    onFailed: (_peer, err) => { failures.push(err) },
    log,
    retryBase: 10,
    retryCap: 50,
    window: init.window ?? 4,
    sentDelay: init.sentDelay ?? 50
  })
  t.after(async () => { await queue.stop() })
  return { store, queue, delivered, sentEvents, statusWrites, failures }
}

async function queueMessages (store: Store, peer: string, n: number): Promise<ChatMessage[]> {
  const out: ChatMessage[] = []
  for (let i = 0; i < n; i++) {
    const m = message(peer, { direction: 'out', status: 'pending', text: `m${i}` })
    await store.append(m)
    out.push(m)
  }
  return out
}

void describe('delivery queue', () => {
  void it('delivers every message once, in order, in batches of the window', async t => {
    const r = new Receiver()
    const { store, queue, delivered } = await setup(t, r)
    const sent = await queueMessages(store, PEER_A, 10)
    queue.kick(PEER_A)
    await until('all delivered', () => delivered.length === 10)
    assert.deepEqual(r.received, sent.map(m => m.id))
    assert.deepEqual(delivered, sent.map(m => m.id))
    assert.deepEqual(r.batches.map(b => b.length), [4, 4, 2])
    assert.equal(store.outboxSize(), 0)
    assert.ok((await store.history(PEER_A)).every(m => m.status === 'delivered'))
  })

  void it('retries from the first unacknowledged message after a failure mid-batch, keeping order', async t => {
    const r = new Receiver()
    const { store, queue, delivered, failures } = await setup(t, r)
    const sent = await queueMessages(store, PEER_A, 8)
    r.failOn.add(sent[2]?.id ?? '')
    r.failOn.add(sent[5]?.id ?? '')
    queue.kick(PEER_A)
    await until('all delivered', () => delivered.length === 8)
    assert.deepEqual(r.received, sent.map(m => m.id), 'receiver saw the sender order')
    assert.deepEqual(delivered, sent.map(m => m.id), 'one delivered per message')
    assert.equal(failures.length, 2)
    // the retried batch starts at the failed message
    assert.equal(r.batches[1]?.[0], sent[2]?.id)
  })

  void it('keeps retrying with backoff while the peer is down, then delivers', async t => {
    const r = new Receiver()
    r.down = true
    const { store, queue, delivered, failures } = await setup(t, r)
    const sent = await queueMessages(store, PEER_A, 3)
    queue.kick(PEER_A)
    await until('several attempts', () => failures.length >= 3)
    assert.equal(delivered.length, 0)
    assert.equal(store.outboxSize(PEER_A), 3)
    r.down = false
    await until('all delivered', () => delivered.length === 3)
    assert.deepEqual(r.received, sent.map(m => m.id))
  })

  void it('keeps peers independent: one unreachable peer does not hold up another', async t => {
    const r = new Receiver()
    r.unreachable.add(PEER_A)
    const { store, queue, delivered, failures } = await setup(t, r)
    await queueMessages(store, PEER_A, 2)
    const toB = await queueMessages(store, PEER_B, 2)
    await queue.start()
    await until('B delivered', () => delivered.length === 2)
    assert.deepEqual(delivered, toB.map(m => m.id))
    await until('A retried', () => failures.length >= 2)
    assert.equal(store.outboxSize(PEER_A), 2)
  })

  void it('picks up messages queued while a batch is in flight', async t => {
    const r = new Receiver()
    const { store, queue, delivered } = await setup(t, r, { window: 2 })
    const first = await queueMessages(store, PEER_A, 2)
    queue.kick(PEER_A)
    const more = await queueMessages(store, PEER_A, 3)
    queue.kick(PEER_A)
    await until('all delivered', () => delivered.length === 5)
    assert.deepEqual(r.received, [...first, ...more].map(m => m.id))
  })

  void it('resumes the outbox left by an earlier run', async t => {
    const r = new Receiver()
    const { store, queue, delivered } = await setup(t, r)
    const sent = await queueMessages(store, PEER_A, 3)
    await queue.start()
    await until('all delivered', () => delivered.length === 3)
    assert.deepEqual(r.received, sent.map(m => m.id))
  })

  void it('goes from pending to delivered in one status write when the ack comes quickly; `sent` fires once per message', async t => {
    const r = new Receiver()
    const { store, queue, delivered, sentEvents, statusWrites } = await setup(t, r, { sentDelay: 60_000 })
    const sent = await queueMessages(store, PEER_A, 6)
    queue.kick(PEER_A)
    await until('all delivered', () => delivered.length === 6)
    assert.deepEqual(sentEvents, sent.map(m => m.id))
    assert.deepEqual(statusWrites, sent.map(m => `${m.id}:delivered`), 'no `sent` write before a quick ack')
    assert.ok((await store.history(PEER_A)).every(m => m.status === 'delivered'))
  })

  void it('stores `sent` for a message whose ack has not come after the delay, then `delivered`', async t => {
    const r = new Receiver()
    const gate = Promise.withResolvers<void>()
    r.ackGate = gate.promise
    const { store, queue, delivered, sentEvents } = await setup(t, r, { window: 1, sentDelay: 30 })
    const [m] = await queueMessages(store, PEER_A, 1)
    queue.kick(PEER_A)
    await until('stored as sent', async () => (await store.get(PEER_A, m?.id ?? ''))?.status === 'sent')
    assert.deepEqual(sentEvents, [m?.id])
    gate.resolve()
    await until('delivered', () => delivered.length === 1)
    assert.equal((await store.get(PEER_A, m?.id ?? ''))?.status, 'delivered')
    assert.deepEqual(sentEvents, [m?.id], 'no second `sent`')
  })

  void it('stores `sent` for what went out unacknowledged when a batch fails, and does not fire `sent` again on the retry', async t => {
    const r = new Receiver()
    const { store, queue, delivered, sentEvents, statusWrites, failures } = await setup(t, r, { sentDelay: 60_000 })
    const sent = await queueMessages(store, PEER_A, 3)
    const cut = sent[1]?.id ?? ''
    // written, then the connection drops before its ack
    r.failOn.add(cut)
    queue.kick(PEER_A)
    await until('all delivered', () => delivered.length === 3)
    assert.equal(failures.length, 1)
    assert.deepEqual(statusWrites.filter(w => w.startsWith(cut)), [`${cut}:sent`, `${cut}:delivered`], 'sent stored before the retry')
    assert.deepEqual(sentEvents, sent.map(m => m.id), 'one `sent` per message across the retry')
  })
})
