/**
 * The liveness service against stubs of exactly its components (ping,
 * connection manager, events, delivery, relay keeper, logger) and a real
 * LevelDB store: it watches the peers of delivery's 'queued' and 'message'
 * events, pings them, keeps their last-seen time in the peer book, redials
 * them through the relays, ignores the relays themselves, and a stop()
 * waits for a ping in flight so that nothing writes to the store after it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { start, stop, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { liveness } from '../../src/liveness/index.ts'
import { createStore } from '../../src/store/index.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import { fixture, message } from '../store/helpers.ts'
import type { Delivery, DeliveryEvents } from '../../src/delivery/index.ts'
import type { Liveness, LivenessInit } from '../../src/liveness/index.ts'
import type { RelayKeeper, RelayKeeperEvents } from '../../src/relay/keeper/index.ts'
import type { Store } from '../../src/store/index.ts'
import type { ChatMessage, RoomPost } from '../../src/types.ts'
import type { AbortOptions, Connection, Libp2pEvents, PeerId, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Ping } from '@libp2p/ping'
import type { TestContext } from 'node:test'

/** A real Ed25519 peer id */
async function newPeerId (): Promise<PeerId> {
  return (await newPeer()).id
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

class StubDelivery extends TypedEventEmitter<DeliveryEvents> implements Delivery {
  async send (): Promise<ChatMessage> { throw new Error('not used by liveness') }
  async post (): Promise<RoomPost> { throw new Error('not used by liveness') }
}

class StubRelayKeeper extends TypedEventEmitter<RelayKeeperEvents> implements RelayKeeper {
  readonly relays: PeerId[] = []
  readonly routed: PeerId[] = []
  status (): [] { return [] }
  isRelay (peer: PeerId): boolean { return this.relays.some(r => r.equals(peer)) }
  async routeThroughRelays (peer: PeerId): Promise<void> { this.routed.push(peer) }
}

interface Setup {
  service: Liveness & Startable
  store: Store
  events: TypedEventEmitter<Libp2pEvents>
  delivery: StubDelivery
  keeper: StubRelayKeeper
  /** peers with an open connection */
  connected: Set<string>
  pings: Array<{ peer: PeerId, signal?: AbortSignal }>
  /** what the stub ping answers with */
  pinger: { ping: (peer: PeerId, options: AbortOptions) => Promise<number> }
  /** in order: a routeThroughRelays or a dial, per peer */
  calls: string[]
}

async function setup (t: TestContext, init: LivenessInit = {}): Promise<Setup> {
  // after hooks run in the order they were added: stop the service before the store is closed
  let service: (Liveness & Startable) | undefined
  t.after(async () => { if (service != null) await stop(service) })
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir }))
  await store.open()
  const events = new TypedEventEmitter<Libp2pEvents>()
  const delivery = new StubDelivery()
  const keeper = new StubRelayKeeper()
  const connected = new Set<string>()
  const pings: Setup['pings'] = []
  const calls: string[] = []
  const pinger: Setup['pinger'] = { ping: async () => 12 }
  const origRoute = keeper.routeThroughRelays.bind(keeper)
  keeper.routeThroughRelays = async (peer) => { calls.push(`route ${peer.toString()}`); await origRoute(peer) }

  const connectionManager = {
    getConnections: (peer?: PeerId) => peer != null && connected.has(peer.toString())
      ? [{ remotePeer: peer, remoteAddr: multiaddr(`/ip4/10.0.0.2/tcp/1/p2p/${peer.toString()}`), status: 'open' }] as unknown as Connection[]
      : [],
    openConnection: async (peer: PeerId) => {
      calls.push(`dial ${peer.toString()}`)
      connected.add(peer.toString())
      events.safeDispatchEvent('connection:open', { detail: connectionManager.getConnections(peer)[0] as Connection })
    },
    closeConnections: async (peer: PeerId) => {
      connected.delete(peer.toString())
      events.safeDispatchEvent('peer:disconnect', { detail: peer })
    }
  }
  const ping: Ping = {
    ping: async (target, options = {}) => {
      const peer = target as PeerId // liveness pings by peer id
      pings.push({ peer, signal: options.signal })
      return pinger.ping(peer, options)
    }
  }

  service = liveness({ pingInterval: 10, pingTimeout: 1_000, redialBase: 10, redialCap: 100, ...init })({
    ping,
    connectionManager: connectionManager as unknown as ConnectionManager,
    events,
    logger: defaultLogger(),
    store,
    delivery,
    relayKeeper: keeper,
    contacts: { isContact: () => true, isBlocked: () => false }
  }) as Liveness & Startable
  await start(service)
  return { service, store, events, delivery, keeper, connected, pings, pinger, calls }
}

function chat (peer: PeerId, direction: 'in' | 'out'): ChatMessage {
  return message(peer.toString(), { direction })
}

void describe('liveness service', () => {
  void it('stop() waits for a ping in flight: nothing writes to the store after stop() resolved', async t => {
    const s = await setup(t)
    const peer = await newPeerId()
    const answers: Array<(rtt: number) => void> = []
    // a ping that ignores its signal and answers only when told
    s.pinger.ping = async () => new Promise(resolve => { answers.push(resolve) })
    const writes: Array<{ startedAfterStop: boolean, finishedAfterStop?: boolean }> = []
    let stopResolved = false
    const putPeer = s.store.putPeer.bind(s.store)
    s.store.putPeer = async (update, options) => {
      const w: { startedAfterStop: boolean, finishedAfterStop?: boolean } = { startedAfterStop: stopResolved }
      writes.push(w)
      try {
        return await putPeer(update, options)
      } finally {
        w.finishedAfterStop = stopResolved
      }
    }

    s.connected.add(peer.toString())
    s.delivery.safeDispatchEvent('message', { detail: chat(peer, 'in') })
    await until('a ping in flight', () => s.pings.length > 0, 2_000)

    const stopping = stop(s.service).then(() => { stopResolved = true })
    await sleep(20)
    assert.equal(stopResolved, false, 'stop() waits for the ping')
    assert.ok(s.pings.every(p => p.signal?.aborted === true), 'the ping was told to stop')
    for (const answer of answers) answer(5)
    await stopping
    await s.store.close()
    await sleep(30)
    assert.deepEqual(writes.filter(w => w.startedAfterStop || w.finishedAfterStop !== false), [], 'every write ended before stop() resolved')
  })

  void it('ignores relays: a relay\'s disconnect is not redialled by liveness', async t => {
    const s = await setup(t)
    const relay = await newPeerId()
    s.keeper.relays.push(relay)
    s.delivery.safeDispatchEvent('queued', { detail: chat(relay, 'out') })
    s.events.safeDispatchEvent('peer:disconnect', { detail: relay })
    await sleep(80)
    assert.deepEqual(s.calls, [])
  })

  void it('redials a watched peer that disconnected: through the relays first, then by peer id', async t => {
    const s = await setup(t)
    const peer = await newPeerId()
    const stranger = await newPeerId()
    s.delivery.safeDispatchEvent('queued', { detail: chat(peer, 'out') })
    s.events.safeDispatchEvent('peer:disconnect', { detail: stranger }) // not watched
    s.events.safeDispatchEvent('peer:disconnect', { detail: peer })
    await until('a redial', () => s.calls.length >= 2, 2_000)
    await sleep(50)
    assert.deepEqual(s.calls, [`route ${peer.toString()}`, `dial ${peer.toString()}`])
  })

  void it('hangs up on a watched peer after three missed pings, then redials it', async t => {
    const s = await setup(t)
    const peer = await newPeerId()
    s.pinger.ping = async () => { throw new Error('stream reset') }
    s.connected.add(peer.toString())
    s.delivery.safeDispatchEvent('message', { detail: chat(peer, 'in') })
    await until('a redial', () => s.calls.includes(`dial ${peer.toString()}`), 2_000)
    assert.ok(s.pings.length >= 3)
  })

  void it('pings a peer watched on a \'message\' or \'queued\' event, and keeps its last-seen time in the peer book', async t => {
    const s = await setup(t)
    const sender = await newPeerId()
    const recipient = await newPeerId()
    const idle = await newPeerId()
    for (const p of [sender, recipient, idle]) s.connected.add(p.toString())
    assert.equal(s.service.liveness(sender.toString()), undefined)

    const before = Date.now()
    s.delivery.safeDispatchEvent('message', { detail: chat(sender, 'in') })
    s.delivery.safeDispatchEvent('queued', { detail: chat(recipient, 'out') })
    await until('both pinged', () => s.service.liveness(sender.toString())?.rtt != null && s.service.liveness(recipient.toString())?.rtt != null, 2_000)
    assert.equal(s.service.liveness(sender.toString())?.rtt, 12)
    assert.ok(s.pings.every(p => !p.peer.equals(idle)), 'a connected peer we do not chat with is not pinged')
    assert.equal(s.service.liveness(idle.toString()), undefined)

    await until('last seen in the peer book', async () => (await s.store.getPeer(sender.toString()))?.lastSeen != null, 2_000)
    const stored = await s.store.getPeer(sender.toString())
    assert.ok(stored != null && stored.lastSeen >= before && stored.lastSeen <= Date.now())
  })

  void it('watches nothing more after stop()', async t => {
    const s = await setup(t)
    const peer = await newPeerId()
    s.connected.add(peer.toString())
    await stop(s.service)
    s.delivery.safeDispatchEvent('message', { detail: chat(peer, 'in') })
    s.events.safeDispatchEvent('peer:disconnect', { detail: peer })
    await sleep(50)
    assert.equal(s.service.liveness(peer.toString()), undefined)
    assert.deepEqual(s.pings, [])
    assert.deepEqual(s.calls, [])
  })
})
