/**
 * Presence, a libp2p service: who is around and how we reach them. It keeps
 * the peer book (nicknames from verified handshakes and signed profiles,
 * listen addresses from identify and dials, first and last seen), holds the
 * peers mDNS announced (unauthenticated, so in memory and bounded until they
 * prove their peer id in a handshake or a profile) and dials them, and
 * reports each change of a peer's state (discovered, connected directly or
 * relayed, disconnected, a connected peer's new nickname) once.
 */
import { PresenceService } from './presence.ts'
import type { Profile } from '../profile/index.ts'
import type { Contacts } from '../contacts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { SecureChat } from '../protocol/index.ts'
import type { Store } from '../store/index.ts'
import type { ConnectionKind, PeerStatus, PeerView } from '../types.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerDiscovery, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface PresenceEvents {
  'peer': CustomEvent<{ peerId: string, name?: string, status: PeerStatus, connection?: ConnectionKind }>
}

export interface Presence extends TypedEventTarget<PresenceEvents> {
  /** every known peer: the peer book, peers mDNS found, and connected peers not (yet) in the book */
  peers(options?: AbortOptions): Promise<Array<Omit<PeerView, 'rtt' | 'relation' | 'verified' | 'petname'>>>
  /** dials a multiaddr ending in /p2p/<peer id>; resolves with that peer id */
  connect(addr: string, options?: AbortOptions): Promise<string>
}

export interface PresenceComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
  store: Store
  chat: SecureChat
  /** signed profiles, fetched when a connection opens: a peer's nickname before its first message */
  profile: Profile
  relayKeeper: RelayKeeper
  /** who is a stranger, for the bound on strangers in the peer book */
  contacts: Pick<Contacts, 'relation'>
  /** LAN discovery (mDNS behind the address filter of discovery/lan.ts) */
  lan: PeerDiscovery
}

export interface PresenceInit {
  /** peers found by mDNS held in memory until they complete a handshake @default 256 */
  maxDiscovered?: number
  /** addresses kept per peer (discovered, or in the peer book) @default 8 */
  maxAddrs?: number
  /** strangers kept in the peer book; past it the least recently seen one goes @default 1000 */
  maxStrangers?: number
  /** one dial (a discovered peer, `connect`) @default 15000 */
  dialTimeout?: number
}

export function presence (init: PresenceInit = {}): (components: PresenceComponents) => Presence {
  return (components) => new PresenceService(components, init)
}
