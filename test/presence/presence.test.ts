/**
 * The presence service against stubs of exactly its components (events,
 * connection manager, peer store, chat, profile, relay keeper, LAN
 * discovery, logger) and a real LevelDB store: LAN announcements (once per
 * peer, bounded, dialled when not connected, never self or a relay), the
 * peer book fed by handshakes, profiles and identify, one 'peer' event per
 * change of state (a connected peer's new name included), libp2p's peer
 * store forgetting a stranger not in the book when it disconnects, the
 * merged peer list, and connect()'s typed errors.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NotFoundError, start, stop, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { presence } from '../../src/presence/index.ts'
import { createStore } from '../../src/store/index.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import { fixture } from '../store/helpers.ts'
import type { PeerRelation } from '../../src/contacts/index.ts'
import type { Presence, PresenceEvents, PresenceInit } from '../../src/presence/index.ts'
import type { Profile, ProfileEvents, RemoteProfile } from '../../src/profile/index.ts'
import type { SecureChat, SecureChatEvents } from '../../src/protocol/index.ts'
import type { RelayKeeper, RelayKeeperEvents } from '../../src/relay/keeper/index.ts'
import type { Store } from '../../src/store/index.ts'
import type { AbortOptions, Connection, DialTarget, IdentifyResult, Libp2pEvents, PeerData, PeerDiscoveryEvents, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TestContext } from 'node:test'

/** A real Ed25519 peer id */
async function newPeerId (): Promise<PeerId> {
  return (await newPeer()).id
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

class StubChat extends TypedEventEmitter<SecureChatEvents> implements SecureChat {
  readonly protocol = '/securechat/test'
  handleMessages (): void {}
  handleReceipts (): void {}
  async sendBatch (): Promise<void> { throw new Error('not used by presence') }
  async sendReceipts (): Promise<void> { throw new Error('not used by presence') }
}

class StubProfile extends TypedEventEmitter<ProfileEvents> implements Profile {
  readonly protocol = '/securechat/profile/test'
  async fetch (): Promise<RemoteProfile> { throw new Error('not used by presence') }
}

class StubRelayKeeper extends TypedEventEmitter<RelayKeeperEvents> implements RelayKeeper {
  readonly relays: PeerId[] = []
  status (): [] { return [] }
  isRelay (peer: PeerId): boolean { return this.relays.some(r => r.equals(peer)) }
  async routeThroughRelays (): Promise<void> {}
}

interface FakeConnection { remotePeer: PeerId, remoteAddr: Multiaddr, status: 'open' | 'closed' }

type PeerEvent = PresenceEvents['peer']['detail']

interface Setup {
  service: Presence & Startable
  self: PeerId
  store: Store
  events: TypedEventEmitter<Libp2pEvents>
  chat: StubChat
  profile: StubProfile
  lan: TypedEventEmitter<PeerDiscoveryEvents>
  keeper: StubRelayKeeper
  connections: FakeConnection[]
  dials: Array<{ target: DialTarget, signal?: AbortSignal }>
  /** how openConnection answers; by default it fails */
  dialer: { dial: (target: DialTarget, options: AbortOptions) => Promise<void> }
  /** what the libp2p peer store knows of each peer's addresses */
  known: Map<string, Multiaddr[]>
  merged: Array<{ peer: string, data: PeerData }>
  /** the peers deleted from the libp2p peer store */
  deleted: string[]
  /** what each peer is to us (contacts.relation); a stranger if not here */
  relations: Map<string, PeerRelation>
  peerEvents: PeerEvent[]
  /** opens a connection and says so, as libp2p does */
  open: (peer: PeerId, addr: string) => FakeConnection
  /** closes it and says so; the last one to the peer also disconnects it */
  close: (connection: FakeConnection) => void
  announce: (peer: PeerId, addrs: string[]) => void
}

const direct = (peer: PeerId, host = '10.0.0.2'): string => `/ip4/${host}/tcp/4001/p2p/${peer.toString()}`
const relayed = (relay: PeerId, peer: PeerId): string => `/ip4/1.2.3.4/tcp/4001/p2p/${relay.toString()}/p2p-circuit/p2p/${peer.toString()}`

async function setup (t: TestContext, init: PresenceInit = {}, before?: (store: Store, self: PeerId) => Promise<void>): Promise<Setup> {
  // after hooks run in the order they were added: stop the service before the store is closed
  let service: (Presence & Startable) | undefined
  t.after(async () => { if (service != null) await stop(service) })
  const fx = await fixture(t)
  const store = fx.track(createStore({ dataDir: fx.dataDir }))
  await store.open()
  const self = await newPeerId()
  await before?.(store, self)

  const events = new TypedEventEmitter<Libp2pEvents>()
  const chat = new StubChat()
  const profile = new StubProfile()
  const lan = new TypedEventEmitter<PeerDiscoveryEvents>()
  const keeper = new StubRelayKeeper()
  const connections: FakeConnection[] = []
  const dials: Setup['dials'] = []
  const dialer: Setup['dialer'] = { dial: async () => { throw new Error('connection refused') } }
  const known = new Map<string, Multiaddr[]>()
  const merged: Setup['merged'] = []
  const deleted: string[] = []
  const relations = new Map<string, PeerRelation>()

  const connectionManager = {
    getConnections: (peer?: PeerId) => connections.filter(c => peer == null || c.remotePeer.equals(peer)) as unknown as Connection[],
    openConnection: async (target: DialTarget, options: AbortOptions = {}) => {
      dials.push({ target, signal: options.signal })
      await dialer.dial(target, options)
    }
  } as unknown as ConnectionManager
  const peerStore = {
    merge: async (peer: PeerId, data: PeerData) => { merged.push({ peer: peer.toString(), data }) },
    delete: async (peer: PeerId) => { deleted.push(peer.toString()) },
    get: async (peer: PeerId) => {
      const addrs = known.get(peer.toString())
      if (addrs == null) throw new NotFoundError('unknown peer')
      return { id: peer, addresses: addrs.map(multiaddr => ({ multiaddr, isCertified: false })), protocols: [], metadata: new Map(), tags: new Map() }
    }
  } as unknown as PeerStore

  service = presence({ maxDiscovered: 8, maxAddrs: 3, dialTimeout: 1_000, ...init })({
    peerId: self, events, connectionManager, peerStore, logger: defaultLogger(), store, chat, profile, relayKeeper: keeper, lan, contacts: { relation: (peer: string) => relations.get(peer) ?? 'stranger' }
  }) as Presence & Startable
  const peerEvents: PeerEvent[] = []
  ;(service as unknown as TypedEventEmitter<PresenceEvents>).addEventListener('peer', evt => { peerEvents.push(evt.detail) })
  await start(service)

  const open = (peer: PeerId, addr: string): FakeConnection => {
    const connection: FakeConnection = { remotePeer: peer, remoteAddr: multiaddr(addr), status: 'open' }
    connections.push(connection)
    events.safeDispatchEvent('connection:open', { detail: connection as unknown as Connection })
    return connection
  }
  const close = (connection: FakeConnection): void => {
    connection.status = 'closed'
    connections.splice(connections.indexOf(connection), 1)
    events.safeDispatchEvent('connection:close', { detail: connection as unknown as Connection })
    if (!connections.some(c => c.remotePeer.equals(connection.remotePeer))) {
      events.safeDispatchEvent('peer:disconnect', { detail: connection.remotePeer })
    }
  }
  const announce = (peer: PeerId, addrs: string[]): void => {
    lan.safeDispatchEvent('peer', { detail: { id: peer, multiaddrs: addrs.map(a => multiaddr(a)) } })
  }

  return { service, self, store, events, chat, profile, lan, keeper, connections, dials, dialer, known, merged, deleted, relations, peerEvents, open, close, announce }
}

function identify (s: Setup, peer: PeerId, addrs: string[]): void {
  const result = { peerId: peer, listenAddrs: addrs.map(a => multiaddr(a)), protocols: [], connection: s.connections[0] } as unknown as IdentifyResult
  s.events.safeDispatchEvent('peer:identify', { detail: result })
}

function handshake (s: Setup, peer: PeerId, nickname: string): void {
  s.chat.safeDispatchEvent('handshake', { detail: { peer, nickname, connection: s.connections[0] as unknown as Connection } })
}

function profileOf (s: Setup, peer: PeerId, nickname: string): void {
  s.profile.safeDispatchEvent('profile', { detail: { peer, nickname } })
}

async function inBook (s: Setup, peer: PeerId): Promise<void> {
  await until(`${peer.toString()} in the peer book`, async () => (await s.store.getPeer(peer.toString())) != null, 2_000)
}

void describe('presence', () => {
  void describe('connect', () => {
    void it('fails with typed errors for our own peer id, a multiaddr without /p2p/, garbage, and an unreachable peer', async t => {
      const s = await setup(t)
      const peer = await newPeerId()
      await assert.rejects(s.service.connect(direct(s.self)), { name: 'UnreachablePeerError' })
      await assert.rejects(s.service.connect('/ip4/10.0.0.2/tcp/4001'), { name: 'InvalidMultiaddrError' })
      await assert.rejects(s.service.connect('not a multiaddr'), { name: 'InvalidMultiaddrError' })
      assert.equal(s.dials.length, 0, 'nothing dialled for those')

      await assert.rejects(s.service.connect(direct(peer)), (err: Error) => err.name === 'UnreachablePeerError' && (err.cause as Error).message === 'connection refused')
      assert.equal(await s.store.getPeer(peer.toString()), undefined, 'an unreachable peer does not enter the peer book')
    })

    void it('rethrows the caller\'s abort, not UnreachablePeerError', async t => {
      const s = await setup(t)
      const peer = await newPeerId()
      s.dialer.dial = async (_target, { signal }) => new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => { reject(new Error('dial aborted')) }, { once: true })
      })
      const controller = new AbortController()
      const reason = new Error('user cancelled')
      setTimeout(() => { controller.abort(reason) }, 10)
      await assert.rejects(s.service.connect(direct(peer), { signal: controller.signal }), (err: unknown) => err === reason)
    })

    void it('dials the address, resolves with its peer id and remembers the address in the peer book', async t => {
      const s = await setup(t)
      const peer = await newPeerId()
      s.dialer.dial = async () => {}
      assert.equal(await s.service.connect(direct(peer)), peer.toString())
      assert.equal(s.dials[0]?.target.toString(), direct(peer))
      assert.ok(s.dials[0]?.signal != null, 'with a timeout')
      assert.deepEqual((await s.store.getPeer(peer.toString()))?.addrs, [direct(peer)])
    })
  })

  void describe('LAN discovery', () => {
    void it('ignores announcements of ourselves and of our relays', async t => {
      const s = await setup(t)
      const relay = await newPeerId()
      s.keeper.relays.push(relay)
      s.announce(s.self, [direct(s.self)])
      s.announce(relay, [direct(relay)])
      await sleep(30)
      assert.deepEqual(s.peerEvents, [])
      assert.deepEqual(s.dials, [])
      assert.deepEqual(await s.service.peers(), [])
    })

    void it('emits \'discovered\' once per peer and dials it only while not connected', async t => {
      const s = await setup(t)
      const peer = await newPeerId()
      const addrs = ['/ip4/10.0.0.2/tcp/4001', '/ip4/10.0.0.3/tcp/4001', '/ip4/10.0.0.4/tcp/4001', '/ip4/10.0.0.5/tcp/4001']
      s.dialer.dial = async () => { s.open(peer, direct(peer)) }
      s.announce(peer, addrs)
      await until('a dial', () => s.dials.length > 0, 2_000)
      s.announce(peer, addrs)
      s.announce(peer, addrs)
      await sleep(30)
      assert.deepEqual(s.peerEvents.filter(e => e.status === 'discovered'), [{ peerId: peer.toString(), status: 'discovered' }])
      assert.equal(s.dials.length, 1, 'connected after the first dial: not dialled again')
      // at most maxAddrs, each ending in the announced peer id
      assert.deepEqual((s.dials[0]?.target as Multiaddr[]).map(ma => ma.toString()), addrs.slice(0, 3).map(a => `${a}/p2p/${peer.toString()}`))
      // mDNS is unauthenticated: no peer book entry until a handshake
      assert.equal(await s.store.getPeer(peer.toString()), undefined)
    })

    void it('keeps at most maxDiscovered peers in memory, dropping the oldest', async t => {
      const s = await setup(t, { maxDiscovered: 2 })
      const [a, b, c] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
      if (a == null || b == null || c == null) throw new Error('unreachable')
      s.announce(a, ['/ip4/10.0.0.2/tcp/1'])
      s.announce(b, ['/ip4/10.0.0.3/tcp/1'])
      s.announce(a, ['/ip4/10.0.0.2/tcp/1']) // a is the most recent again
      s.announce(c, ['/ip4/10.0.0.4/tcp/1']) // b goes
      const listed = (await s.service.peers()).map(p => p.peerId).sort()
      assert.deepEqual(listed, [a.toString(), c.toString()].sort())
      assert.equal(s.peerEvents.filter(e => e.status === 'discovered').length, 3)
    })
  })

  void describe('peer book', () => {
    void it('identify addresses are kept only for peers in the book, relay circuits left out, at most maxAddrs', async t => {
      const s = await setup(t, { maxAddrs: 3 })
      const stranger = await newPeerId()
      const alice = await newPeerId()
      const relay = await newPeerId()
      s.open(stranger, direct(stranger))
      identify(s, stranger, ['/ip4/10.0.0.9/tcp/1'])
      await sleep(30)
      assert.equal(await s.store.getPeer(stranger.toString()), undefined, 'not in the book: nothing stored')

      await s.store.putPeer({ peerId: alice.toString(), name: 'alice', addrs: ['/ip4/10.0.0.1/tcp/1'] })
      identify(s, alice, [relayed(relay, alice), '/ip4/10.0.0.2/tcp/1', '/ip4/10.0.0.3/tcp/1'])
      await until('the new addresses', async () => (await s.store.getPeer(alice.toString()))?.addrs.length === 3, 2_000)
      assert.deepEqual((await s.store.getPeer(alice.toString()))?.addrs, ['/ip4/10.0.0.2/tcp/1', '/ip4/10.0.0.3/tcp/1', '/ip4/10.0.0.1/tcp/1'])

      identify(s, alice, ['/ip4/10.0.0.4/tcp/1', '/ip4/10.0.0.5/tcp/1', '/ip4/10.0.0.6/tcp/1', '/ip4/10.0.0.7/tcp/1'])
      await until('the newest addresses', async () => (await s.store.getPeer(alice.toString()))?.addrs[0] === '/ip4/10.0.0.4/tcp/1', 2_000)
      assert.deepEqual((await s.store.getPeer(alice.toString()))?.addrs, ['/ip4/10.0.0.4/tcp/1', '/ip4/10.0.0.5/tcp/1', '/ip4/10.0.0.6/tcp/1'])
      assert.equal((await s.store.getPeer(alice.toString()))?.name, 'alice', 'the name stays')
    })

    void it('ignores identify of a relay', async t => {
      const relay = await newPeerId()
      const s = await setup(t, {}, async store => { await store.putPeer({ peerId: relay.toString(), addrs: [] }) })
      s.keeper.relays.push(relay)
      identify(s, relay, ['/ip4/10.0.0.2/tcp/1'])
      await sleep(30)
      assert.deepEqual((await s.store.getPeer(relay.toString()))?.addrs, [])
    })

    void it('a handshake puts the peer in the book with its nickname and what identify learned before', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const relay = await newPeerId()
      s.known.set(alice.toString(), [multiaddr('/ip4/10.0.0.2/tcp/1'), multiaddr(relayed(relay, alice))])
      const before = Date.now()
      handshake(s, alice, 'alice')
      await inBook(s, alice)
      await until('its addresses', async () => (await s.store.getPeer(alice.toString()))?.addrs.length === 1, 2_000)
      const p = await s.store.getPeer(alice.toString())
      assert.equal(p?.name, 'alice')
      assert.deepEqual(p.addrs, ['/ip4/10.0.0.2/tcp/1'])
      assert.ok(p.lastSeen >= before)

      // a new nickname replaces the old one; a peer unknown to the peer store is fine
      const bob = await newPeerId()
      handshake(s, alice, 'alice2')
      handshake(s, bob, 'bob')
      await inBook(s, bob)
      await until('the new nickname', async () => (await s.store.getPeer(alice.toString()))?.name === 'alice2', 2_000)
      assert.equal((await s.store.getPeer(bob.toString()))?.name, 'bob')
    })

    void it('loads the book\'s addresses into the peer store at start, never our own', async t => {
      const alice = await newPeerId()
      const s = await setup(t, {}, async (store, self) => {
        await store.putPeer({ peerId: alice.toString(), addrs: ['/ip4/10.0.0.2/tcp/1', 'not a multiaddr'] })
        await store.putPeer({ peerId: self.toString(), addrs: ['/ip4/10.0.0.1/tcp/1'] })
      })
      assert.deepEqual(s.merged.map(m => [m.peer, m.data.multiaddrs?.map(ma => ma.toString())]), [[alice.toString(), ['/ip4/10.0.0.2/tcp/1']]])
    })
  })

  void describe('peer events', () => {
    void it('announces no connection to a relay', async t => {
      const s = await setup(t)
      const relay = await newPeerId()
      s.keeper.relays.push(relay)
      s.close(s.open(relay, direct(relay)))
      await sleep(30)
      assert.deepEqual(s.peerEvents, [])
    })

    void it('emits \'connected\' once per change of kind, and \'disconnected\' with the stored name', async t => {
      const s = await setup(t)
      const alice = await newPeerId()
      const relay = await newPeerId()
      await s.store.putPeer({ peerId: alice.toString(), name: 'alice' })

      const first = s.open(alice, direct(alice))
      const second = s.open(alice, direct(alice, '10.0.0.3'))
      const circuit = s.open(alice, relayed(relay, alice)) // best is still direct
      await until('connected', () => s.peerEvents.length > 0, 2_000)
      await sleep(20)
      assert.deepEqual(s.peerEvents, [{ peerId: alice.toString(), name: 'alice', status: 'connected', connection: 'direct' }])

      s.close(first)
      await sleep(20)
      assert.equal(s.peerEvents.length, 1, 'another direct connection remains')
      s.close(second)
      await until('relayed', () => s.peerEvents.length > 1, 2_000)
      assert.deepEqual(s.peerEvents[1], { peerId: alice.toString(), name: 'alice', status: 'connected', connection: 'relayed' })

      s.close(circuit)
      await until('disconnected', () => s.peerEvents.length > 2, 2_000)
      await sleep(20)
      assert.deepEqual(s.peerEvents.slice(2), [{ peerId: alice.toString(), name: 'alice', status: 'disconnected' }])

      // and connected again, announced again
      s.open(alice, relayed(relay, alice))
      await until('connected again', () => s.peerEvents.length > 3, 2_000)
      assert.deepEqual(s.peerEvents[3], { peerId: alice.toString(), name: 'alice', status: 'connected', connection: 'relayed' })
    })

    void it('a peer not in the book is announced without a name, and its connection does not enter the book', async t => {
      const s = await setup(t)
      const stranger = await newPeerId()
      s.close(s.open(stranger, direct(stranger)))
      await until('two events', () => s.peerEvents.length === 2, 2_000)
      assert.deepEqual(s.peerEvents, [
        { peerId: stranger.toString(), name: undefined, status: 'connected', connection: 'direct' },
        { peerId: stranger.toString(), name: undefined, status: 'disconnected' }
      ])
      assert.equal(await s.store.getPeer(stranger.toString()), undefined)
    })

    void it('forgets in libp2p\'s peer store a disconnected stranger not in the book, never a contact, a peer in the book, a relay or a peer connected again', async t => {
      const s = await setup(t)
      const stranger = await newPeerId()
      const request = await newPeerId()
      const contact = await newPeerId()
      const known = await newPeerId()
      const relay = await newPeerId()
      const back = await newPeerId()
      s.relations.set(request.toString(), 'request')
      s.relations.set(contact.toString(), 'contact')
      s.keeper.relays.push(relay)
      await s.store.putPeer({ peerId: known.toString(), name: 'known' })

      for (const peer of [stranger, request, contact, known, relay]) {
        s.close(s.open(peer, direct(peer)))
      }

      // 'back' disconnects and is connected again before its disconnection is handled
      s.close(s.open(back, direct(back)))
      s.open(back, direct(back, '10.0.0.3'))
      await until('five disconnections', () => s.peerEvents.filter(e => e.status === 'disconnected').length === 5, 2_000)
      await sleep(20)
      assert.deepEqual(s.deleted.sort(), [stranger.toString(), request.toString()].sort())
      assert.equal((await s.store.getPeer(known.toString()))?.name, 'known', 'a peer in the book stays in the book')
    })

    void it('a profile names a connected peer in another \'connected\' event, only when the name is new', async t => {
      const s = await setup(t)
      const bob = await newPeerId()
      const relay = await newPeerId()
      s.known.set(bob.toString(), [multiaddr('/ip4/10.0.0.2/tcp/1')])
      s.open(bob, direct(bob))
      await until('connected', () => s.peerEvents.length === 1, 2_000)
      assert.deepEqual(s.peerEvents[0], { peerId: bob.toString(), name: undefined, status: 'connected', connection: 'direct' })

      profileOf(s, bob, 'bob')
      await until('named', () => s.peerEvents.length === 2, 2_000)
      assert.deepEqual(s.peerEvents[1], { peerId: bob.toString(), name: 'bob', status: 'connected', connection: 'direct' })
      // into the book exactly as a handshake's nickname goes, with what identify learned
      const p = await s.store.getPeer(bob.toString())
      assert.equal(p?.name, 'bob')
      assert.deepEqual(p.addrs, ['/ip4/10.0.0.2/tcp/1'])

      // the same name again (an identify push, the first handshake): nothing new to tell
      profileOf(s, bob, 'bob')
      await sleep(30)
      handshake(s, bob, 'bob')
      await sleep(50)
      assert.equal(s.peerEvents.length, 2)

      // a new name, and a later change of kind carries it too
      profileOf(s, bob, 'bobby')
      await until('renamed', () => s.peerEvents.length === 3, 2_000)
      assert.deepEqual(s.peerEvents[2], { peerId: bob.toString(), name: 'bobby', status: 'connected', connection: 'direct' })
      s.open(bob, relayed(relay, bob))
      s.close(s.connections[0] as FakeConnection)
      await until('relayed', () => s.peerEvents.length === 4, 2_000)
      assert.deepEqual(s.peerEvents[3], { peerId: bob.toString(), name: 'bobby', status: 'connected', connection: 'relayed' })
    })

    void it('a profile of a peer no longer connected goes into the book, with no event', async t => {
      const s = await setup(t)
      const bob = await newPeerId()
      s.close(s.open(bob, direct(bob)))
      await until('disconnected', () => s.peerEvents.length === 2, 2_000)
      profileOf(s, bob, 'bob')
      await until('bob in the book', async () => (await s.store.getPeer(bob.toString()))?.name === 'bob', 2_000)
      await sleep(30)
      assert.equal(s.peerEvents.length, 2)
    })

    void it('emits nothing after stop()', async t => {
      const s = await setup(t)
      const peer = await newPeerId()
      await stop(s.service)
      s.announce(peer, ['/ip4/10.0.0.2/tcp/1'])
      s.close(s.open(peer, direct(peer)))
      handshake(s, peer, 'late')
      profileOf(s, peer, 'late')
      await sleep(30)
      assert.deepEqual(s.peerEvents, [])
      assert.deepEqual(s.dials, [])
      assert.equal(await s.store.getPeer(peer.toString()), undefined)
    })
  })

  void describe('peers()', () => {
    void it('merges the book, LAN peers and connected peers not in the book; never lists self or a relay', async t => {
      const alice = await newPeerId()
      const s = await setup(t, {}, async (store, self) => {
        await store.putPeer({ peerId: alice.toString(), name: 'alice', addrs: ['/ip4/10.0.0.2/tcp/1'], seen: 1_000 })
        await store.putPeer({ peerId: self.toString(), name: 'me' })
      })
      const bob = await newPeerId()
      const carol = await newPeerId()
      const relay = await newPeerId()
      s.keeper.relays.push(relay)
      s.announce(bob, ['/ip4/10.0.0.3/tcp/1'])
      s.announce(alice, ['/ip4/10.0.0.2/tcp/1']) // in the book already: listed once
      s.open(carol, relayed(relay, carol))
      s.open(relay, direct(relay))
      s.open(alice, direct(alice))

      const peers = await s.service.peers()
      const byId = new Map(peers.map(p => [p.peerId, p]))
      assert.deepEqual([...byId.keys()].sort(), [alice.toString(), bob.toString(), carol.toString()].sort())
      assert.equal(peers.length, 3)
      assert.deepEqual(byId.get(alice.toString()), {
        peerId: alice.toString(), name: 'alice', online: true, connection: 'direct', addrs: ['/ip4/10.0.0.2/tcp/1'], firstSeen: 1_000, lastSeen: 1_000
      })
      assert.equal(byId.get(bob.toString())?.online, false)
      assert.deepEqual(byId.get(bob.toString())?.addrs, ['/ip4/10.0.0.3/tcp/1'])
      assert.equal(byId.get(bob.toString())?.connection, undefined)
      assert.equal(byId.get(carol.toString())?.connection, 'relayed')
      assert.deepEqual(byId.get(carol.toString())?.addrs, [relayed(relay, carol)])
    })
  })
})
