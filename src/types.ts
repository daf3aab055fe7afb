/**
 * Public types of a securechat node: what the CLI (and any other front end)
 * sees. The JSON events printed by `--json` are exactly these shapes.
 */
import type { AbortOptions, TypedEventTarget } from '@libp2p/interface'

export type Direction = 'in' | 'out'

/** Delivery state of an outgoing message */
export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read'

/** One message of a conversation, as stored and as shown */
export interface ChatMessage {
  /** 32 hex chars, unique per sender */
  id: string
  /** the remote peer of the conversation (peer id string) */
  peer: string
  direction: Direction
  /** sender peer id */
  from: string
  /** sender nickname as announced at the time (display only) */
  name: string
  text: string
  /** sender clock, ms since epoch */
  ts: number
  /**
   * outgoing messages only. A room message is `pending` until every member
   * it was sent to acknowledged it, then `delivered`; `sent` if there was
   * no member to send it to
   */
  status?: MessageStatus
  /**
   * room messages only: the room's Lamport clock when it was sent. Every
   * member shows a room's messages in (clock, sender peer id) order
   */
  clock?: number
}

/**
 * A message of a room: `peer` is `#` and the room id (a room's
 * conversation, not a peer), `from` the member who wrote it, `room` the
 * room's name as this node joined it
 */
export interface RoomMessage extends ChatMessage {
  room: string
  clock: number
}

/** What post() resolves with: the stored message and the members it was queued for */
export interface RoomPost extends RoomMessage {
  /** peer ids: the proven members, less this node, blocked members and any with 1,000 room messages waiting already */
  to: string[]
}

export type ConnectionKind = 'direct' | 'relayed'

/** What a peer is to the user: a contact; a stranger whose messages are held (request); a stranger; blocked */
export type PeerRelation = 'contact' | 'request' | 'stranger' | 'blocked'

/** What `/peers` shows about one known peer */
export interface PeerView {
  peerId: string
  /** last nickname the peer announced in a verified handshake or profile */
  name?: string
  /** the user's own name for the peer: wins over `name` everywhere */
  petname?: string
  relation: PeerRelation
  /** the user compared safety numbers with this peer */
  verified: boolean
  online: boolean
  /** how we are connected now, when online */
  connection?: ConnectionKind
  addrs: string[]
  /** last ping round-trip time in ms, for peers we chat with */
  rtt?: number
  firstSeen: number
  lastSeen: number
}

/** A configured relay, as `/whoami` shows it */
export interface RelayView {
  addr: string
  peerId: string
  connected: boolean
  /** we hold a reservation: peers can reach us through this relay */
  reserved: boolean
}

export type PeerStatus = 'discovered' | 'connected' | 'disconnected'

/** A member of a room: a peer that proved it knows the room's name and key */
export interface RoomMemberView {
  peerId: string
  /** its nickname, if known */
  name?: string
  /** proved its membership on a connection that is open now */
  online: boolean
  /** when it last proved it, ms */
  provenAt: number
}

/** A room this node joined */
export interface RoomView {
  /** 32 hex characters, derived from the name and key: the same for every member */
  id: string
  /** the name as this node joined it */
  name: string
  /** joined with a key */
  hasKey: boolean
  joinedAt: number
  members: RoomMemberView[]
}

/** A room joined or left, or a member that came online (proved its membership) or went offline */
export interface RoomEvent {
  /** the room's name, as this node joined it */
  room: string
  id: string
  status: 'joined' | 'left' | 'online' | 'offline'
  /** the member, for online and offline */
  member?: string
  /** the member's nickname, if known */
  name?: string
}

/** A file transfer, offered by this node (`out`) or to it (`in`) */
export interface TransferView {
  /** 32 hex characters, chosen by the sender */
  id: string
  /** the other side's peer id */
  peer: string
  direction: Direction
  /** the file name as the sender named it (the receiver lands it under a safe name: `path`) */
  name: string
  /** bytes */
  size: number
  /** SHA-256 of the whole file, 64 hex characters */
  sha256: string
  /** offered: waiting for the receiver; accepted: being fetched (or resumed); then complete, failed or declined */
  state: 'offered' | 'accepted' | 'complete' | 'failed' | 'declined'
  /** bytes of the file received and verified (in), or last asked for (out) */
  bytes: number
  /** out: the file offered; in: where it landed, once complete */
  path?: string
  /** in: from a peer who is not a contact */
  request?: true
}

/** The events of a ChatNode, one per `--json` line type */
export interface ChatNodeEvents {
  peer: CustomEvent<{ peerId: string, name?: string, status: PeerStatus, connection?: ConnectionKind }>
  /** an incoming message; `request`: from a peer who is not a contact (held until accepted) */
  /** `room`: a room message, with the room's name as joined (never a request: members may write without being contacts) */
  message: CustomEvent<{ id: string, from: string, name: string, text: string, ts: number, request?: true, room?: string }>
  /** an outgoing message's frame went out to `to`; its ack is awaited (`room`: a room message, once per member) */
  sent: CustomEvent<{ id: string, to: string, room?: string }>
  /**
   * the peer acknowledged (durably stored) an outgoing message: fires once
   * per message, and for a room message once per member (`room` set)
   */
  delivered: CustomEvent<{ id: string, to: string, room?: string }>
  /** the peer's user displayed an outgoing message (a read receipt): fires once per message */
  read: CustomEvent<{ id: string, by: string }>
  /** a reservation on a configured relay was made or lost */
  relay: CustomEvent<{ peerId: string, addr: string, status: 'reserved' | 'lost' }>
  /** a peer's relation, petname or verification changed */
  contact: CustomEvent<ContactView>
  /** a room joined or left, a member online or offline */
  room: CustomEvent<RoomEvent>
  /** a peer offered us a file (`request`: it is not a contact; `accepted`: taken at once, from a verified contact with auto-accept on) */
  offer: CustomEvent<{ id: string, from: string, name: string, size: number, sha256: string, request?: true, accepted?: true }>
  /** the receiver has our offer */
  offered: CustomEvent<{ id: string, to: string, name: string, size: number, sha256: string }>
  /** bytes of the whole file so far, on both sides; `rate` in bytes a second; `via`: `direct` or `relay`, the connection the bytes take (an event at once when it changes) */
  progress: CustomEvent<{ id: string, bytes: number, size: number, rate: number, via: 'direct' | 'relay' }>
  /** a transfer ended, on both sides; `path` where it landed (receiver, complete) */
  file: CustomEvent<{ id: string, status: 'complete' | 'failed' | 'declined', path?: string, reason?: string }>
  /** an asynchronous failure nobody awaits (a background send, a bad inbound stream) */
  error: CustomEvent<{ code: string, message: string, id?: string, peer?: string }>
}

/** What the user made of a peer, as `contact` events and the contact commands answer */
export interface ContactView {
  peerId: string
  relation: PeerRelation
  petname?: string
  verified: boolean
}

/** Messages held from one peer who is not a contact */
export interface RequestView {
  peerId: string
  /** the nickname it announced, if known */
  name?: string
  messages: number
  /** what they take on disk */
  bytes: number
}

/** A safety number (docs/PROTOCOL.md): 60 digits, the same on both sides */
export interface SafetyView {
  peerId: string
  number: string
  verified: boolean
}

export type SendOptions = AbortOptions

export interface HistoryOptions extends AbortOptions {
  /** the last `limit` messages, oldest first; default 50 */
  limit?: number
}

/**
 * A running securechat node. Peer arguments are full peer id strings: the
 * CLI resolves nicknames and prefixes before calling.
 */
export interface ChatNode extends TypedEventTarget<ChatNodeEvents> {
  readonly peerId: string
  readonly name: string
  /** listen addresses, each ending in /p2p/<peerId> */
  addrs(): string[]
  /** the configured relays and their state */
  relays(): RelayView[]
  /**
   * Validate the text, store the message durably as `pending` and resolve
   * with it; delivery goes on in the background: a `delivered` event fires
   * once when the peer acknowledges it, an `error` event (UnreachablePeerError,
   * with the peer) when delivery to that peer starts failing; it is retried
   * with backoff. Rejects only when the message cannot be queued
   * (EmptyMessageError, MessageTooLargeError, InvalidPeerIdError,
   * OutboxFullError, NodeStoppedError).
   */
  send(peer: string, text: string, options?: SendOptions): Promise<ChatMessage>
  history(peer: string, options?: HistoryOptions): Promise<ChatMessage[]>
  /**
   * The user has seen these messages from `peer`: send a read receipt, if
   * read receipts are enabled. Best effort: a receipt that cannot be sent is
   * dropped (the sender's status stays `delivered`).
   */
  markRead(peer: string, ids: string[]): void
  peers(options?: AbortOptions): Promise<PeerView[]>
  /** what the user made of one peer (relation, petname, verified), from memory: no peer-book read */
  contact(peer: string): ContactView
  /** dial a multiaddr that ends in /p2p/<peerId>; resolves to that peer id */
  connect(multiaddr: string, options?: AbortOptions): Promise<string>
  /** peers whose message requests are held */
  requests(options?: AbortOptions): Promise<RequestView[]>
  /** accepts a message request: the peer becomes a contact; resolves with how many messages were held */
  accept(peer: string, options?: AbortOptions): Promise<number>
  /** drops a peer's held messages; resolves with how many */
  decline(peer: string, options?: AbortOptions): Promise<number>
  block(peer: string, options?: AbortOptions): Promise<ContactView>
  unblock(peer: string, options?: AbortOptions): Promise<ContactView>
  /** the user's own name for a peer; null removes it */
  setPetname(peer: string, petname: string | null, options?: AbortOptions): Promise<ContactView>
  /** marks a peer verified (and a contact) once the safety numbers were compared */
  verify(peer: string, options?: AbortOptions): Promise<ContactView>
  safety(peer: string, options?: AbortOptions): Promise<SafetyView>
  /**
   * Joins a room (or returns it, if joined already): its keys come from the
   * name and key through a memory-hard KDF (about half a second); members
   * are found on the LAN and through the relays. InvalidRoomNameError,
   * InvalidRoomKeyError, RoomLimitError (64 rooms).
   */
  join(room: string, key?: string, options?: AbortOptions): Promise<RoomView>
  /** Leaves a room, named as joined or by id: UnknownRoomError if not joined */
  leave(room: string, options?: AbortOptions): Promise<RoomView>
  /** The joined rooms by name, each with its members */
  rooms(options?: AbortOptions): Promise<RoomView[]>
  /**
   * Posts `text` to a joined room (named as joined, or by id): stored once,
   * durably, with the room's next Lamport clock, and queued for every
   * member proven so far that is not blocked (one outbox entry each, sent
   * over the pairwise /securechat sessions); a member offline now gets it
   * when it is back. Resolves with the stored message and the members it
   * waits for; `delivered` fires per member. UnknownRoomError,
   * EmptyMessageError, MessageTooLargeError, OutboxFullError,
   * NodeStoppedError.
   */
  post(room: string, text: string, options?: SendOptions): Promise<RoomPost>
  /** The last `limit` messages of a joined room, in (clock, sender) order, oldest first; UnknownRoomError */
  roomHistory(room: string, options?: HistoryOptions): Promise<RoomMessage[]>
  /**
   * Offers the file at `path` to `peer`: hashed (SHA-256), stored, and
   * delivered in the background until the peer has it (`offered` then);
   * the peer fetches it once its user accepts. TypeError (not a file),
   * InvalidPeerIdError, BlockedPeerError, TransferLimitError, the file
   * system's errors (ENOENT...).
   */
  sendFile(peer: string, path: string, options?: AbortOptions): Promise<TransferView>
  /** Accepts an offer: fetched in the background into the downloads folder, resumed on its own after a cut or a restart */
  acceptFile(id: string, options?: AbortOptions): Promise<TransferView>
  /** Declines an offer; the sender is told */
  declineFile(id: string, options?: AbortOptions): Promise<TransferView>
  /** Every transfer, oldest first */
  files(options?: AbortOptions): Promise<TransferView[]>
  stop(): Promise<void>
}
