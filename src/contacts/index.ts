/**
 * Contacts, a libp2p service: who the user knows. A peer becomes a contact
 * when the user writes to it, accepts its message request or verifies it;
 * messages from anyone else are requests, held in a bounded quarantine
 * until the user accepts or declines them; a blocked peer cannot connect
 * and nothing it sends is stored. Petnames (the user's own names for peers)
 * and the "verified" mark (safety numbers compared) live here too.
 *
 * Trust model: a nickname is what a peer says it is called (display only);
 * a petname is what the user calls it; a peer id is who it is. Nothing a
 * peer chooses decides where a message goes (see src/app/resolve.ts).
 */
import { ContactsService } from './contacts.ts'
import type { RequestSummary, Store } from '../store/index.ts'
import type { AbortOptions, ComponentLogger, PeerId, PeerStore, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** What a peer is to the user: a request is a stranger whose messages are held */
export type PeerRelation = 'contact' | 'request' | 'stranger' | 'blocked'

export interface ContactInfo {
  peerId: string
  relation: PeerRelation
  petname?: string
  verified: boolean
}

export interface SafetyNumber {
  peerId: string
  /** 60 digits */
  number: string
  verified: boolean
}

export interface ContactsEvents {
  /** a peer's relation, petname or verification changed */
  'contact': CustomEvent<ContactInfo>
}

export interface Contacts extends TypedEventTarget<ContactsEvents> {
  relation(peer: string): PeerRelation
  info(peer: string): ContactInfo
  isContact(peer: string): boolean
  isBlocked(peer: string): boolean
  /** peers with held message requests */
  requests(): RequestSummary[]
  /** the user wrote to `peer`: it becomes a contact (its held requests, if any, become history) */
  add(peer: PeerId, options?: AbortOptions): Promise<void>
  /** the quarantine refused a message from `peer` (full): its sender keeps it, and is reconnected on accept so it retries at once */
  noteRefused(peer: string): void
  /** accepts `peer`'s message request; resolves with how many messages were held */
  accept(peer: PeerId, options?: AbortOptions): Promise<number>
  /** drops `peer`'s held messages; it stays a stranger. Resolves with how many were dropped */
  decline(peer: PeerId, options?: AbortOptions): Promise<number>
  /** refuses `peer`'s connections and stores nothing from it; its held messages are dropped */
  block(peer: PeerId, options?: AbortOptions): Promise<void>
  unblock(peer: PeerId, options?: AbortOptions): Promise<void>
  /** sets (or, with null, removes) the user's own name for `peer` */
  setPetname(peer: PeerId, petname: string | null, options?: AbortOptions): Promise<void>
  /** the user compared safety numbers with `peer`: marks it verified (and a contact) */
  verify(peer: PeerId, options?: AbortOptions): Promise<void>
  /** the safety number of this node and `peer` (docs/PROTOCOL.md) */
  safety(peer: PeerId): SafetyNumber
}

export interface ContactsComponents {
  peerId: PeerId
  privateKey: PrivateKey
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
  store: Store
}

export interface ContactsInit {
  /** the value of the peer-store tag that keeps contacts' connections when libp2p prunes @default 100 */
  tagValue?: number
}

export function contacts (init: ContactsInit = {}): (components: ContactsComponents) => Contacts {
  return (components) => new ContactsService(components, init)
}
