/**
 * Reliable delivery, a libp2p service: an outgoing message is stored (with
 * its outbox entry) in one synced batch before anything is sent, and each
 * peer's outbox is drained in order by the queue (queue.ts) until every
 * message is acknowledged; an incoming message is stored durably before the
 * protocol acks it, and shown once (deduplicated by (peer, id)).
 */
import { DeliveryService } from './delivery.ts'
import type { Contacts } from '../contacts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { SecureChat } from '../protocol/index.ts'
import type { Store } from '../store/index.ts'
import type { Rooms } from '../rooms/index.ts'
import type { ChatMessage, RoomPost } from '../types.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerDiscovery, PeerId, TypedEventTarget } from '@libp2p/interface'

export interface DeliveryEvents {
  /** an outgoing message was stored and queued (status `pending`) */
  'queued': CustomEvent<ChatMessage>
  /**
   * an incoming message was stored for the first time: show it (`request`:
   * from a peer who is not a contact; `room`: a room message, the room's name)
   */
  'message': CustomEvent<ChatMessage & { request?: true, room?: string }>
  /** an outgoing message's frame went out to `to`; its ack is awaited (`room`: a room message's room name) */
  'sent': CustomEvent<{ id: string, to: string, room?: string }>
  /** `to` acknowledged (durably stored) an outgoing message: once per message, for a room message once per member */
  'delivered': CustomEvent<{ id: string, to: string, room?: string }>
  /** delivery to a peer started failing (once per failure streak); it is retried with backoff */
  'failing': CustomEvent<{ peer: string, error: Error, outbox: number }>
}

export interface Delivery extends TypedEventTarget<DeliveryEvents> {
  /**
   * Stores `text` durably as a `pending` message to `peer` and queues it;
   * `peer` becomes a contact. Resolves with the stored message. Throws
   * EmptyMessageError, MessageTooLargeError, InvalidPeerIdError (ourselves),
   * BlockedPeerError, OutboxFullError.
   */
  send(peer: PeerId, text: string, options?: AbortOptions): Promise<ChatMessage>
  /**
   * Stores `text` durably as a message to the joined room `room` (named as
   * joined or by id), with the room's next Lamport clock, waiting for every
   * proven member that is not blocked, and queues it for each. Throws
   * UnknownRoomError, EmptyMessageError, MessageTooLargeError,
   * OutboxFullError.
   */
  post(room: string, text: string, options?: AbortOptions): Promise<RoomPost>
}

export interface DeliveryComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  store: Store
  chat: SecureChat
  relayKeeper: RelayKeeper
  contacts: Contacts
  /** LAN discovery: an announcement retries that peer's outbox at once */
  lan: PeerDiscovery
  /** the rooms joined and their proven members; a room left drops its waiting messages */
  rooms: Pick<Rooms, 'find' | 'byId' | 'addEventListener' | 'removeEventListener'>
}

export interface DeliveryInit {
  /** our nickname, stored with our outgoing messages @default '' */
  nickname?: string
  /** messages per batch, so at most in flight per peer @default 32 */
  window?: number
  /** first retry delay, doubled per failure @default 1000 */
  retryBase?: number
  /** longest retry delay @default 60000 */
  retryCap?: number
}

export function delivery (init: DeliveryInit = {}): (components: DeliveryComponents) => Delivery {
  return (components) => new DeliveryService(components, init)
}
