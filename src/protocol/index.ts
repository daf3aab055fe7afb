/**
 * The /securechat/1.0.0 protocol as a libp2p service: its public face.
 * Other services send through `sendBatch`/`sendReceipts`, set the one
 * handler of received messages and receipts, and listen to `handshake` and
 * `session:error`. The class is private (chat.ts); the pure handshake and
 * session cipher are in handshake.ts and session.ts, the order of reads and
 * writes in wire.ts.
 */
import { SecureChatService } from './chat.ts'
import type { AbortOptions, ComponentLogger, Connection, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface SecureChatComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
}

/** A verified, decrypted, validated chat message from a peer */
export interface IncomingMessage {
  from: PeerId
  /** the nickname the sender signed in this session's handshake */
  nickname: string
  id: string
  timestamp: number
  text: string
  /** a room message: the room's id (not checked against the rooms joined: the handler does) and its Lamport clock */
  room?: RoomStamp
  connection: Connection
}

/** What makes a message a room message on the wire */
export interface RoomStamp {
  /** 32 lower-case hex characters */
  id: string
  clock: number
}

export interface OutgoingMessage {
  id: string
  timestamp: number
  text: string
  /** sent as a room message (a ROOM envelope) */
  room?: RoomStamp
}

export interface SendBatchOptions extends AbortOptions {
  /** a message's frame is on the stream */
  onWritten?: (id: string) => void
  /**
   * the peer acknowledged a message; called in order, not awaited before
   * the next ack is reported (so that their writes can be grouped), awaited
   * before the batch resolves
   */
  onAck?: (id: string) => Promise<void> | void
}

/** What a MessageHandler did with a run of messages */
export interface MessagesStored {
  /** how many of the run, from its start, are stored (or were already) */
  stored: number
  /** when stored < the run's length: why the next one could not be */
  error?: Error
}

/**
 * Stores a run of received messages durably, in order: every message of one
 * session that arrived while the previous run was being stored. An ack goes
 * out for each of the first `stored`, after it resolves. Past them no ack
 * is sent and the stream is reset (the sender retries later, from there);
 * a handler that throws stored none.
 */
export type MessageHandler = (messages: IncomingMessage[], options: AbortOptions) => Promise<MessagesStored>

/**
 * Handles one read receipt: `peer` displayed our message `id`. Acked after it
 * resolves; an id we never sent to that peer must be ignored.
 */
export type ReceiptHandler = (peer: PeerId, id: string, options: AbortOptions) => Promise<void>

export interface SecureChatEvents {
  /** a handshake verified `peer`'s signed nickname, inbound or outbound */
  'handshake': CustomEvent<{ peer: PeerId, nickname: string, connection: Connection }>
  /** an inbound session failed (a bad handshake, a tampered frame, a peer that went away...) */
  'session:error': CustomEvent<{ peer: PeerId, error: Error }>
}

/** The /securechat/1.0.0 service, as other services see it */
export interface SecureChat extends TypedEventTarget<SecureChatEvents> {
  readonly protocol: string
  /** The one handler of received messages; until one is set, messages are refused (not acked) */
  handleMessages(handler: MessageHandler): void
  /** The one handler of received read receipts; until one is set, receipts are refused */
  handleReceipts(handler: ReceiptHandler): void
  /**
   * Send messages in this order on one session and resolve when the peer has
   * acknowledged them all. `onWritten` and `onAck` are called per message, in
   * order. At the first failure (no session, a write fails, no ack within
   * `sendTimeout` of the previous progress) the session is ended and the
   * batch rejects: no later message of the batch goes out on another
   * session, so the receiver never sees them out of order.
   */
  sendBatch(peer: PeerId, messages: OutgoingMessage[], options?: SendBatchOptions): Promise<void>
  /** Read receipts for messages `peer` sent us, resolved when acknowledged; same rules as sendBatch */
  sendReceipts(peer: PeerId, ids: string[], options?: SendBatchOptions): Promise<void>
}

export interface SecureChatInit {
  /** the nickname announced in our Hellos */
  nickname?: string
  handshakeTimeout?: number
  sendTimeout?: number
  idleTimeout?: number
  maxClockSkew?: number
  maxFrameBytes?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** unacknowledged envelopes allowed in flight per send */
  maxInFlight?: number
  /** unacknowledged frame bytes allowed in flight per send */
  maxInFlightBytes?: number
  /** for tests: frames per session before it is renewed */
  maxFramesPerSession?: bigint
}

export function secureChat (init: SecureChatInit = {}): (components: SecureChatComponents) => SecureChat {
  return (components) => new SecureChatService(components, init)
}
