/**
 * Read receipts, a libp2p service: tells a sender when its messages were
 * displayed (best effort: a receipt that cannot be sent is dropped, the
 * sender's message stays `delivered`), and moves our own messages to `read`
 * when a peer's receipt arrives.
 */
import { ReceiptsService } from './receipts.ts'
import type { Contacts } from '../contacts/index.ts'
import type { SecureChat } from '../protocol/index.ts'
import type { Store } from '../store/index.ts'
import type { ComponentLogger, TypedEventTarget } from '@libp2p/interface'

export interface ReceiptsEvents {
  /** the peer's user displayed an outgoing message: once per message */
  'read': CustomEvent<{ id: string, by: string }>
  /** a receipt overtook the ack of its message (lost on a broken session): it was delivered too */
  'delivered': CustomEvent<{ id: string, to: string }>
}

export interface Receipts extends TypedEventTarget<ReceiptsEvents> {
  /** The user has seen these messages from `peer`: queue a receipt for each (if enabled and `peer` is a contact) */
  markRead(peer: string, ids: readonly string[]): void
}

export interface ReceiptsComponents {
  logger: ComponentLogger
  store: Store
  chat: SecureChat
  /** receipts go to contacts only */
  contacts: Pick<Contacts, 'isContact'>
}

export interface ReceiptsInit {
  /** send receipts for messages the user has seen @default true */
  enabled?: boolean
  /** receipts waiting to be sent to one peer; more are dropped @default 1024 */
  maxQueued?: number
}

export function receipts (init: ReceiptsInit = {}): (components: ReceiptsComponents) => Receipts {
  return (components) => new ReceiptsService(components, init)
}
