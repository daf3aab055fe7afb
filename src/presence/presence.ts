/**
 * The presence service (public face: index.ts).
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { UnreachablePeerError } from '../errors.ts'
import { bestKind, isRelayed, openConnections, parseMultiaddrs, parsePeerAddr, withPeerId } from '../net/multiaddr.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { StrangerBound } from './stranger-bound.ts'
import type { Presence, PresenceComponents, PresenceEvents, PresenceInit } from './index.ts'
import type { StoredPeer } from '../store/index.ts'
import type { ConnectionKind, PeerView } from '../types.ts'
import type { AbortOptions, Connection, IdentifyResult, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const MAX_DISCOVERED_PEERS = 256
/** strangers kept in the peer book (stranger-bound.ts) */
export const MAX_STRANGERS = 1000
export const MAX_PEER_ADDRS = 8
export const DIAL_TIMEOUT_MS = 15_000

/** a chat handshake or a profile: `peer` signed `nickname` */
type NicknameEvent = CustomEvent<{ peer: PeerId, nickname: string }>

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements Presence, Startable {
  readonly [Symbol.toStringTag] = 'securechat:presence'
  readonly [serviceCapabilities]: string[] = ['securechat:presence']
  readonly [serviceDependencies]: string[] = ['securechat:chat', 'securechat:contacts', 'securechat:profile', 'securechat:relay-keeper']

  private readonly components: PresenceComponents
  private readonly log: Logger
  private readonly maxDiscovered: number
  private readonly strangers: StrangerBound
  private readonly maxAddrs: number
  private readonly dialTimeout: number
  private readonly tasks: BackgroundTasks
  /** peers found by mDNS, oldest first */
  private readonly discovered = new Map<string, { addrs: string[], seen: number }>()
  /** the last `peer` announcement begun; the next one is emitted after it */
  private lastAnnouncement: Promise<void> = Promise.resolve()
  /** the connection kind last announced per connected peer, so each change is announced once */
  private readonly announced = new Map<string, ConnectionKind>()
  /**
   * The nickname a connected peer signed last in this run, known before the
   * peer-book write lands, so that no 'connected' event carries an older one
   */
  private readonly names = new Map<string, string>()

  constructor (components: PresenceComponents, init: PresenceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:presence')
    this.maxDiscovered = init.maxDiscovered ?? MAX_DISCOVERED_PEERS
    this.strangers = new StrangerBound(init.maxStrangers ?? MAX_STRANGERS)
    this.maxAddrs = init.maxAddrs ?? MAX_PEER_ADDRS
    this.dialTimeout = init.dialTimeout ?? DIAL_TIMEOUT_MS
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.tasks.start()
    const { events, chat, profile, lan, store, peerStore, peerId } = this.components

    const book = await store.peers()
    this.strangers.load(book.filter(p => p.relation == null && p.petname == null && p.verified !== true))

    // the addresses of the peers we know, so they can be dialled before mDNS finds them again
    for (const p of book) {
      const addrs = parseMultiaddrs(p.addrs)

      if (addrs.length > 0 && p.peerId !== peerId.toString()) {
        await peerStore.merge(peerIdFromString(p.peerId), { multiaddrs: addrs }).catch(() => {})
      }
    }

    events.addEventListener('connection:open', this.onOpen)
    events.addEventListener('connection:close', this.onClose)
    events.addEventListener('peer:disconnect', this.onDisconnect)
    events.addEventListener('peer:identify', this.onIdentify)
    chat.addEventListener('handshake', this.onHandshake)
    profile.addEventListener('profile', this.onProfile)
    lan.addEventListener('peer', this.onLanPeer)
  }

  async stop (): Promise<void> {
    const { events, chat, profile, lan } = this.components
    events.removeEventListener('connection:open', this.onOpen)
    events.removeEventListener('connection:close', this.onClose)
    events.removeEventListener('peer:disconnect', this.onDisconnect)
    events.removeEventListener('peer:identify', this.onIdentify)
    chat.removeEventListener('handshake', this.onHandshake)
    profile.removeEventListener('profile', this.onProfile)
    lan.removeEventListener('peer', this.onLanPeer)
    await this.tasks.stop()
    this.lastAnnouncement = Promise.resolve()
    this.discovered.clear()
    this.announced.clear()
    this.names.clear()
  }

  async peers (options: AbortOptions = {}): Promise<Array<Omit<PeerView, 'rtt' | 'relation' | 'verified' | 'petname'>>> {
    const { store, connectionManager, relayKeeper, peerId: self } = this.components
    const known = await store.peers(options)
    const listed = new Set(known.map(p => p.peerId))
    const now = Date.now()

    // LAN peers found by mDNS, and peers connected to us, that have not (yet) proved who they are in a handshake or profile
    for (const [peerId, d] of this.discovered) {
      if (!listed.has(peerId)) {
        listed.add(peerId)
        known.push({ peerId, addrs: d.addrs, firstSeen: d.seen, lastSeen: d.seen })
      }
    }

    for (const connection of connectionManager.getConnections()) {
      const peerId = connection.remotePeer.toString()

      if (!listed.has(peerId) && !relayKeeper.isRelay(connection.remotePeer)) {
        listed.add(peerId)
        known.push({ peerId, addrs: [connection.remoteAddr.toString()], firstSeen: now, lastSeen: now })
      }
    }

    return known
      .filter(p => p.peerId !== self.toString())
      .map(p => {
        const connections = openConnections(connectionManager.getConnections(peerIdFromString(p.peerId)))
        const view: Omit<PeerView, 'rtt' | 'relation' | 'verified' | 'petname'> = { peerId: p.peerId, name: p.name, online: connections.length > 0, addrs: p.addrs, firstSeen: p.firstSeen, lastSeen: p.lastSeen }

        if (connections.length > 0) {
          view.connection = bestKind(connections)
        }

        return view
      })
  }

  async connect (addr: string, options: AbortOptions = {}): Promise<string> {
    const { ma, peerId } = parsePeerAddr(addr)

    if (peerId.equals(this.components.peerId)) {
      throw new UnreachablePeerError('that multiaddr is this node')
    }

    try {
      await this.components.connectionManager.openConnection(ma, { signal: options.signal ?? AbortSignal.timeout(this.dialTimeout) })
    } catch (err) {
      options.signal?.throwIfAborted()
      throw new UnreachablePeerError(`could not reach ${peerId.toString()}: ${(err as Error).message}`, { cause: err })
    }

    await this.rememberAddrs(peerId, [ma], true, options)
    return peerId.toString()
  }

  private isConnected (peer: PeerId): boolean {
    return openConnections(this.components.connectionManager.getConnections(peer)).length > 0
  }

  /**
   * A peer announced itself by mDNS (addresses already filtered to our LAN,
   * see discovery/lan.ts). mDNS is unauthenticated: the peer is kept in memory
   * (bounded) and enters the peer book only once it proves its identity in a
   * securechat handshake or a signed profile, or the user dials it.
   */
  private readonly onLanPeer = (evt: CustomEvent<PeerInfo>): void => {
    const { id, multiaddrs } = evt.detail

    if (id.equals(this.components.peerId) || this.components.relayKeeper.isRelay(id)) {
      return
    }

    const peer = id.toString()
    const known = this.discovered.has(peer)
    this.discovered.delete(peer)
    this.discovered.set(peer, { addrs: multiaddrs.map(ma => ma.toString()).slice(0, this.maxAddrs), seen: Date.now() })

    if (this.discovered.size > this.maxDiscovered) {
      const oldest = this.discovered.keys().next().value
      if (oldest != null) this.discovered.delete(oldest)
    }

    if (!known) {
      this.safeDispatchEvent('peer', { detail: { peerId: peer, status: 'discovered' } })
    }

    if (!this.isConnected(id)) {
      // not dialable now: messages to it are retried by delivery, and the next announcement dials again
      this.tasks.run('dial a LAN peer', async (signal) => this.components.connectionManager.openConnection(
        multiaddrs.slice(0, this.maxAddrs).map(ma => withPeerId(ma, peer)), { signal: signalWithTimeout(this.dialTimeout, signal) }))
    }
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    const remote = evt.detail.remotePeer

    if (this.components.relayKeeper.isRelay(remote)) {
      return
    }

    this.announceConnection(remote)
    // only peers already in the peer book (they passed a handshake) are updated on disk
    this.tasks.run('peer book: seen', async (signal) => this.touch(remote, signal))
  }

  /** a direct connection that closes while a relayed one stays (or the reverse) changes the kind */
  private readonly onClose = (evt: CustomEvent<Connection>): void => {
    const remote = evt.detail.remotePeer

    if (!this.components.relayKeeper.isRelay(remote) && this.isConnected(remote)) {
      this.announceConnection(remote)
    }
  }

  /**
   * The peer's last connection closed: its last seen in the peer book, or,
   * for a stranger not in the peer book, libp2p's peer store forgets it
   * (identify wrote it there): it would otherwise keep every peer id that
   * ever connected.
   */
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const remote = evt.detail

    if (this.components.relayKeeper.isRelay(remote)) {
      return
    }

    const peer = remote.toString()
    this.announced.delete(peer)
    this.names.delete(peer)
    this.announce('announce a disconnection', async (signal) => {
      const p = await this.components.store.getPeer(peer, { signal })

      if (p != null) {
        await this.components.store.putPeer({ peerId: peer, seen: Date.now() }, { signal })
      } else if (this.components.contacts.relation(peer) !== 'contact' && !this.isConnected(remote)) {
        await this.components.peerStore.delete(remote, { signal }).catch((err: Error) => { this.log('could not forget %p - %e', remote, err) })
      }

      return { peerId: peer, name: p?.name, status: 'disconnected' }
    })
  }

  /** the addresses a known peer listens on (identify), kept for dialling it after a restart */
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, listenAddrs } = evt.detail

    if (!this.components.relayKeeper.isRelay(peerId)) {
      this.tasks.run('peer book: identify', async (signal) => this.rememberAddrs(peerId, listenAddrs, false, { signal }))
    }
  }

  /** the peer proved its peer id and signed its nickname in a chat handshake */
  private readonly onHandshake = (evt: NicknameEvent): void => {
    this.learnNickname(evt.detail.peer, evt.detail.nickname, 'handshake')
  }

  /** the peer's signed profile, fetched when the connection opened: its nickname before any message */
  private readonly onProfile = (evt: NicknameEvent): void => {
    this.learnNickname(evt.detail.peer, evt.detail.nickname, 'profile')
  }

  /**
   * A nickname signed by `peer`: the peer enters (or updates) the peer book,
   * and if it is connected and the name is new, faces hear of it in a
   * 'connected' event.
   */
  private learnNickname (peer: PeerId, nickname: string, source: string): void {
    const key = peer.toString()

    if (this.announced.has(key)) {
      this.names.set(key, nickname)
    }

    this.tasks.run(`peer book: ${source}`, async (signal) => {
      const before = await this.components.store.getPeer(key, { signal })
      const stored = await this.components.store.putPeer({ peerId: key, name: nickname, seen: Date.now() }, { signal })
      await this.bound(stored, signal)
      // identify usually ran before the first handshake or profile: keep what it learned
      const known = await this.components.peerStore.get(peer, { signal }).catch(() => undefined)
      await this.rememberAddrs(peer, (known?.addresses ?? []).map(a => a.multiaddr), true, { signal })
      const kind = this.announced.get(key)

      if (kind != null && before?.name !== nickname) {
        this.safeDispatchEvent('peer', { detail: { peerId: key, name: nickname, status: 'connected', connection: kind } })
      }
    })
  }

  /** emits `peer connected` when a peer becomes connected or its best connection kind changes */
  private announceConnection (remote: PeerId): void {
    const connections = openConnections(this.components.connectionManager.getConnections(remote))

    if (connections.length === 0) {
      return
    }

    const peer = remote.toString()
    const kind = bestKind(connections)

    if (this.announced.get(peer) === kind) {
      return
    }

    this.announced.set(peer, kind)
    this.announce('announce a connection', async (signal) => {
      const p = await this.components.store.getPeer(peer, { signal })
      return { peerId: peer, name: this.names.get(peer) ?? p?.name, status: 'connected', connection: kind }
    })
  }

  /**
   * Emits the `peer` event `lookup` builds (it may read the store), after
   * every announcement begun before it: a connection that opens and closes
   * at once is announced connected, then disconnected, never the reverse.
   */
  private announce (what: string, lookup: (signal: AbortSignal) => Promise<PresenceEvents['peer']['detail'] | undefined>): void {
    const previous = this.lastAnnouncement
    const done = Promise.withResolvers<void>()
    this.lastAnnouncement = done.promise
    this.tasks.run(what, async (signal) => {
      try {
        const detail = await lookup(signal)
        await previous

        if (detail != null && !signal.aborted) {
          this.safeDispatchEvent('peer', { detail })
        }
      } finally {
        done.resolve()
      }
    })
  }

  /** keeps the strangers in the peer book within maxStrangers (stranger-bound.ts) */
  private async bound (p: StoredPeer, signal: AbortSignal): Promise<void> {
    if (p.relation != null || p.petname != null || p.verified === true) {
      this.strangers.forget(p.peerId)
      return
    }

    for (const evicted of this.strangers.admit(p.peerId, p.lastSeen)) {
      // a contact made since the peer book was read stays
      if (this.components.contacts.relation(evicted) === 'stranger' || this.components.contacts.relation(evicted) === 'request') {
        await this.components.store.deletePeer(evicted, { signal })
      }
    }
  }

  private async touch (peer: PeerId, signal: AbortSignal): Promise<void> {
    if (await this.components.store.getPeer(peer.toString(), { signal }) != null) {
      await this.components.store.putPeer({ peerId: peer.toString(), seen: Date.now() }, { signal })
    }
  }

  /**
   * Adds `addrs` (the peer's listen addresses, relay circuits left out) to a
   * peer-book entry, newest first, keeping maxAddrs; only for peers in the
   * peer book unless `create`.
   */
  private async rememberAddrs (peer: PeerId, addrs: Multiaddr[], create: boolean, options: AbortOptions): Promise<void> {
    const fresh = addrs.filter(ma => !isRelayed(ma)).map(ma => ma.toString())

    if (fresh.length === 0) {
      return
    }

    const known = await this.components.store.getPeer(peer.toString(), options)

    if (known == null && !create) {
      return
    }

    const merged = [...new Set([...fresh, ...(known?.addrs ?? [])])].slice(0, this.maxAddrs)
    const stored = await this.components.store.putPeer({ peerId: peer.toString(), addrs: merged, seen: Date.now() }, options)

    if (known == null && options.signal != null) {
      await this.bound(stored, options.signal)
    }
  }
}
