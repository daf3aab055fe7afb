/**
 * Builds and runs a securechat node: the libp2p node (TCP, Noise, Yamux,
 * identify, ping, mDNS), the /securechat/1.0.0 service, and the store. This
 * file is glue: it turns libp2p and protocol events into ChatNode events and
 * keeps the peer book and history up to date.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { EmptyMessageError, InvalidMultiaddrError, InvalidPeerIdError, MessageTooLargeError, NodeStoppedError, UnreachablePeerError } from './errors.ts'
import { MAX_CONNECTIONS, MAX_TEXT_BYTES } from './protocol/constants.ts'
import { nicknameProblem } from './protocol/nickname.ts'
import { newMessageId, secureChat } from './protocol/chat.ts'
import { createStore } from './store/index.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { RelayKeeper } from './relay/keeper.ts'
import { lanDiscovery } from './discovery/lan.ts'
import { DeliveryQueue } from './delivery/queue.ts'
import { PeerMonitor } from './liveness/monitor.ts'
import type { IncomingMessage, SecureChat, SecureChatInit } from './protocol/chat.ts'
import type { Store } from './store/index.ts'
import type { ChatMessage, ChatNode, ChatNodeEvents, ConnectionKind, HistoryOptions, PeerView, RelayView, SendOptions } from './types.ts'
import type { AbortOptions, Connection, Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'

/** mDNS service name: securechat nodes only find each other, not every libp2p node on the LAN */
export const MDNS_SERVICE_TAG = '_securechat._udp.local'
export const MDNS_INTERVAL_MS = 5_000
export const DIAL_TIMEOUT_MS = 15_000
/** peers found by mDNS kept in memory until they complete a handshake */
export const MAX_DISCOVERED_PEERS = 256
/** LAN addresses kept and dialled per discovered peer */
export const MAX_DISCOVERED_ADDRS = 8
/** Failures of a peer's session that are its fault, and worth telling the user */
const PROTOCOL_VIOLATIONS = new Set([
  'InvalidHandshakeError', 'InvalidSignatureError', 'StaleHandshakeError', 'UnsupportedPeerKeyError',
  'DecryptionError', 'ReplayError', 'OutOfOrderError', 'InvalidEnvelopeError', 'SessionExhaustedError',
  'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError'
])

/** read receipts waiting to be sent to one peer */
export const MAX_QUEUED_RECEIPTS = 1024

export interface ChatNodeInit {
  /** nickname announced to peers */
  name: string
  dataDir: string
  /** TCP port, 0 for any free port */
  port?: number
  /** IP address to listen on, default 0.0.0.0 */
  host?: string
  relays?: string[]
  /** wraps the at-rest data key (see README) */
  passphrase?: string
  /** discover peers on the LAN by mDNS, default true */
  mdns?: boolean
  /** protocol tuning, for tests */
  chat?: Omit<SecureChatInit, 'nickname' | 'onMessage' | 'onRead' | 'onHandshake' | 'onInboundError'>
  /** delivery tuning, for tests */
  delivery?: { retryBase?: number, retryCap?: number, window?: number }
  /** liveness tuning, for tests */
  liveness?: { pingInterval?: number, redialBase?: number, redialCap?: number }
  /** send read receipts for messages the user has seen (default true) */
  readReceipts?: boolean
  /** outbox bounds: messages awaiting delivery per peer and in total */
  maxOutboxPerPeer?: number
  maxOutboxTotal?: number
}

// a type, not an interface: libp2p's ServiceMap needs an index signature
 
type Services = {
  identify: Identify
  ping: Ping
  dcutr: unknown
  chat: SecureChat
}

function connectionKind (connection: Connection): ConnectionKind {
  return connection.remoteAddr.getComponents().some(c => c.name === 'p2p-circuit') ? 'relayed' : 'direct'
}

/** direct if any of a peer's connections is, else relayed */
function bestKind (connections: Connection[]): ConnectionKind {
  return connections.some(c => connectionKind(c) === 'direct') ? 'direct' : 'relayed'
}

function parsePeer (peer: string): PeerId {
  try {
    return peerIdFromString(peer)
  } catch (err) {
    throw new InvalidPeerIdError(`invalid peer id: ${peer}`, { cause: err })
  }
}

class SecureChatNode extends TypedEventEmitter<ChatNodeEvents> implements ChatNode {
  readonly peerId: string
  readonly name: string
  private readonly libp2p: Libp2p<Services>
  private readonly store: Store
  private readonly keeper: RelayKeeper
  private readonly delivery: DeliveryQueue
  private readonly monitor: PeerMonitor
  private readonly reserved = new Set<string>()
  /** the connection kind last announced per connected peer, so each change is announced once */
  private readonly announced = new Map<string, ConnectionKind>()
  /** peers found by mDNS and not (yet) in the peer book, oldest first */
  private readonly discovered = new Map<string, { addrs: string[], seen: number }>()
  private readonly readReceipts: boolean
  /** receipts not yet sent, per peer; bounded, best effort */
  private readonly receipts = new Map<string, Set<string>>()
  private receiptsFlushing = new Set<string>()
  private stopping?: Promise<void>

  constructor (libp2p: Libp2p<Services>, store: Store, name: string, relays: Multiaddr[], delivery: ChatNodeInit['delivery'] = {}, liveness: ChatNodeInit['liveness'] = {}, readReceipts = true) {
    super()
    this.libp2p = libp2p
    this.store = store
    this.name = name
    this.peerId = libp2p.peerId.toString()
    this.readReceipts = readReceipts
    this.keeper = new RelayKeeper(libp2p, relays, libp2p.logger.forComponent('securechat:relay-keeper'), {
      onCheck: () => { this.updateReservations() }
    })
    this.monitor = new PeerMonitor({
      ...liveness,
      log: libp2p.logger.forComponent('securechat:liveness'),
      ping: async (peer, signal) => this.libp2p.services.ping.ping(peerIdFromString(peer), { signal }),
      dial: async (peer, signal) => {
        const peerId = peerIdFromString(peer)
        await this.addCircuitAddrs(peerId)
        await this.libp2p.dial(peerId, { signal })
      },
      isConnected: (peer) => this.isConnected(peerIdFromString(peer)),
      hangUp: async (peer) => { await this.libp2p.hangUp(peerIdFromString(peer)) },
      onSeen: (peer, seen) => {
        void this.store.putPeer({ peerId: peer, seen: seen.lastSeen }).catch(() => {})
      }
    })
    this.delivery = new DeliveryQueue({
      ...delivery,
      store,
      log: libp2p.logger.forComponent('securechat:delivery'),
      sendBatch: async (peer, messages, options) => {
        const peerId = peerIdFromString(peer)
        await this.addCircuitAddrs(peerId)
        await this.libp2p.services.chat.sendBatch(peerId, messages.map(m => ({ id: m.id, timestamp: m.ts, text: m.text })), options)
      },
      onSent: (m) => { this.safeDispatch('sent', { id: m.id, to: m.peer }) },
      onDelivered: (m) => { this.safeDispatch('delivered', { id: m.id, to: m.peer }) },
      onFailed: (peer, err, firstFailure) => {
        // tell the user once per failure streak; later attempts are only logged
        if (firstFailure) {
          this.safeDispatch('error', {
            code: UnreachablePeerError.name,
            message: `${this.store.outboxSize(peer)} message(s) to ${peer} not delivered yet (${err.name}: ${err.message}); retrying in the background`,
            peer
          })
        }
      }
    })
  }

  relays (): RelayView[] {
    return this.keeper.status()
  }

  addrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  private checkRunning (): void {
    if (this.stopping != null) {
      throw new NodeStoppedError()
    }
  }

  async send (peer: string, text: string, options: SendOptions = {}): Promise<ChatMessage> {
    this.checkRunning()

    if (text.trim() === '') {
      throw new EmptyMessageError()
    }

    if (new TextEncoder().encode(text).byteLength > MAX_TEXT_BYTES) {
      throw new MessageTooLargeError(`message is larger than ${MAX_TEXT_BYTES} bytes`)
    }

    const peerId = parsePeer(peer)

    if (peerId.equals(this.libp2p.peerId)) {
      throw new InvalidPeerIdError('cannot send a message to yourself')
    }

    const message: ChatMessage = {
      id: newMessageId(),
      peer: peerId.toString(),
      direction: 'out',
      from: this.peerId,
      name: this.name,
      text,
      ts: Date.now(),
      status: 'pending'
    }

    if (!await this.store.append(message, options)) {
      // a fresh random 128-bit id already stored: only a broken random source does this
      throw new Error('message id collision')
    }

    this.monitor.watch(message.peer)
    this.delivery.kick(message.peer)
    return message
  }

  markRead (peer: string, ids: string[]): void {
    if (!this.readReceipts || this.stopping != null || ids.length === 0) {
      return
    }

    const queued = this.receipts.get(peer) ?? new Set<string>()

    for (const id of ids) {
      if (queued.size < MAX_QUEUED_RECEIPTS) queued.add(id)
    }

    this.receipts.set(peer, queued)
    void this.flushReceipts(peer)
  }

  /** send the receipts queued for `peer`, one batch at a time; dropped on failure */
  private async flushReceipts (peer: string): Promise<void> {
    if (this.receiptsFlushing.has(peer)) {
      return
    }

    this.receiptsFlushing.add(peer)

    try {
      while (true) {
        const queued = this.receipts.get(peer)
        this.receipts.delete(peer)

        if (queued == null || queued.size === 0 || this.stopping != null) {
          return
        }

        // only messages we really received from that peer
        const ids: string[] = []
        for (const id of queued) {
          const m = await this.store.get(peer, id).catch(() => undefined)
          if (m?.direction === 'in') ids.push(id)
        }

        await this.libp2p.services.chat.sendReceipts(peerIdFromString(peer), ids)
      }
    } catch (err) {
      this.libp2p.logger.forComponent('securechat:receipts')('read receipts to %s dropped - %e', peer, err)
    } finally {
      this.receiptsFlushing.delete(peer)
    }
  }

  async onRead (peer: PeerId, id: string, options: AbortOptions): Promise<void> {
    const key = peer.toString()
    // a receipt for a message we never sent to this peer changes nothing and is ignored
    const change = await this.store.setStatus(key, id, 'read', options)

    if (change == null) {
      return
    }

    if (change.previous !== 'delivered') {
      // the receipt overtook the ack (lost on a broken session): it was delivered too,
      // and the ack, when it comes, changes nothing, so `delivered` still fires once
      this.safeDispatch('delivered', { id, to: key })
    }

    this.safeDispatch('read', { id, by: key })
  }

  private isConnected (peer: PeerId): boolean {
    return this.libp2p.getConnections(peer).some(c => c.status === 'open')
  }

  /** make a peer reachable through our relays too: it reserves on the same ones */
  private async addCircuitAddrs (peerId: PeerId): Promise<void> {
    const circuits = this.keeper.circuitAddrsFor(peerId)

    if (circuits.length > 0) {
      await this.libp2p.peerStore.merge(peerId, { multiaddrs: circuits })
    }
  }

  private safeDispatch<K extends keyof ChatNodeEvents>(type: K, detail: ChatNodeEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail })
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    this.checkRunning()
    const peerId = parsePeer(peer)
    return this.store.history(peerId.toString(), { limit: options.limit, signal: options.signal })
  }

  async peers (options: AbortOptions = {}): Promise<PeerView[]> {
    this.checkRunning()
    const known = await this.store.peers(options)
    const listed = new Set(known.map(p => p.peerId))
    const now = Date.now()

    // LAN peers found by mDNS, and peers connected to us, that have not (yet) proved who they are in a handshake
    for (const [peerId, d] of this.discovered) {
      if (!listed.has(peerId)) {
        listed.add(peerId)
        known.push({ peerId, addrs: d.addrs, firstSeen: d.seen, lastSeen: d.seen })
      }
    }

    for (const connection of this.libp2p.getConnections()) {
      const peerId = connection.remotePeer.toString()

      if (!listed.has(peerId) && !this.keeper.isRelay(connection.remotePeer)) {
        listed.add(peerId)
        known.push({ peerId, addrs: [connection.remoteAddr.toString()], firstSeen: now, lastSeen: now })
      }
    }

    return known
      .filter(p => p.peerId !== this.peerId)
      .map(p => {
        const connections = this.libp2p.getConnections(peerIdFromString(p.peerId)).filter(c => c.status === 'open')
        const liveness = this.monitor.liveness(p.peerId)
        const view: PeerView = {
          peerId: p.peerId,
          name: p.name,
          online: connections.length > 0,
          addrs: p.addrs,
          firstSeen: p.firstSeen,
          lastSeen: Math.max(p.lastSeen, liveness?.lastSeen ?? 0)
        }

        if (liveness?.rtt != null) {
          view.rtt = liveness.rtt
        }

        if (connections.length > 0) {
          view.connection = bestKind(connections)
        }

        return view
      })
  }

  async connect (address: string, options: AbortOptions = {}): Promise<string> {
    this.checkRunning()
    let ma: Multiaddr

    try {
      ma = multiaddr(address)
    } catch (err) {
      throw new InvalidMultiaddrError(`invalid multiaddr: ${address}`, { cause: err })
    }

    const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value

    if (peer == null) {
      throw new InvalidMultiaddrError('multiaddr must end with /p2p/<peer id>')
    }

    const peerId = parsePeer(peer)

    if (peerId.equals(this.libp2p.peerId)) {
      throw new InvalidMultiaddrError('that multiaddr is this node')
    }

    const signal = options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT_MS)
    setMaxListeners(Infinity, signal)

    try {
      await this.libp2p.dial(ma, { signal })
    } catch (err) {
      throw new UnreachablePeerError(`could not reach ${peer}: ${(err as Error).message}`, { cause: err })
    }

    options.signal?.throwIfAborted()
    await this.rememberAddrs(peerId, [ma], true)
    return peerId.toString()
  }

  /**
   * A peer announced itself by mDNS (addresses already filtered to our LAN,
   * see discovery/lan.ts). mDNS is unauthenticated: the peer is kept in memory
   * (bounded) and enters the peer book only once it proves its identity in a
   * securechat handshake, or the user dials it.
   */
  onLanPeer (info: PeerInfo): void {
    const { id, multiaddrs } = info

    if (id.equals(this.libp2p.peerId) || this.keeper.isRelay(id) || this.stopping != null) {
      return
    }

    const peer = id.toString()
    const known = this.discovered.has(peer)
    this.discovered.delete(peer)
    this.discovered.set(peer, { addrs: multiaddrs.map(ma => ma.toString()), seen: Date.now() })

    if (this.discovered.size > MAX_DISCOVERED_PEERS) {
      const oldest = this.discovered.keys().next().value
      if (oldest != null) this.discovered.delete(oldest)
    }

    if (!known) {
      this.safeDispatch('peer', { peerId: peer, status: 'discovered' })
    }

    this.delivery.kick(peer)

    if (!this.isConnected(id)) {
      const signal = AbortSignal.timeout(DIAL_TIMEOUT_MS)
      setMaxListeners(Infinity, signal)
      this.libp2p.dial(multiaddrs.map(ma => withPeerId(ma, peer)), { signal }).catch(() => {
        // not dialable now; messages to it are retried by the delivery queue
      })
    }
  }

  /** wire libp2p events to ChatNode events and the peer book */
  attach (): void {
    this.libp2p.addEventListener('connection:open', (evt) => {
      const connection = evt.detail

      if (this.keeper.isRelay(connection.remotePeer)) {
        return
      }

      const peer = connection.remotePeer.toString()
      this.monitor.connected(peer)
      this.delivery.kick(peer)
      this.announceConnection(connection.remotePeer)
      // only peers already in the peer book (they passed a handshake) are updated on disk
      void this.store.getPeer(peer)
        .then(async known => {
          if (known != null) {
            await this.store.putPeer({ peerId: peer, seen: Date.now() })
          }
        })
        .catch(() => {})
    })

    // the addresses a known peer listens on (identify), kept for dialling it after a restart
    this.libp2p.addEventListener('peer:identify', (evt) => {
      if (!this.keeper.isRelay(evt.detail.peerId)) {
        void this.rememberAddrs(evt.detail.peerId, evt.detail.listenAddrs, false).catch(() => {})
      }
    })

    // a direct connection that closes while a relayed one stays (or the reverse) changes the kind
    this.libp2p.addEventListener('connection:close', (evt) => {
      if (!this.keeper.isRelay(evt.detail.remotePeer) && this.isConnected(evt.detail.remotePeer)) {
        this.announceConnection(evt.detail.remotePeer)
      }
    })

    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      if (this.keeper.isRelay(evt.detail)) {
        return
      }

      const peer = evt.detail.toString()
      this.announced.delete(peer)
      this.monitor.disconnected(peer)
      void this.store.getPeer(peer)
        .then(async p => {
          this.safeDispatch('peer', { peerId: peer, name: p?.name, status: 'disconnected' })

          if (p != null) {
            await this.store.putPeer({ peerId: peer, seen: Date.now() })
          }
        })
        .catch(() => {})
    })
  }

  /** emit `peer connected` when a peer becomes connected or its best connection kind changes */
  private announceConnection (peerId: PeerId): void {
    const connections = this.libp2p.getConnections(peerId).filter(c => c.status === 'open')

    if (connections.length === 0) {
      return
    }

    const peer = peerId.toString()
    const kind = bestKind(connections)

    if (this.announced.get(peer) === kind) {
      return
    }

    this.announced.set(peer, kind)
    void this.store.getPeer(peer)
      .then(p => { this.safeDispatch('peer', { peerId: peer, name: p?.name, status: 'connected', connection: kind }) })
      .catch(() => {})
  }

  /** called once libp2p has started */
  async startServices (): Promise<void> {
    // give libp2p the addresses of the peers we know, so they can be dialled before mDNS finds them again
    for (const p of await this.store.peers()) {
      const addrs = p.addrs.flatMap(a => { try { return [multiaddr(a)] } catch { return [] } })

      if (addrs.length > 0 && p.peerId !== this.peerId) {
        await this.libp2p.peerStore.merge(peerIdFromString(p.peerId), { multiaddrs: addrs }).catch(() => {})
      }
    }

    this.libp2p.addEventListener('self:peer:update', () => { this.updateReservations() })
    this.keeper.start()
    this.monitor.start()
    await this.delivery.start()
  }

  private updateReservations (): void {
    for (const relay of this.keeper.status()) {
      if (relay.reserved && !this.reserved.has(relay.peerId)) {
        this.reserved.add(relay.peerId)
        this.safeDispatch('relay', { peerId: relay.peerId, addr: relay.addr, status: 'reserved' })
        // peers behind the same relay may be reachable again
        void this.delivery.kickAll().catch(() => {})
      } else if (!relay.reserved && this.reserved.has(relay.peerId)) {
        this.reserved.delete(relay.peerId)
        this.safeDispatch('relay', { peerId: relay.peerId, addr: relay.addr, status: 'lost' })
      }
    }
  }

  async onMessage (message: IncomingMessage, options: AbortOptions): Promise<void> {
    const stored: ChatMessage = {
      id: message.id,
      peer: message.from.toString(),
      direction: 'in',
      from: message.from.toString(),
      name: message.nickname,
      text: message.text,
      ts: message.timestamp
    }

    this.monitor.watch(stored.peer)

    if (await this.store.append(stored, options)) {
      this.safeDispatch('message', { id: stored.id, from: stored.from, name: stored.name, text: stored.text, ts: stored.ts })
    }
  }

  onHandshake (peer: PeerId, nickname: string): void {
    void this.store.putPeer({ peerId: peer.toString(), name: nickname, seen: Date.now() })
      .then(async () => {
        // identify usually ran before this first handshake: keep what it learned
        const known = await this.libp2p.peerStore.get(peer).catch(() => undefined)
        await this.rememberAddrs(peer, (known?.addresses ?? []).map(a => a.multiaddr), true)
      })
      .catch(() => {})
  }

  /**
   * Adds `addrs` (the peer's listen addresses, relay circuits left out) to a
   * peer-book entry, newest first, keeping MAX_DISCOVERED_ADDRS; only for
   * peers in the peer book unless `create`.
   */
  private async rememberAddrs (peer: PeerId, addrs: Multiaddr[], create: boolean): Promise<void> {
    const fresh = addrs
      .filter(ma => !ma.getComponents().some(c => c.name === 'p2p-circuit'))
      .map(ma => ma.toString())

    if (fresh.length === 0) {
      return
    }

    const known = await this.store.getPeer(peer.toString())

    if (known == null && !create) {
      return
    }

    const merged = [...new Set([...fresh, ...(known?.addrs ?? [])])].slice(0, MAX_DISCOVERED_ADDRS)
    await this.store.putPeer({ peerId: peer.toString(), addrs: merged, seen: Date.now() })
  }

  /**
   * A peer's session failed. A protocol violation (a forged Hello, a
   * tampered frame, an oversized or overrunning sender) is shown to the user;
   * a peer that merely went away (reset, closed, timed out) is only logged.
   */
  onInboundError (peer: PeerId, err: unknown): void {
    const name = (err as Error | undefined)?.name ?? 'Error'
    const message = (err as Error | undefined)?.message ?? String(err)

    if (this.stopping == null && PROTOCOL_VIOLATIONS.has(name)) {
      this.safeDispatch('error', { code: name, message: `session from ${peer.toString()} rejected: ${message}`, peer: peer.toString() })
    } else {
      this.libp2p.logger.forComponent('securechat:node')('session from %p ended - %s: %s', peer, name, message)
    }
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      try {
        this.keeper.stop()
        this.monitor.stop()
        await this.delivery.stop()
        await this.libp2p.stop()
      } finally {
        await this.store.close()
      }
    })()

    return this.stopping
  }
}

/** `ma` ending in /p2p/<peer>, whether or not it did already */
function withPeerId (ma: Multiaddr, peer: string): Multiaddr {
  return ma.getComponents().findLast(c => c.name === 'p2p')?.value === peer ? ma : ma.encapsulate(`/p2p/${peer}`)
}

function parseRelayAddr (addr: string): Multiaddr {
  let ma: Multiaddr

  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new InvalidMultiaddrError(`invalid relay multiaddr: ${addr}`, { cause: err })
  }

  if (ma.getComponents().findLast(c => c.name === 'p2p') == null) {
    throw new InvalidMultiaddrError(`relay multiaddr must end with /p2p/<relay peer id>: ${addr}`)
  }

  return ma
}

export async function createChatNode (init: ChatNodeInit, options: AbortOptions = {}): Promise<ChatNode> {
  const problem = nicknameProblem(init.name)

  if (problem != null) {
    throw new TypeError(`name ${problem}`)
  }

  const relays = (init.relays ?? []).map(parseRelayAddr)
  const store = createStore({ dataDir: init.dataDir, passphrase: init.passphrase, maxOutboxPerPeer: init.maxOutboxPerPeer, maxOutboxTotal: init.maxOutboxTotal, logger: defaultLogger() })
  await store.open(options)

  try {
    const privateKey = await loadOrCreateIdentity(store, options)
    let node: SecureChatNode | undefined

    const libp2p = await createLibp2p<Services>({
      privateKey,
      start: false,
      addresses: {
        // one discovery-mode circuit listener per relay: see relay/keeper.ts for why
        listen: [`/ip4/${init.host ?? '0.0.0.0'}/tcp/${init.port ?? 0}`, ...relays.map(() => '/p2p-circuit')]
      },
      transports: relays.length > 0 ? [tcp(), circuitRelayTransport()] : [tcp()],
      connectionManager: { maxConnections: MAX_CONNECTIONS },
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: init.mdns === false
        ? []
        : [lanDiscovery({ serviceTag: MDNS_SERVICE_TAG, interval: MDNS_INTERVAL_MS, onPeer: (info) => { node?.onLanPeer(info) } })],
      services: {
        identify: identify(),
        ping: ping(),
        dcutr: dcutr(),
        chat: secureChat({
          ...init.chat,
          nickname: init.name,
          onMessage: async (message, opts) => { await node?.onMessage(message, opts) },
          onHandshake: (peer, nickname) => { node?.onHandshake(peer, nickname) },
          onRead: async (peer, id, opts) => { await node?.onRead(peer, id, opts) },
          onInboundError: (peer, err) => { node?.onInboundError(peer, err) }
        })
      }
    })

    node = new SecureChatNode(libp2p, store, init.name, relays, init.delivery, init.liveness, init.readReceipts ?? true)
    node.attach()
    await libp2p.start()
    await node.startServices()
    return node
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
