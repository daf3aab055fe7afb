/**
 * The relay keeper against stubs of exactly its components (connection
 * manager, address manager, peer store, events, logger): it dials every
 * relay at start, redials with growing backoff after a failed dial or a
 * disconnect, announces each reservation made or lost once, hangs up on a
 * relay that grants none (never while we chat through it), routes peers
 * through the relays, and after stop() dials nothing more.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { start, stop, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { relayKeeper } from '../../src/relay/keeper/index.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import type { RelayKeeper, RelayKeeperEvents, RelayKeeperInit } from '../../src/relay/keeper/index.ts'
import type { AbortOptions, Connection, Libp2pEvents, PeerData, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TestContext } from 'node:test'

/** A real Ed25519 peer id */
async function newPeerId (): Promise<PeerId> {
  return (await newPeer()).id
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** The parts of a Connection the keeper reads */
interface FakeConnection { remotePeer: PeerId, remoteAddr: Multiaddr, status: 'open' | 'closed', limits?: object }

interface Dial { target: Multiaddr, signal?: AbortSignal, at: number }

/** A connection manager that records dials and answers them with `dialer` */
class StubConnectionManager {
  readonly connections: FakeConnection[] = []
  readonly dials: Dial[] = []
  readonly hangUps: PeerId[] = []
  /** connects by default: adds an open connection to the dialled relay */
  dialer: (target: Multiaddr, options: AbortOptions) => Promise<void> = async (target) => { this.connect(target) }

  constructor (private readonly events: TypedEventEmitter<Libp2pEvents>, private readonly peers: Map<string, PeerId>) {}

  connect (addr: Multiaddr, remotePeer?: PeerId): FakeConnection {
    const peer = remotePeer ?? this.peers.get(addr.getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
    assert.ok(peer != null, `no peer for ${addr.toString()}`)
    const connection: FakeConnection = { remotePeer: peer, remoteAddr: addr, status: 'open' }
    this.connections.push(connection)
    return connection
  }

  /** closes every connection to `peer` and says so, as libp2p does */
  drop (peer: PeerId): void {
    for (const c of this.connections.filter(c => c.remotePeer.equals(peer))) {
      c.status = 'closed'
      this.connections.splice(this.connections.indexOf(c), 1)
    }
    this.events.safeDispatchEvent('peer:disconnect', { detail: peer })
  }

  dialsTo (peer: PeerId): Dial[] {
    return this.dials.filter(d => d.target.toString().endsWith(`/p2p/${peer.toString()}`))
  }

  readonly stub = {
    getConnections: (peer?: PeerId): Connection[] =>
      this.connections.filter(c => peer == null || c.remotePeer.equals(peer)) as unknown as Connection[],
    openConnection: async (target: Multiaddr, options: AbortOptions = {}): Promise<Connection> => {
      this.dials.push({ target, signal: options.signal, at: Date.now() })
      await this.dialer(target, options)
      return this.connections.at(-1) as unknown as Connection
    },
    closeConnections: async (peer: PeerId): Promise<void> => {
      this.hangUps.push(peer)
      this.drop(peer)
    }
  }
}

interface Setup {
  keeper: RelayKeeper & Startable
  events: TypedEventEmitter<Libp2pEvents>
  cm: StubConnectionManager
  /** what addressManager.getAddresses() returns */
  addrs: Multiaddr[]
  merged: Array<{ peer: PeerId, data: PeerData }>
  relayEvents: Array<RelayKeeperEvents['relay']['detail']>
  self: PeerId
  /** a 'self:peer:update', as libp2p sends when our addresses change */
  selfUpdate: () => void
}

const ADDR = '/ip4/10.0.0.1/tcp/4001'

function relayAddr (relay: PeerId, i = 1): Multiaddr {
  return multiaddr(`/ip4/10.0.0.${i}/tcp/4001/p2p/${relay.toString()}`)
}

/** A keeper over stubs, stopped after the test; `run: false` leaves it unstarted */
async function setup (t: TestContext, relays: PeerId[], init: RelayKeeperInit = {}, run = true): Promise<Setup> {
  const self = await newPeerId()
  const events = new TypedEventEmitter<Libp2pEvents>()
  const cm = new StubConnectionManager(events, new Map(relays.map(r => [r.toString(), r])))
  const addrs: Multiaddr[] = [multiaddr(`${ADDR}/p2p/${self.toString()}`)]
  const merged: Setup['merged'] = []
  const peerStore = {
    merge: async (peer: PeerId, data: PeerData) => { merged.push({ peer, data }) }
  } as unknown as PeerStore
  const addressManager = { getAddresses: () => [...addrs] } as unknown as AddressManager

  const keeper = relayKeeper({
    relays: relays.map((r, i) => relayAddr(r, i + 1)),
    backoffBase: 10,
    backoffCap: 1_000,
    checkInterval: 10,
    reserveGrace: 40,
    dialTimeout: 1_000,
    ...init
  })({
    connectionManager: cm.stub as unknown as ConnectionManager,
    addressManager,
    peerStore,
    events,
    logger: defaultLogger()
  }) as RelayKeeper & Startable

  const relayEvents: Setup['relayEvents'] = []
  keeper.addEventListener('relay', evt => { relayEvents.push(evt.detail) })
  t.after(async () => { await stop(keeper) })

  if (run) {
    await start(keeper)
  }

  const selfUpdate = (): void => {
    events.safeDispatchEvent('self:peer:update', {
      detail: { peer: { id: self, addresses: [], protocols: [], metadata: new Map(), tags: new Map() } }
    })
  }

  return { keeper, events, cm, addrs, merged, relayEvents, self, selfUpdate }
}

/** our circuit listen address through `relay`, as the address manager lists it once reserved */
function circuitOf (relay: PeerId, self: PeerId, i = 1): Multiaddr {
  return multiaddr(`${relayAddr(relay, i).toString()}/p2p-circuit/p2p/${self.toString()}`)
}

void describe('relay keeper', () => {
  void it('a relay multiaddr without /p2p/ is a TypeError', async t => {
    const factory = relayKeeper({ relays: [multiaddr(ADDR)] })
    const events = new TypedEventEmitter<Libp2pEvents>()
    const cm = new StubConnectionManager(events, new Map())
    assert.throws(() => factory({
      connectionManager: cm.stub as unknown as ConnectionManager,
      addressManager: { getAddresses: () => [] } as unknown as AddressManager,
      peerStore: {} as unknown as PeerStore,
      events,
      logger: defaultLogger()
    }), TypeError)
    // a keeper without relays is fine and does nothing
    const { cm: idle } = await setup(t, [])
    await sleep(30)
    assert.equal(idle.dials.length, 0)
  })

  void it('retries a failed dial with growing backoff', async t => {
    const relay = await newPeerId()
    const s = await setup(t, [relay], { backoffBase: 20, checkInterval: 60_000 }, false)
    s.cm.dialer = async () => { throw new Error('connection refused') }
    await start(s.keeper)

    await until('4 dials of the relay', () => s.cm.dials.length >= 4, 2_000)
    const at = s.cm.dials.map(d => d.at)
    const gaps = at.slice(1).map((a, i) => a - (at[i] ?? 0))
    // attempt n waits in [20 * 2^n / 2, 20 * 2^n]: [10, 20], [20, 40], [40, 80]
    assert.ok((gaps[0] ?? 0) >= 9, `first retry after ${gaps[0]} ms`)
    assert.ok((gaps[1] ?? 0) >= 19, `second retry after ${gaps[1]} ms`)
    assert.ok((gaps[2] ?? 0) >= 39, `third retry after ${gaps[2]} ms`)
    assert.ok((gaps[2] ?? 0) > (gaps[0] ?? 0), `gaps grow: ${gaps.join(', ')}`)
    assert.ok(s.cm.dials.every(d => d.target.toString() === relayAddr(relay).toString()))
    assert.deepEqual(s.keeper.status().map(r => r.connected), [false])
  })

  void it('gives up a dial that hangs after dialTimeout and dials again', async t => {
    const relay = await newPeerId()
    const s = await setup(t, [relay], { dialTimeout: 20, checkInterval: 60_000 }, false)
    const reasons: unknown[] = []
    s.cm.dialer = async (_target, { signal }) => new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => { reasons.push(signal.reason); reject(signal.reason as Error) }, { once: true })
    })
    await start(s.keeper)
    await until('a second dial', () => s.cm.dials.length >= 2, 2_000)
    assert.equal((reasons[0] as Error).name, 'TimeoutError')
  })

  void it('a disconnect of a relay schedules a redial; of another peer, nothing', async t => {
    const relay = await newPeerId()
    const other = await newPeerId()
    const s = await setup(t, [relay], { checkInterval: 60_000 })
    await until('the first dial', () => s.cm.dials.length === 1, 2_000)
    assert.deepEqual(s.keeper.status().map(r => r.connected), [true])

    s.cm.connect(multiaddr(`/ip4/10.0.0.9/tcp/1/p2p/${other.toString()}`), other)
    s.cm.drop(other)
    await sleep(60)
    assert.equal(s.cm.dials.length, 1, 'no dial for a peer that is not a relay')

    s.cm.drop(relay)
    assert.deepEqual(s.keeper.status().map(r => r.connected), [false])
    await until('a redial of the relay', () => s.cm.dialsTo(relay).length === 2, 2_000)
    assert.deepEqual(s.keeper.status().map(r => r.connected), [true])
  })

  void it('hangs up on a relay that grants no reservation, but not while a relayed connection through it is open', async t => {
    const relay = await newPeerId()
    const peer = await newPeerId()
    const s = await setup(t, [relay], { reserveGrace: 40, checkInterval: 10 }, false)
    // a chat through the relay is open from the start
    const circuit = s.cm.connect(multiaddr(`${relayAddr(relay).toString()}/p2p-circuit/p2p/${peer.toString()}`), peer)
    circuit.limits = {}
    await start(s.keeper)
    await until('connected to the relay', () => s.keeper.status()[0]?.connected === true, 2_000)
    const connectedAt = Date.now()

    await sleep(200)
    assert.equal(s.cm.hangUps.length, 0, 'never while we chat through it')

    circuit.status = 'closed'
    await until('a hang-up', () => s.cm.hangUps.length > 0, 2_000)
    assert.ok(s.cm.hangUps.every(p => p.equals(relay)))
    assert.ok(Date.now() - connectedAt >= 40)
    // and it is dialled again, to ask again
    await until('a redial after the hang-up', () => s.cm.dialsTo(relay).length >= 2, 2_000)
  })

  void it('does not hang up before reserveGrace, nor ever on a relay that granted a reservation', async t => {
    const refusing = await newPeerId()
    const granting = await newPeerId()
    const s = await setup(t, [refusing, granting], { reserveGrace: 80, checkInterval: 10 }, false)
    s.addrs.push(circuitOf(granting, s.self, 2))
    const startedAt = Date.now()
    await start(s.keeper)
    await until('a hang-up', () => s.cm.hangUps.length > 0, 2_000)
    assert.ok(Date.now() - startedAt >= 80, `hung up after ${Date.now() - startedAt} ms`)
    await sleep(100)
    assert.ok(s.cm.hangUps.every(p => p.equals(refusing)), 'the reserved relay is kept')
    assert.deepEqual(s.keeper.status().map(r => r.reserved), [false, true])
  })

  void it('dials each configured relay at start, unless already connected', async t => {
    const r1 = await newPeerId()
    const r2 = await newPeerId()
    const r3 = await newPeerId()
    const s = await setup(t, [r1, r2, r3], { checkInterval: 60_000 }, false)
    s.cm.connect(relayAddr(r3, 3))
    await sleep(30)
    assert.equal(s.cm.dials.length, 0, 'nothing before start')

    await start(s.keeper)
    await until('two dials', () => s.cm.dials.length >= 2, 2_000)
    await sleep(30)
    assert.deepEqual(s.cm.dials.map(d => d.target.toString()).sort(), [relayAddr(r1, 1).toString(), relayAddr(r2, 2).toString()].sort())
    assert.ok(s.cm.dials.every(d => d.signal != null), 'each dial has a signal')
    assert.deepEqual(s.keeper.status().map(r => r.connected), [true, true, true])
  })

  void it('announces a reservation once when our addresses gain <relay>/p2p-circuit, and its loss once', async t => {
    const relay = await newPeerId()
    const s = await setup(t, [relay], { checkInterval: 10 })
    s.selfUpdate()
    await sleep(30)
    assert.deepEqual(s.relayEvents, [])

    // a circuit through another relay, or our direct address, is no reservation on this one
    const stranger = await newPeerId()
    s.addrs.push(multiaddr(`/ip4/10.0.0.7/tcp/1/p2p/${stranger.toString()}/p2p-circuit/p2p/${s.self.toString()}`))
    s.selfUpdate()
    assert.deepEqual(s.relayEvents, [])

    const circuit = circuitOf(relay, s.self)
    s.addrs.push(circuit)
    s.selfUpdate()
    s.selfUpdate()
    await sleep(50) // periodic checks look too
    const expected = { peerId: relay.toString(), addr: relayAddr(relay).toString() }
    assert.deepEqual(s.relayEvents, [{ ...expected, status: 'reserved' }])
    assert.deepEqual(s.keeper.status(), [{ ...expected, connected: true, reserved: true }])

    s.addrs.splice(s.addrs.indexOf(circuit), 1)
    s.selfUpdate()
    s.selfUpdate()
    await sleep(50)
    assert.deepEqual(s.relayEvents, [{ ...expected, status: 'reserved' }, { ...expected, status: 'lost' }])
  })

  void it('routeThroughRelays merges one circuit address per relay, none for a relay itself', async t => {
    const r1 = await newPeerId()
    const r2 = await newPeerId()
    const peer = await newPeerId()
    const s = await setup(t, [r1, r2])

    await s.keeper.routeThroughRelays(r1)
    assert.equal(s.merged.length, 0)
    assert.equal(s.keeper.isRelay(r2), true)
    assert.equal(s.keeper.isRelay(peer), false)

    await s.keeper.routeThroughRelays(peer)
    assert.equal(s.merged.length, 1)
    assert.ok(s.merged[0]?.peer.equals(peer))
    assert.deepEqual(s.merged[0]?.data.multiaddrs?.map(ma => ma.toString()), [
      `${relayAddr(r1, 1).toString()}/p2p-circuit/p2p/${peer.toString()}`,
      `${relayAddr(r2, 2).toString()}/p2p-circuit/p2p/${peer.toString()}`
    ])

    const none = await setup(t, [])
    await none.keeper.routeThroughRelays(peer)
    assert.deepEqual(none.merged, [])
  })

  void it('stop() clears its timers, waits for a dial in flight, and then dials nothing more', async t => {
    const hanging = await newPeerId()
    const failing = await newPeerId()
    const s = await setup(t, [hanging, failing], { backoffBase: 10 }, false)
    let release!: () => void
    const released = new Promise<void>(resolve => { release = resolve })
    let signal: AbortSignal | undefined
    s.cm.dialer = async (target, options) => {
      if (target.toString().endsWith(hanging.toString())) {
        signal = options.signal
        // a dial that does not follow its signal at once
        await released
        throw new Error('dial aborted')
      }
      throw new Error('connection refused')
    }
    await start(s.keeper)
    // the failing relay has a redial timer pending, the other one a dial in flight
    await sleep(0)

    let stopped = false
    const stopping = stop(s.keeper).then(() => { stopped = true })
    await sleep(20)
    assert.equal(signal?.aborted, true, 'the dial in flight is aborted')
    assert.equal(stopped, false, 'stop() waits for the dial in flight')
    release()
    await stopping
    const dials = s.cm.dials.length

    s.cm.drop(hanging)
    s.selfUpdate()
    await sleep(100)
    assert.equal(s.cm.dials.length, dials, 'nothing dialled after stop()')
    assert.deepEqual(s.relayEvents, [])
  })
})
