/**
 * The relay keeper, a libp2p service: keeps this node connected to its
 * configured relays so that its reservations (and /p2p-circuit addresses)
 * come back after a relay restarts or a link drops, and reports each
 * reservation made or lost. Other services ask it whether a peer is one of
 * our relays and to make a peer reachable through them.
 */
import { RelayKeeperService } from './keeper.ts'
import type { RelayView } from '../../types.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RelayKeeperEvents {
  /** a reservation on a configured relay was made or lost */
  'relay': CustomEvent<{ peerId: string, addr: string, status: 'reserved' | 'lost' }>
}

export interface RelayKeeper extends TypedEventTarget<RelayKeeperEvents> {
  /** the configured relays, whether we are connected and hold a reservation */
  status(): RelayView[]
  /** whether `peer` is one of the configured relays */
  isRelay(peer: PeerId): boolean
  /** adds to the peer store the circuit addresses at which `peer` is reachable through our relays */
  routeThroughRelays(peer: PeerId, options?: AbortOptions): Promise<void>
}

export interface RelayKeeperComponents {
  connectionManager: ConnectionManager
  addressManager: AddressManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface RelayKeeperInit {
  /** relay multiaddrs, each ending in /p2p/<relay peer id> @default [] */
  relays?: Multiaddr[]
  /** first redial delay, doubled per failure @default 1000 */
  backoffBase?: number
  /** longest redial delay @default 30000 */
  backoffCap?: number
  /** how often reservations are checked @default 5000 */
  checkInterval?: number
  /** connected without a reservation this long (plus backoff): hang up and ask again @default 15000 */
  reserveGrace?: number
  /** one dial of a relay @default 10000 */
  dialTimeout?: number
}

export function relayKeeper (init: RelayKeeperInit = {}): (components: RelayKeeperComponents) => RelayKeeper {
  return (components) => new RelayKeeperService(components, init)
}
