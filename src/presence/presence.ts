/**
 * The presence service (public face: index.ts).
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { UnreachablePeerError } from '../errors.ts'
import { bestKind, isRelayed, openConnections, parseMultiaddrs, parsePeerAddr, withPeerId } from '../net/multiaddr.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import type { Presence, PresenceComponents, PresenceEvents, PresenceInit } from './index.ts'
import type { ConnectionKind, PeerView } from '../types.ts'
import type { AbortOptions, Connection, IdentifyResult, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const MAX_DISCOVERED_PEERS = 256
export const MAX_PEER_ADDRS = 8
export const DIAL_TIMEOUT_MS = 15_000

type HandshakeEvent = CustomEvent<{ peer: PeerId, nickname: string }>

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements Presence, Startable {
  readonly [Symbol.toStringTag] = 'securechat:presence'
  readonly [serviceCapabilities]: string[] = ['securechat:presence']
  readonly [serviceDependencies]: string[] = ['securechat:chat', 'securechat:relay-keeper']

  private readonly components: PresenceComponents
  private readonly log: Logger
  private readonly maxDiscovered: number
  private readonly maxAddrs: number
  private readonly dialTimeout: number
  private readonly tasks: BackgroundTasks
  /** peers found by mDNS, oldest first */
  private readonly discovered = new Map<string, { addrs: string[], seen: number }>()
  /** the connection kind last announced per connected peer, so each change is announced once */
  private readonly announced = new Map<string, ConnectionKind>()

  constructor (components: PresenceComponents, init: PresenceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:presence')
    this.maxDiscovered = init.maxDiscovered ?? MAX_DISCOVERED_PEERS
    this.maxAddrs = init.maxAddrs ?? MAX_PEER_ADDRS
    this.dialTimeout = init.dialTimeout ?? DIAL_TIMEOUT_MS
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.tasks.start()
    const { events, chat, lan, store, peerStore, peerId } = this.components

    // the addresses of the peers we know, so they can be dialled before mDNS finds them again
    for (const p of await store.peers()) {
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
    lan.addEventListener('peer', this.onLanPeer)
  }

  async stop (): Promise<void> {
    const { events, chat, lan } = this.components
    events.removeEventListener('connection:open', this.onOpen)
    events.removeEventListener('connection:close', this.onClose)
    events.removeEventListener('peer:disconnect', this.onDisconnect)
    events.removeEventListener('peer:identify', this.onIdentify)
    chat.removeEventListener('handshake', this.onHandshake)
    lan.removeEventListener('peer', this.onLanPeer)
    await this.tasks.stop()
    this.discovered.clear()
    this.announced.clear()
  }

  async peers (options: AbortOptions = {}): Promise<Array<Omit<PeerView, 'rtt'>>> {
    const { store, connectionManager, relayKeeper, peerId: self } = this.components
    const known = await store.peers(options)
    const listed = new Set(known.map(p => p.peerId))
    const now = Date.now()

    // LAN peers found by mDNS, and peers connected to us, that have not (yet) proved who they are in a handshake
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
        const view: Omit<PeerView, 'rtt'> = { peerId: p.peerId, name: p.name, online: connections.length > 0, addrs: p.addrs, firstSeen: p.firstSeen, lastSeen: p.lastSeen }

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
   * securechat handshake, or the user dials it.
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

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const remote = evt.detail

    if (this.components.relayKeeper.isRelay(remote)) {
      return
    }

    const peer = remote.toString()
    this.announced.delete(peer)
    this.tasks.run('peer book: disconnected', async (signal) => {
      const p = await this.components.store.getPeer(peer, { signal })
      this.safeDispatchEvent('peer', { detail: { peerId: peer, name: p?.name, status: 'disconnected' } })

      if (p != null) {
        await this.components.store.putPeer({ peerId: peer, seen: Date.now() }, { signal })
      }
    })
  }

  /** the addresses a known peer listens on (identify), kept for dialling it after a restart */
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, listenAddrs } = evt.detail

    if (!this.components.relayKeeper.isRelay(peerId)) {
      this.tasks.run('peer book: identify', async (signal) => this.rememberAddrs(peerId, listenAddrs, false, { signal }))
    }
  }

  /** the peer proved its peer id and signed its nickname: it enters (or updates) the peer book */
  private readonly onHandshake = (evt: HandshakeEvent): void => {
    const { peer, nickname } = evt.detail
    this.tasks.run('peer book: handshake', async (signal) => {
      await this.components.store.putPeer({ peerId: peer.toString(), name: nickname, seen: Date.now() }, { signal })
      // identify usually ran before this first handshake: keep what it learned
      const known = await this.components.peerStore.get(peer, { signal }).catch(() => undefined)
      await this.rememberAddrs(peer, (known?.addresses ?? []).map(a => a.multiaddr), true, { signal })
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
    this.tasks.run('announce a connection', async (signal) => {
      const p = await this.components.store.getPeer(peer, { signal })
      this.safeDispatchEvent('peer', { detail: { peerId: peer, name: p?.name, status: 'connected', connection: kind } })
    })
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
    await this.components.store.putPeer({ peerId: peer.toString(), addrs: merged, seen: Date.now() }, options)
  }
}
