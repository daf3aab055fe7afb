/**
 * Liveness, a libp2p service: pings the peers we chat with while connected
 * (round-trip time, last seen), drops a connection that stops answering and
 * redials a peer that went away, with backoff. The policy is the monitor
 * (monitor.ts); this service feeds it libp2p's events.
 */
import { LivenessService } from './liveness.ts'
import type { Liveness as PeerLiveness } from './monitor.ts'
import type { Contacts } from '../contacts/index.ts'
import type { Delivery } from '../delivery/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { Store } from '../store/index.ts'
import type { ComponentLogger, Libp2pEvents, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Ping } from '@libp2p/ping'

export type { PeerLiveness }

export interface Liveness {
  /** round-trip time and last answer of a peer we chat with, if watched */
  liveness(peer: string): PeerLiveness | undefined
}

export interface LivenessComponents {
  ping: Ping
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  store: Store
  delivery: Delivery
  relayKeeper: RelayKeeper
  contacts: Pick<Contacts, 'isContact' | 'isBlocked'>
}

export interface LivenessInit {
  /** @default 15000 */
  pingInterval?: number
  /** @default 5000 */
  pingTimeout?: number
  /** first redial delay @default 2000 */
  redialBase?: number
  /** longest redial delay @default 60000 */
  redialCap?: number
  /** peers watched at most; the least recently active is dropped @default 64 */
  maxPeers?: number
}

export function liveness (init: LivenessInit = {}): (components: LivenessComponents) => Liveness {
  return (components) => new LivenessService(components, init)
}
