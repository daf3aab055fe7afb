/**
 * The securechat relay: a libp2p node running the circuit relay v2 server
 * (plus identify and ping). It introduces peers that cannot reach each other
 * directly and forwards their bytes, which stay encrypted end to end by Noise
 * and by /securechat/1.0.0: the relay can read neither.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { InvalidMultiaddrError } from '../errors.ts'
import { loadOrCreateIdentity } from '../identity.ts'
import { ipOf, tcpListenAddr } from '../net/multiaddr.ts'
import { rendezvousServer } from '../rendezvous/index.ts'
import { createStore } from '../store/index.ts'
import { IpConnectionLimiter } from './ip-limiter.ts'
import {
  RELAY_DATA_LIMIT_BYTES, RELAY_DEFAULT_PORT, RELAY_DURATION_LIMIT_MS, RELAY_INBOUND_CONNECTION_THRESHOLD,
  RELAY_MAX_CONNECTIONS, RELAY_MAX_CONNECTIONS_PER_IP, RELAY_MAX_INBOUND_HOP_STREAMS, RELAY_MAX_RESERVATIONS,
  RELAY_RESERVATION_TTL_MS, RELAY_SOCKET_INACTIVITY_TIMEOUT_MS
} from './constants.ts'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Identify } from '@libp2p/identify'
import type { AbortOptions, Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { RendezvousServer } from '../rendezvous/index.ts'
import type { Store } from '../store/index.ts'

export interface RelayLimits {
  maxReservations?: number
  reservationTtl?: number
  /** ms a relayed connection may stay open */
  durationLimit?: number
  /** bytes a relayed connection may carry (each direction) */
  dataLimit?: bigint
  maxConnections?: number
  maxConnectionsPerIp?: number
  /** new inbound connections per second from one IP address */
  inboundConnectionThreshold?: number
  /** ms a client connection may be silent both ways before the relay closes it (and frees its reservation) */
  socketInactivityTimeout?: number
}

export interface RelayInit extends RelayLimits {
  dataDir: string
  port?: number
  host?: string
  /** addresses to advertise instead of the listen addresses (public IP, DNS name) */
  announce?: string[]
  passphrase?: string
}

export interface RelayNodeEvents {
  reservation: CustomEvent<{ peerId: string, expiry: number }>
}

 
type RelayServices = {
  identify: Identify
  ping: Ping
  relay: CircuitRelayService
  /** room members meet here under namespaces that do not name their rooms (docs/PROTOCOL.md, "Rendezvous") */
  rendezvous: RendezvousServer
}

export interface RelayNode extends TypedEventEmitter<RelayNodeEvents> {
  readonly peerId: string
  /** full multiaddrs clients use, each ending in /p2p/<relay peer id> */
  addrs(): string[]
  /** reservations currently held */
  reservationCount(): number
  /** rendezvous registrations currently held (expired ones not yet swept included) */
  registrationCount(): number
  stop(): Promise<void>
}

class SecureChatRelay extends TypedEventEmitter<RelayNodeEvents> implements RelayNode {
  readonly peerId: string
  private stopping?: Promise<void>

  /** peers whose reservation we have reported, so each new one is reported once */
  private readonly reported = new Set<string>()

  constructor (private readonly libp2p: Libp2p<RelayServices>, private readonly store: Store) {
    super()
    this.peerId = libp2p.peerId.toString()
    // The relay server declares a 'relay:reservation' event but (4.2.x) never
    // dispatches it. It does tag every peer it grants a reservation in the
    // peer store, which fires 'peer:update': look at its reservations then.
    libp2p.addEventListener('peer:update', (evt) => { this.checkReservation(evt.detail.peer.id) })
    libp2p.addEventListener('peer:disconnect', (evt) => {
      // A reservation is only usable over the connection that made it, yet the
      // library keeps it for its whole TTL: a client could take every slot and
      // leave. Free the slot as soon as its holder disconnects, so slots stay
      // bounded by the per-IP connection limit.
      // Stop its expiry timer first: when it fires, the library deletes
      // whatever reservation the peer holds by then, a newer one included.
      libp2p.services.relay.reservations.get(evt.detail)?.signal.clear()
      libp2p.services.relay.reservations.delete(evt.detail)
      this.checkReservation(evt.detail)
    })
  }

  private checkReservation (peerId: PeerId): void {
    // a PeerMap lookup: a scan of every reservation on every peer:update made admitting N clients O(N²)
    const reservation = this.libp2p.services.relay.reservations.get(peerId)
    const peer = peerId.toString()

    if (reservation == null) {
      this.reported.delete(peer)
      return
    }

    if (!this.reported.has(peer)) {
      this.reported.add(peer)
      this.safeDispatchEvent('reservation', { detail: { peerId: peer, expiry: reservation.expiry.getTime() } })
    }
  }

  addrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  reservationCount (): number {
    return this.libp2p.services.relay.reservations.size
  }

  registrationCount (): number {
    return this.libp2p.services.rendezvous.registrationCount()
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.libp2p.stop()
      } finally {
        await this.store.close()
      }
    })()
    return this.stopping
  }
}

export async function createRelayNode (init: RelayInit, options: AbortOptions = {}): Promise<RelayNode> {
  const announce = (init.announce ?? []).map(a => {
    try {
      return multiaddr(a).toString()
    } catch (err) {
      throw new InvalidMultiaddrError(`invalid --announce multiaddr: ${a}`, { cause: err })
    }
  })

  const store = createStore({ dataDir: init.dataDir, passphrase: init.passphrase, logger: defaultLogger() })
  await store.open(options)

  try {
    const privateKey = await loadOrCreateIdentity(store, options)
    const limiter = new IpConnectionLimiter(init.maxConnectionsPerIp ?? RELAY_MAX_CONNECTIONS_PER_IP)

    const libp2p = await createLibp2p<RelayServices>({
      privateKey,
      start: false,
      addresses: {
        listen: [tcpListenAddr(init.host ?? '0.0.0.0', init.port ?? RELAY_DEFAULT_PORT)],
        announce
      },
      transports: [tcp({ inboundSocketInactivityTimeout: init.socketInactivityTimeout ?? RELAY_SOCKET_INACTIVITY_TIMEOUT_MS })],
      connectionEncrypters: [noise()],
      // No yamux keep-alive from the relay (see connectionMonitor below): its
      // pings go out every 30 s whether answered or not, and a write counts
      // as activity, so a dead client's socket would never be idle (closed
      // only after ~15 minutes of TCP retransmissions, and never if its
      // kernel still acknowledges, as a frozen process's does). A client's
      // own keep-alive pings are still answered.
      streamMuxers: [yamux({ enableKeepAlive: false })],
      connectionManager: {
        maxConnections: init.maxConnections ?? RELAY_MAX_CONNECTIONS,
        inboundConnectionThreshold: init.inboundConnectionThreshold ?? RELAY_INBOUND_CONNECTION_THRESHOLD
      },
      // The relay does not ping its clients. libp2p's connection monitor
      // opens a ping stream on every connection at once every 10 s: at 1,000
      // reservations that churn kept the relay at 337 MiB resident, against
      // 198 MiB without it (both with the Docker image's 2 MiB young
      // generation; README "Benchmarks", bench/relay.ts, issue 10).
      // Clients keep themselves alive instead: a securechat node's own
      // connection monitor pings its relay every 10 s. One that dies, freezes
      // or loses its network goes silent, the TCP transport closes a socket
      // silent both ways for RELAY_SOCKET_INACTIVITY_TIMEOUT_MS, and
      // 'peer:disconnect' above frees its reservation.
      connectionMonitor: { enabled: false },
      connectionGater: {
        // loopback and private ranges are the normal case for a relay on a LAN or in a container
        denyDialMultiaddr: () => false,
        denyInboundConnection: (maConn) => {
          const ip = ipOf(maConn.remoteAddr)
          return ip != null && !limiter.allows(ip)
        }
      },
      services: {
        identify: identify(),
        ping: ping(),
        relay: circuitRelayServer({
          maxInboundHopStreams: RELAY_MAX_INBOUND_HOP_STREAMS,
          reservations: {
            maxReservations: init.maxReservations ?? RELAY_MAX_RESERVATIONS,
            reservationTtl: init.reservationTtl ?? RELAY_RESERVATION_TTL_MS,
            applyDefaultLimit: true,
            defaultDurationLimit: init.durationLimit ?? RELAY_DURATION_LIMIT_MS,
            defaultDataLimit: init.dataLimit ?? RELAY_DATA_LIMIT_BYTES
          }
        }),
        rendezvous: rendezvousServer()
      }
    })

    libp2p.addEventListener('connection:open', (evt) => {
      const ip = ipOf(evt.detail.remoteAddr)
      if (ip != null) limiter.opened(ip)
    })
    libp2p.addEventListener('connection:close', (evt) => {
      const ip = ipOf(evt.detail.remoteAddr)
      if (ip != null) limiter.closed(ip)
    })

    const relay = new SecureChatRelay(libp2p, store)
    await libp2p.start()
    return relay
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
