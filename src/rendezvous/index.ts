/**
 * Rendezvous, two libp2p services speaking /rendezvous/1.0.0 as the libp2p
 * specification defines it (libp2p/specs, rendezvous/README.md): the
 * server, which the relay runs, holds registrations (a peer, a namespace,
 * its signed peer record, a TTL) and answers REGISTER, DISCOVER (paged by
 * cookie) and UNREGISTER; the client, which a chat node runs, registers
 * itself with a relay and discovers who else registered in a namespace.
 * Rooms derive namespaces from room secrets, so the relay never learns a
 * room's name (docs/PROTOCOL.md, "Rendezvous").
 *
 * Written by hand from the spec: no maintained implementation exists for
 * js-libp2p v3 (what npm has speaks another protocol id, on the v2 API).
 * The classes are private (server.ts, client.ts); the pure parts are
 * registrations.ts (the in-memory table), cookie.ts, record.ts (signed
 * peer records), quota.ts (request buckets, sender addresses) and
 * point.ts (request in, response out).
 *
 * Our server deviates from the spec in a registration's lifetime: at most
 * 30 min (not 72 h), and only while its peer stays connected to the point.
 */
import { RendezvousClientService } from './client.ts'
import { RendezvousServerService } from './server.ts'
import type { Clock } from '../util/clock.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RendezvousServer {
  readonly protocol: string
  /** registrations held, expired ones not yet swept included */
  registrationCount(): number
}

export interface RendezvousServerComponents {
  registrar: Registrar
  /** 'peer:disconnect': a peer's registrations go with its last connection */
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface RendezvousServerInit {
  /** shortest TTL granted, seconds @default 120 */
  minTtl?: number
  /** longest TTL granted, seconds; at most 259200 (72 h, the spec's bound) @default 1800 (30 min: constants.ts MAX_TTL_S) */
  maxTtl?: number
  /** TTL of a REGISTER that names none, seconds; within [minTtl, maxTtl] @default 1800 (or the nearest bound) */
  defaultTtl?: number
  /** registrations one peer may hold; beyond: E_NOT_AUTHORIZED @default 128 */
  maxRegistrationsPerPeer?: number
  /** registrations the peers connected from one IPv4 address or IPv6 /64 may hold; beyond: E_NOT_AUTHORIZED @default 512 */
  maxRegistrationsPerAddress?: number
  /** registrations one namespace may hold; beyond: E_UNAVAILABLE @default 1000 */
  maxRegistrationsPerNamespace?: number
  /** registrations held in total; beyond: E_UNAVAILABLE @default 10000 */
  maxRegistrations?: number
  /** registrations per DISCOVER when it names no limit; at most maxDiscoverLimit @default 100 (or maxDiscoverLimit) */
  defaultDiscoverLimit?: number
  /** registrations per DISCOVER at most (a larger limit is clamped) @default 100 */
  maxDiscoverLimit?: number
  /** requests (REGISTER, DISCOVER, UNREGISTER) one connection may make in a burst; beyond: E_UNAVAILABLE after overRatePause @default 256 */
  requestBurst?: number
  /** requests per second refilling a connection's burst @default 8 */
  requestRate?: number
  /** requests the connections from one IPv4 address or IPv6 /64 may make in a burst, together @default 1024 */
  addressRequestBurst?: number
  /** requests per second refilling an address's burst @default 32 */
  addressRequestRate?: number
  /** ms a request over the rate waits before it is refused (an UNREGISTER: served); below timeout @default 1000 (or half the timeout, if less) */
  overRatePause?: number
  /** ms between sweeps of expired registrations (and of the request buckets of addresses gone quiet) @default 60000 */
  sweepInterval?: number
  /** ms each read of a request and each write of a response may take @default 10000 */
  timeout?: number
  /** concurrent inbound rendezvous streams per connection @default 4 */
  maxInboundStreams?: number
  /** what expiry and request rates are measured against; tests pass a fake @default realClock */
  clock?: Clock
}

export function rendezvousServer (init: RendezvousServerInit = {}): (components: RendezvousServerComponents) => RendezvousServer {
  return (components) => new RendezvousServerService(components, init)
}

/** One registration a DISCOVER returned, its signed peer record verified */
export interface DiscoveredPeer {
  peerId: PeerId
  /** the addresses the peer signed, without /p2p/<peer id> */
  multiaddrs: Multiaddr[]
  /** seconds it stays registered, as the point said */
  ttl: number
}

export interface DiscoverResult {
  registrations: DiscoveredPeer[]
  /** hand back to the next discover of the same namespace on the same point to get only what came after; opaque */
  cookie?: Uint8Array
}

export interface RegisterOptions extends AbortOptions {
  /** seconds, 1 to 259200 (the spec's bound); the point refuses one outside its own (ours: 120 to 1800) @default the point's (ours: 1800) */
  ttl?: number
  /**
   * The addresses to sign into the peer record the point stores and hands
   * to anyone who discovers the namespace, e.g. only our circuit address
   * through that relay; a trailing /p2p/<our peer id> is dropped. Not
   * empty (TypeError); the record must stay within 2048 bytes, some 30
   * circuit addresses, or the point refuses it. @default our current
   * addresses (AddressManager.getAddresses(), private ones included)
   */
  addresses?: Multiaddr[]
}

export interface DiscoverOptions extends AbortOptions {
  /** registrations wanted at most, 1 to 1000; the point may return fewer (ours: at most 100) @default 100 */
  limit?: number
  /** from the previous discover of this namespace on this point */
  cookie?: Uint8Array
}

export interface RendezvousClient {
  readonly protocol: string
  /**
   * Registers us in `namespace` on `point` with a peer record of our
   * current addresses (or `options.addresses`), signed now, replacing our
   * registration there; resolves with the TTL granted, seconds. The point
   * keeps it while we stay connected to it, at most that TTL. Rejects
   * with the refusal's RendezvousRefusedError subclass
   * (src/rendezvous/errors.ts: RendezvousUnavailableError when over the
   * point's request rate or full, RegistrationNotAuthorizedError when we
   * or our address hold too many), an InvalidRendezvousMessageError, a
   * framing error or a TimeoutError.
   */
  register(point: PeerId, namespace: string, options?: RegisterOptions): Promise<number>
  /**
   * The peers registered in `namespace` on `point`, each record's
   * signature checked here: registrations whose record does not verify,
   * does not name its signer, is not signed with an Ed25519 key, or is
   * for another namespace are dropped. Rejects as register does; with an
   * InvalidCookieError when the point no longer knows `options.cookie`
   * (it restarted, say): drop the cookie and discover again without one.
   */
  discover(point: PeerId, namespace: string, options?: DiscoverOptions): Promise<DiscoverResult>
  /** Removes our registration in `namespace` on `point`; the point does not answer, so this resolves once the request is sent */
  unregister(point: PeerId, namespace: string, options?: AbortOptions): Promise<void>
}

export interface RendezvousClientComponents {
  privateKey: PrivateKey
  addressManager: AddressManager
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface RendezvousClientInit {
  /** ms one whole operation may take, unless the caller passes a signal @default 10000 */
  timeout?: number
  /** ms the point has to close its side of a stream once we closed ours (after its response), before we abort it @default 2000 */
  closeTimeout?: number
  /** concurrent outbound rendezvous streams per connection @default 4 */
  maxOutboundStreams?: number
}

export function rendezvousClient (init: RendezvousClientInit = {}): (components: RendezvousClientComponents) => RendezvousClient {
  return (components) => new RendezvousClientService(components, init)
}
