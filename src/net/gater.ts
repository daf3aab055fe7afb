/**
 * Connection fairness, the libp2p glue: a ConnectionGater that asks the
 * policy (fairness.ts) at every gate where the remote peer id is known, in
 * both directions, and rate-limits direct inbound connections per remote IP
 * address where it is not yet known.
 *
 * Where each rule bites:
 * - a dial of ours (denyDialPeer), a relay's offer of a relayed connection
 *   (denyInboundRelayedConnection, before any handshake), and the end of
 *   each Noise handshake: cheap refusals of what is already over a limit;
 * - the last gate, after the muxer is chosen (deny*UpgradedConnection): the
 *   exact one. libp2p counts the connection in the same turn of the event
 *   loop, so a connection admitted here is held as "in flight" until the
 *   next turn; otherwise several upgrades finishing together would all see
 *   the same count and overshoot the budget.
 * - the per-IP rate (denyInboundConnection) applies to direct connections
 *   only: a relayed connection's address is the relay's, shared by every
 *   peer behind it, contacts included. It replaces libp2p's
 *   `inboundConnectionThreshold`, which counts relayed ones too.
 * - the handshakes in progress (handshakes.ts), also before the peer id is
 *   known: at most a few per remote IP for direct connections
 *   (denyInboundConnection), more per relay for relayed ones (checked cheaply
 *   when the relay offers one, denyInboundRelayedConnection, and exactly at
 *   denyInboundConnection), released at the next gate of that connection
 *   (denyInbound{Encrypted,Upgraded}Connection) or when it closes. libp2p
 *   holds a pending slot for each, shared by contacts and strangers alike.
 */
import { logger } from '@libp2p/logger'
import { RateLimiter } from '@libp2p/utils'
import { INBOUND_CONNECTIONS_PER_IP_PER_SECOND, MAX_CONNECTIONS_PER_PEER, MAX_PENDING_HANDSHAKES_PER_IP, MAX_PENDING_HANDSHAKES_PER_RELAY, MAX_STRANGER_CONNECTIONS } from './constants.ts'
import { checkLimits, refusal } from './fairness.ts'
import { PendingHandshakes } from './handshakes.ts'
import { ipOf, isRelayed, peerIdOf } from './multiaddr.ts'
import { MAX_CONNECTIONS } from '../protocol/constants.ts'
import type { ConnectionCounts, FairnessLimits, PeerKind } from './fairness.ts'
import type { PendingHandshakesInit } from './handshakes.ts'
import type { Connection, ConnectionGater, Logger, MultiaddrConnection, PeerId } from '@libp2p/interface'

/** What the gater reads of the node: libp2p and its services */
export interface FairnessPeers {
  /** what `peer` is to us */
  kind(peer: PeerId): PeerKind
  /** the connections libp2p holds */
  connections(): Connection[]
}

export interface FairnessInit {
  /** our connection budget @default 128 (MAX_CONNECTIONS) */
  maxConnections?: number
  /** connections strangers may hold together @default 96 (MAX_STRANGER_CONNECTIONS, or maxConnections if lower) */
  maxStrangerConnections?: number
  /** connections one peer id may hold @default 4 */
  maxConnectionsPerPeer?: number
  /** direct inbound connection attempts per remote IP address per second @default 5 */
  inboundConnectionsPerIp?: number
  /** direct inbound connections one remote IP address may have in their handshake at once @default 4 */
  pendingHandshakesPerIp?: number
  /** relayed inbound connections in their handshake at once through one relay @default 16 */
  pendingHandshakesPerRelay?: number
}

export interface FairnessGaterInit extends FairnessInit {
  /** how handshakes in progress are tracked: `timeout` is libp2p's inbound upgrade timeout @default { timeout: 3000 } */
  handshakes?: PendingHandshakesInit
  /**
   * The node, once it exists: libp2p builds its connection gater before the
   * services the gater consults, so it is read late. Until it returns one,
   * every connection is refused.
   */
  peers: () => FairnessPeers | undefined
  log?: Logger
}

/** The limits of `init`, defaults filled in; TypeError if they make no sense */
export function fairnessLimits (init: FairnessInit = {}): FairnessLimits {
  const maxConnections = init.maxConnections ?? MAX_CONNECTIONS

  return checkLimits({
    maxConnections,
    maxStrangerConnections: init.maxStrangerConnections ?? Math.min(MAX_STRANGER_CONNECTIONS, maxConnections),
    maxConnectionsPerPeer: init.maxConnectionsPerPeer ?? MAX_CONNECTIONS_PER_PEER
  })
}

export function fairnessGater (init: FairnessGaterInit): ConnectionGater {
  return new FairnessGater(init)
}

class FairnessGater implements ConnectionGater {
  private readonly limits: FairnessLimits
  private readonly peers: () => FairnessPeers | undefined
  private readonly log: Logger
  private readonly perIp: RateLimiter
  private readonly perIpPerSecond: number
  private readonly handshakes: PendingHandshakes
  private readonly handshakesPerIp: number
  private readonly handshakesPerRelay: number
  /** admitted at the last gate in this turn of the event loop, not yet counted by libp2p */
  private readonly inFlight: Array<{ peer: string, kind: PeerKind }> = []

  constructor (init: FairnessGaterInit) {
    this.limits = fairnessLimits(init)
    this.peers = init.peers
    this.log = init.log ?? logger('securechat:fairness')
    const perIp = init.inboundConnectionsPerIp ?? INBOUND_CONNECTIONS_PER_IP_PER_SECOND

    if (!Number.isInteger(perIp) || perIp < 1) {
      throw new TypeError('inboundConnectionsPerIp must be a positive integer')
    }

    this.perIpPerSecond = perIp
    this.perIp = new RateLimiter({ points: perIp, duration: 1 })
    this.handshakesPerIp = init.pendingHandshakesPerIp ?? MAX_PENDING_HANDSHAKES_PER_IP
    this.handshakesPerRelay = init.pendingHandshakesPerRelay ?? MAX_PENDING_HANDSHAKES_PER_RELAY

    if (![this.handshakesPerIp, this.handshakesPerRelay].every(n => Number.isInteger(n) && n >= 1)) {
      throw new TypeError('pending handshake limits must be positive integers')
    }

    this.handshakes = new PendingHandshakes(init.handshakes)
  }

  denyDialPeer (peer: PeerId): boolean {
    return this.deny(peer, 'dial to')
  }

  denyInboundConnection (maConn: MultiaddrConnection): boolean {
    if (isRelayed(maConn.remoteAddr)) {
      // the relay is the last peer id before the circuit
      const relay = peerIdOf(maConn.remoteAddr.decapsulate('/p2p-circuit'))
      return relay != null && this.denyHandshake(relayKey(relay), maConn, this.handshakesPerRelay)
    }

    const ip = ipOf(maConn.remoteAddr)

    if (ip == null) {
      return false
    }

    try {
      this.perIp.consume(ip)
    } catch {
      this.log('refused connection from %a - more than %d a second from %s', maConn.remoteAddr, this.perIpPerSecond, ip)
      return true
    }

    return this.denyHandshake(`ip/${ip}`, maConn, this.handshakesPerIp)
  }

  denyInboundRelayedConnection (relay: PeerId, remote: PeerId): boolean {
    if (this.deny(remote, 'relayed connection from')) {
      return true
    }

    // before the relay is told yes; denyInboundConnection counts it exactly
    if (this.handshakes.count(relayKey(relay.toString())) >= this.handshakesPerRelay) {
      this.log('refused relayed connection from %p - %d handshakes in progress through %p', remote, this.handshakesPerRelay, relay)
      return true
    }

    return false
  }

  denyOutboundConnection (peer: PeerId): boolean {
    return this.deny(peer, 'connection to')
  }

  denyInboundEncryptedConnection (peer: PeerId, maConn: MultiaddrConnection): boolean {
    this.handshakes.release(maConn)
    return this.deny(peer, 'connection from')
  }

  denyOutboundEncryptedConnection (peer: PeerId): boolean {
    return this.deny(peer, 'connection to')
  }

  denyInboundUpgradedConnection (peer: PeerId, maConn: MultiaddrConnection): boolean {
    // released already unless the connection skipped encryption
    this.handshakes.release(maConn)
    return this.deny(peer, 'connection from', true)
  }

  denyOutboundUpgradedConnection (peer: PeerId): boolean {
    return this.deny(peer, 'connection to', true)
  }

  /** true if `source` has `max` handshakes in progress; otherwise `maConn` counts as one until it ends */
  private denyHandshake (source: string, maConn: MultiaddrConnection, max: number): boolean {
    if (this.handshakes.admit(source, maConn, max)) {
      return false
    }

    this.log('refused connection from %a - %d handshakes in progress from %s', maConn.remoteAddr, max, source)
    return true
  }

  /** true if `peer` may not have one more connection; with `last`, an admitted one is held in flight */
  private deny (peer: PeerId, what: string, last = false): boolean {
    const peers = this.peers()

    if (peers == null) {
      this.log('refused %s %p - the node is not built yet', what, peer)
      return true
    }

    const kind = peers.kind(peer)
    const why = refusal(kind, this.count(peer, peers), this.limits)

    if (why != null) {
      this.log('refused %s %p (%s) - %s', what, peer, kind, why)
      return true
    }

    if (last) {
      this.hold(peer.toString(), kind)
    }

    return false
  }

  private count (peer: PeerId, peers: FairnessPeers): ConnectionCounts {
    const key = peer.toString()
    const kinds = new Map<string, PeerKind>()
    const counts: ConnectionCounts = { peer: 0, strangers: 0, total: 0 }
    const add = (remote: string, kind: PeerKind): void => {
      counts.total++
      counts.peer += remote === key ? 1 : 0
      counts.strangers += kind === 'stranger' || kind === 'blocked' ? 1 : 0
    }

    for (const connection of peers.connections()) {
      const remote = connection.remotePeer.toString()
      let kind = kinds.get(remote)

      if (kind == null) {
        kind = peers.kind(connection.remotePeer)
        kinds.set(remote, kind)
      }

      add(remote, kind)
    }

    for (const admitted of this.inFlight) {
      add(admitted.peer, admitted.kind)
    }

    return counts
  }

  private hold (peer: string, kind: PeerKind): void {
    if (this.inFlight.length === 0) {
      setImmediate(() => { this.inFlight.length = 0 }).unref()
    }

    this.inFlight.push({ peer, kind })
  }
}

function relayKey (relay: string): string {
  return `relay/${relay}`
}
