/**
 * The read-receipt service against a stub of the chat protocol and a real
 * LevelDB store: receipts go out only for messages we really received from
 * that peer, the queue per peer is bounded, nothing goes out when disabled;
 * an incoming receipt moves our message to `read` and fires 'read' once
 * (with 'delivered' first when it overtook the ack), and a receipt for
 * anything else does nothing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { start, stop, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { receipts } from '../../src/receipts/index.ts'
import { createStore } from '../../src/store/index.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import { fixture, message } from '../store/helpers.ts'
import type { MessageHandler, ReceiptHandler, SecureChat, SecureChatEvents, SendBatchOptions } from '../../src/protocol/index.ts'
import type { Receipts, ReceiptsEvents, ReceiptsInit } from '../../src/receipts/index.ts'
import type { Store } from '../../src/store/index.ts'
import type { ChatMessage, MessageStatus } from '../../src/types.ts'
import type { PeerId, Startable } from '@libp2p/interface'
import type { TestContext } from 'node:test'

/** A real Ed25519 peer id */
async function newPeerId (): Promise<PeerId> {
  return (await newPeer()).id
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** The chat protocol as the receipts service uses it: its receipt handler and sendReceipts */
class StubChat extends TypedEventEmitter<SecureChatEvents> implements SecureChat {
  readonly protocol = '/securechat/test'
  receiptHandler?: ReceiptHandler
  /** receipt batches sent, per call */
  readonly sent: Array<{ peer: string, ids: string[] }> = []
  /** how sendReceipts answers */
  sender: (peer: PeerId, ids: string[], options: SendBatchOptions) => Promise<void> = async () => {}

  handleMessages (_handler: MessageHandler): void {}
  handleReceipts (handler: ReceiptHandler): void { this.receiptHandler = handler }
  async sendBatch (): Promise<void> { throw new Error('not used by receipts') }
  async sendReceipts (peer: PeerId, ids: string[], options: SendBatchOptions = {}): Promise<void> {
    this.sent.push({ peer: peer.toString(), ids })
    await this.sender(peer, ids, options)
  }

  /** a receipt from `peer` for our message `id`, as the protocol hands it over */
  async receive (peer: PeerId, id: string): Promise<void> {
    assert.ok(this.receiptHandler != null, 'a receipt handler is set at start')
    await this.receiptHandler(peer, id, { signal: AbortSignal.timeout(5_000) })
  }
}

type Fired = { type: 'read', id: string, by: string } | { type: 'delivered', id: string, to: string }

interface Setup {
  service: Receipts & Startable
  store: Store
  chat: StubChat
  /** peers the stub contacts service says are not contacts */
  strangers: Set<string>
  fired: Fired[]
  /** the receipt batches sent that were not empty */
  sentIds: () => string[][]
}

async function setup (t: TestContext, init: ReceiptsInit = {}, run = true): Promise<Setup> {
  const strangers = new Set<string>()
  // after hooks run in the order they were added: stop the service before the store is closed
  let service: (Receipts & Startable) | undefined
  t.after(async () => { if (service != null) await stop(service) })
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir }))
  await store.open()
  const chat = new StubChat()
  service = receipts(init)({ logger: defaultLogger(), store, chat, contacts: { isContact: (peer) => !strangers.has(peer) } }) as Receipts & Startable
  const fired: Fired[] = []
  const events = service as unknown as TypedEventEmitter<ReceiptsEvents>
  events.addEventListener('read', evt => { fired.push({ type: 'read', ...evt.detail }) })
  events.addEventListener('delivered', evt => { fired.push({ type: 'delivered', ...evt.detail }) })
  if (run) await start(service)
  return { service, store, chat, strangers, fired, sentIds: () => chat.sent.map(s => s.ids).filter(ids => ids.length > 0) }
}

async function stored (store: Store, peer: PeerId, overrides: Partial<ChatMessage> = {}): Promise<ChatMessage> {
  const m = message(peer.toString(), overrides)
  await store.append(m)
  return m
}

async function statusOf (store: Store, m: ChatMessage): Promise<MessageStatus | undefined> {
  return (await store.get(m.peer, m.id))?.status
}

void describe('read receipts', () => {
  void describe('outgoing', () => {
    void it('sends receipts only for messages we really received from that peer', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const bob = await newPeerId()
      const fromAlice = await stored(s.store, alice)
      const toAlice = await stored(s.store, alice, { direction: 'out', status: 'delivered' })
      const fromBob = await stored(s.store, bob)

      s.service.markRead(alice.toString(), [fromAlice.id, toAlice.id, fromBob.id, 'f'.repeat(32)])
      await until('a receipt sent', () => s.sentIds().length > 0, 2_000)
      await sleep(20)
      assert.deepEqual(s.chat.sent.filter(b => b.ids.length > 0), [{ peer: alice.toString(), ids: [fromAlice.id] }])
    })

    void it('a stranger gets no receipt', async t => {
      const s = await setup(t)
      const mallory = await newPeerId()
      const m = await stored(s.store, mallory)
      s.strangers.add(mallory.toString())
      s.service.markRead(mallory.toString(), [m.id])
      await sleep(50)
      assert.deepEqual(s.chat.sent, [])
    })

    void it('nothing is sent when disabled', async t => {
      const s = await setup(t, { enabled: false })
      const alice = await newPeerId()
      const m = await stored(s.store, alice)
      s.service.markRead(alice.toString(), [m.id])
      await sleep(50)
      assert.deepEqual(s.chat.sent, [])
    })

    void it('bounds the queue per peer: receipts past maxQueued are dropped', async t => {
      const s = await setup(t, { maxQueued: 3 })
      const alice = await newPeerId()
      const bob = await newPeerId()
      const fromAlice = await Promise.all(Array.from({ length: 5 }, async () => stored(s.store, alice)))
      const fromBob = await stored(s.store, bob)
      // hold the first batch on the wire while more receipts queue up behind it
      let release!: () => void
      const held = new Promise<void>(resolve => { release = resolve })
      s.chat.sender = async () => held

      s.service.markRead(alice.toString(), [fromAlice[0]?.id ?? ''])
      await until('the first batch on the wire', () => s.chat.sent.length === 1, 2_000)
      s.service.markRead(alice.toString(), fromAlice.slice(1).map(m => m.id))
      // the queue is full: this one is dropped too
      s.service.markRead(alice.toString(), [fromAlice[0]?.id ?? ''])
      // the bound is per peer
      s.service.markRead(bob.toString(), [fromBob.id])
      release()
      await until('three batches', () => s.sentIds().length === 3, 2_000)
      await sleep(20)
      const batches = s.chat.sent.filter(b => b.peer === alice.toString()).map(b => b.ids)
      assert.deepEqual(batches, [[fromAlice[0]?.id], fromAlice.slice(1, 4).map(m => m.id)])
      assert.deepEqual(s.chat.sent.filter(b => b.peer === bob.toString()).map(b => b.ids), [[fromBob.id]])
    })

    void it('a failed batch is dropped (logged), and later receipts still go out', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const first = await stored(s.store, alice)
      const second = await stored(s.store, alice)
      s.chat.sender = async () => { throw new Error('no session') }
      s.service.markRead(alice.toString(), [first.id])
      await until('a failed send', () => s.chat.sent.length === 1, 2_000)
      await sleep(20)
      s.chat.sender = async () => {}
      s.service.markRead(alice.toString(), [second.id])
      await until('the next batch', () => s.chat.sent.length === 2, 2_000)
      assert.deepEqual(s.chat.sent.map(b => b.ids), [[first.id], [second.id]])
    })

    void it('markRead while stopped sends nothing, and after a restart receipts go out again', async t => {
      const s = await setup(t, {}, false)
      const alice = await newPeerId()
      const early = await stored(s.store, alice)
      const later = await stored(s.store, alice)
      s.service.markRead(alice.toString(), [early.id])
      await sleep(30)
      assert.deepEqual(s.chat.sent, [])

      await start(s.service)
      s.service.markRead(alice.toString(), [later.id])
      await until('a receipt after start', () => s.sentIds().length > 0, 2_000)
      await stop(s.service)
      s.service.markRead(alice.toString(), [early.id])
      await start(s.service)
      s.service.markRead(alice.toString(), [early.id])
      await until('a receipt after the restart', () => s.sentIds().length > 1, 2_000)
      assert.deepEqual(s.sentIds(), [[later.id], [early.id]])
    })
  })

  void describe('incoming', () => {
    void it('a receipt for an unknown id, another peer\'s message or a message we received does nothing', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const bob = await newPeerId()
      const toBob = await stored(s.store, bob, { direction: 'out', status: 'delivered' })
      const fromAlice = await stored(s.store, alice)

      await s.chat.receive(alice, 'f'.repeat(32))
      await s.chat.receive(alice, toBob.id)
      await s.chat.receive(alice, fromAlice.id)
      assert.deepEqual(s.fired, [])
      assert.equal(await statusOf(s.store, toBob), 'delivered')
      assert.equal(await statusOf(s.store, fromAlice), undefined)
    })

    void it('a receipt for our delivered message moves it to read and fires \'read\' once, repeated or concurrent', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const m = await stored(s.store, alice, { direction: 'out', status: 'delivered' })

      await Promise.all([s.chat.receive(alice, m.id), s.chat.receive(alice, m.id)])
      await s.chat.receive(alice, m.id)
      assert.deepEqual(s.fired, [{ type: 'read', id: m.id, by: alice.toString() }])
      assert.equal(await statusOf(s.store, m), 'read')
    })

    for (const status of ['sent', 'pending'] as const) {
      void it(`a receipt that overtook the ack of a ${status} message fires 'delivered' then 'read', each once`, async t => {
        const s = await setup(t)
        const alice = await newPeerId()
        const m = await stored(s.store, alice, { direction: 'out', status })
        assert.equal(s.store.outboxSize(alice.toString()), 1)

        await s.chat.receive(alice, m.id)
        await s.chat.receive(alice, m.id)
        assert.deepEqual(s.fired, [{ type: 'delivered', id: m.id, to: alice.toString() }, { type: 'read', id: m.id, by: alice.toString() }])
        assert.equal(await statusOf(s.store, m), 'read')
        assert.equal(s.store.outboxSize(alice.toString()), 0, 'it left the outbox')
        // the late ack changes nothing
        assert.equal(await s.store.setStatus(alice.toString(), m.id, 'delivered'), undefined)
      })
    }
  })
})
