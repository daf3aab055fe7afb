/**
 * The store: one LevelDB per data dir holding the identity, the peer book,
 * the joined rooms and the message history, every value encrypted at rest
 * (see at-rest.ts and keyfile.ts).
 *
 * Keys name no peer, message, room or time (store format 2, keys.ts): a
 * peer, message or room is a keyed hash under a key derived from the data
 * key, and a conversation's records are ordered by a per-conversation
 * counter. What the database files still show: how many conversations,
 * peer-book entries and rooms there are, how many records each
 * conversation has, and (from value sizes) roughly how long each message
 * is and how many members each room has; the file system shows when files
 * were written. A format-1 database (peer ids, ids and times in clear
 * keys) is migrated at open (upgrade.ts).
 *
 * Without a passphrase the key file holds the raw data key: that protects
 * copies and backups of `db/` alone, not a stolen disk. With a passphrase the
 * data key is wrapped (scrypt + AES-256-GCM) and the disk alone is not enough.
 * open() reads the key file before anything else: a wrong passphrase or a
 * damaged key file leaves every file in the data dir as it was. Faces ask
 * before they start with inspectDataDir() and checkPassphrase()
 * (data-dir.ts), which only read; changePassphrase() (passwd.ts) re-wraps
 * the data key atomically. The app re-exports those three from their
 * modules, so that a face importing them does not load LevelDB.
 *
 * Errors a caller can see, by `err.name`: StoreNotOpenError,
 * CorruptRecordError, CorruptKeyFileError, WrongPassphraseError,
 * StoreFormatError (a format newer than this version), StoreNotEmptyError
 * (restore() into a store holding data),
 * DataDirInUseError (open() while another store, in this process or another,
 * has the data dir open; level's error is its `cause`), OutboxFullError,
 * RequestQuotaError, RoomLimitError,
 * TypeError (bad arguments), AbortError, and level's own errors from open()
 * for any other failure to open the database.
 */
import { LevelStore } from './level-store.ts'
import type { CorruptRecordError } from './errors.ts'
import type { DeliveredTo } from './fanout.ts'
import type { RequestSummary } from './request-counts.ts'
import type { ChatMessage, HistoryOptions, MessageStatus } from '../types.ts'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export { CorruptRecordError, DataDirInUseError } from './errors.ts'
export type { RequestSummary } from './request-counts.ts'
export type { DeliveredTo } from './fanout.ts'
export { isRoomConversation } from './records.ts'

export type StoreStatus = 'opening' | 'open' | 'closing' | 'closed'

/** What the user made of a peer: a contact, or blocked; no relation is a stranger */
export type Relation = 'contact' | 'blocked'

/** One entry of the peer book */
export interface StoredPeer {
  peerId: string
  /** last nickname the peer announced */
  name?: string
  relation?: Relation
  /** the user's own name for the peer: wins over its nickname everywhere */
  petname?: string
  /** the user compared safety numbers with this peer */
  verified?: true
  addrs: string[]
  /** ms since epoch */
  firstSeen: number
  /** ms since epoch */
  lastSeen: number
}

/** A member of a room: a peer that proved it knows the room's key (src/rooms/membership.ts) */
export interface StoredMember {
  peerId: string
  /** when it last proved it, ms */
  provenAt: number
}

/** A room this node joined, with what was derived from its name and key (src/rooms/room-keys.ts) */
export interface StoredRoom {
  /** 32 lower-case hex characters */
  id: string
  /** the name as the user typed it */
  name: string
  /** the room key, if the room has one */
  key?: string
  /** 32 bytes each */
  proofKey: Uint8Array
  rendezvousKey: Uint8Array
  joinedAt: number
  /** at most MAX_ROOM_MEMBERS, by peer id */
  members: StoredMember[]
}

export type TransferState = 'offered' | 'accepted' | 'complete' | 'failed' | 'declined'

/** A file transfer (src/files), offered by us (`out`) or to us (`in`) */
export interface StoredTransfer {
  /** 32 lower-case hex characters, chosen by the sender */
  id: string
  /** the other side */
  peer: string
  direction: 'in' | 'out'
  /** the file name as offered (the sender's base name; the receiver makes it safe before use) */
  name: string
  size: number
  /** of the whole file, 64 lower-case hex characters */
  sha256: string
  state: TransferState
  /** out: the file offered; in: where it landed once complete */
  path?: string
  /** in: bytes received, verified and synced in the partial file; out: bytes the receiver last asked from */
  offset: number
  /** out: the file when offered (inode; modification and change times, ms): a file changed since is not sent */
  ino?: number
  mtime?: number
  ctime?: number
  /** out: the receiver has the offer */
  delivered?: true
  /** in: from a peer who is not a contact */
  request?: true
  createdAt: number
  updatedAt: number
}

/** An upsert of the peer book: `name` and `addrs` replace the stored ones when given */
export interface PeerUpdate {
  peerId: string
  name?: string
  addrs?: string[]
  /** when the peer was seen, ms since epoch; default now */
  seen?: number
  /** null makes the peer a stranger again */
  relation?: Relation | null
  /** null removes the petname */
  petname?: string | null
  /** false removes the mark */
  verified?: boolean
}

export interface StoreInit {
  /** created with mode 0700 if missing; holds `db/` and `securechat.key` */
  dataDir: string
  /** wraps the data key in `securechat.key` (scrypt + AES-256-GCM); without it the key file holds the raw key */
  passphrase?: string
  /** called for every corrupt record `history()`, `peers()` or `rooms()` skips */
  onCorrupt?: (err: CorruptRecordError) => void
  /** component `securechat:store` logs skipped records and open/close; default silent */
  logger?: ComponentLogger
  /** clock for when a peer was seen, default `Date.now` (tests inject one) */
  now?: () => number
  /** outgoing messages awaiting an ack, per peer (default 10,000) and in total (default 50,000) */
  maxOutboxPerPeer?: number
  maxOutboxTotal?: number
  /** room messages awaiting delivery per member in one room (default 1,000: past it a post skips that member), per room (default 5,000) and in total (default 20,000) */
  maxFanoutPerMember?: number
  maxFanoutPerRoom?: number
  maxFanoutTotal?: number
  /** message requests held per peer (default 100 messages or 1 MiB on disk) and in total (default 64 MiB) */
  maxRequestMessagesPerPeer?: number
  maxRequestBytesPerPeer?: number
  maxRequestBytesTotal?: number
  /** peers with requests held at once (default 1,000) */
  maxRequestPeers?: number
}

export interface AppendOptions extends AbortOptions {
  /**
   * An incoming message from a peer who is not a contact: held in the
   * quarantine too (RequestQuotaError, writing nothing, past its bounds)
   * until acceptRequests() or dropRequests()
   */
  request?: boolean
  /**
   * append() only: the message id was just drawn at random by this node
   * (128 bits), so no earlier copy can be stored and none is looked for
   * (one read less on the way of every message sent)
   */
  fresh?: boolean
  /**
   * append() only: a pending outgoing room message (its `peer` a room's
   * conversation, `#` and the room id) waits for these members, one
   * fan-out entry each, in the same batch, with a budget of its own apart
   * from the outbox: a member past its bound is skipped, OutboxFullError
   * (writing nothing) past the total. `admitted` is told the members it
   * waits for; with none of them it is stored as `sent` (nobody to wait
   * for), as a post to no member should be passed
   */
  to?: string[]
  admitted?: (members: string[]) => void
}

/** What appendMany() wrote */
export interface AppendedMany {
  added: boolean[]
  error?: Error
}

/** What setStatus changed */
export interface StatusChange {
  previous?: MessageStatus
}

export interface SetStatusOptions extends AbortOptions {
  /** fsync before resolving; default true. `sent` is advisory and may skip it */
  sync?: boolean
}

/** One logical record of a store, as records() yields them and restore() takes them */
export type StoreRecord =
  | { type: 'identity', key: Uint8Array }
  | { type: 'peer', peer: StoredPeer }
  | { type: 'room', room: StoredRoom }
  /** `request`: an incoming message held in the quarantine */
  | { type: 'message', message: ChatMessage, request: boolean }

/** What restore() wrote */
export interface RestoreSummary {
  identity: boolean
  peers: number
  rooms: number
  messages: number
}

export interface Store {
  readonly status: StoreStatus
  /** Opens (creating if needed) the database and the key file. Idempotent. */
  open(options?: AbortOptions): Promise<void>
  /** Waits for pending writes, then closes. Idempotent. */
  close(): Promise<void>

  /** The libp2p private key in protobuf form (privateKeyToProtobuf), if stored */
  getIdentity(options?: AbortOptions): Promise<Uint8Array | undefined>
  putIdentity(key: Uint8Array, options?: AbortOptions): Promise<void>

  /**
   * Appends to the conversation with `message.peer`, durably (one synced
   * batch, which appends and status changes queued meanwhile share). Returns false and writes nothing if that peer's message id is
   * already stored. An outgoing message that is not yet `delivered` also
   * enters the outbox, in the same batch; throws OutboxFullError (writing
   * nothing) when the outbox bound for that peer or in total is reached.
   */
  append(message: ChatMessage, options?: AppendOptions): Promise<boolean>
  /**
   * Appends `messages` in this order, as append() does each, but as one
   * write: durable together, and stopping at the first that cannot be
   * stored. `added[i]` is whether message i was new; `added` is shorter than
   * `messages` when one failed, and `error` says why (nothing of it or of
   * those after it is written).
   */
  appendMany(messages: ChatMessage[], options?: AppendOptions): Promise<AppendedMany>
  /** The peers whose message requests are held, with how many and how many bytes */
  requests(): RequestSummary[]
  /** Whether message requests from `peer` are held */
  hasRequests(peer: string): boolean
  /** The user accepted `peer`: its requests become ordinary history. Resolves with how many there were */
  acceptRequests(peer: string, options?: AbortOptions): Promise<number>
  /** The user declined (or blocked) `peer`: its requests are deleted. Resolves with how many there were */
  dropRequests(peer: string, options?: AbortOptions): Promise<number>
  has(peer: string, id: string, options?: AbortOptions): Promise<boolean>
  /** Throws CorruptRecordError if the record is corrupt; in a room's conversation, `from` names the sender */
  get(peer: string, id: string, options?: AbortOptions & { from?: string }): Promise<ChatMessage | undefined>
  /**
   * Moves an outgoing message's status forward (pending < sent < delivered <
   * read); `delivered` or `read` also removes it from the outbox, in the same batch. Going
   * back, an unknown message or an incoming message is a no-op. Resolves
   * with the status it had when it changed (decided inside the write queue,
   * so concurrent callers see exactly one change each), or undefined.
   */
  setStatus(peer: string, id: string, status: MessageStatus, options?: SetStatusOptions): Promise<StatusChange | undefined>
  /**
   * Settles our room message for `member`: its fan-out entry goes, and with
   * the last one the message becomes `delivered` (not synced on its own, as
   * setStatus's delivered). Resolves undefined, writing nothing, if the
   * message was not waiting for that member; `last` says no member is left
   */
  deliveredTo(member: string, message: Pick<ChatMessage, 'peer' | 'id' | 'from'>, options?: AbortOptions): Promise<DeliveredTo | undefined>
  /**
   * Drops the fan-out entries of a member (it was blocked) or of a room's
   * messages (`room`: its conversation, the room was left); their messages
   * stay as they are. Resolves with how many went
   */
  dropFanout(which: { member: string } | { room: string }, options?: AbortOptions): Promise<number>
  /**
   * The first `limit` (default 50) outgoing messages to `peer` not yet
   * delivered, oldest first: its direct messages, then the room messages
   * waiting for it (their `peer` is the room's conversation)
   */
  pending(peer: string, options?: HistoryOptions): Promise<ChatMessage[]>
  /** Peers with messages in the outbox, direct or room */
  pendingPeers(options?: AbortOptions): Promise<string[]>
  /** Messages awaiting delivery to `peer`, or in total: direct ones and room ones (one per member) */
  outboxSize(peer?: string): number
  /**
   * The last `limit` (default 50) messages with `peer`, oldest first;
   * corrupt records are skipped and reported. `#<room id>` is a room's
   * conversation, in (clock, sender) order (history.ts)
   */
  history(peer: string, options?: HistoryOptions): Promise<ChatMessage[]>

  /** Throws CorruptRecordError if the record is corrupt */
  getPeer(peerId: string, options?: AbortOptions): Promise<StoredPeer | undefined>
  /** Upsert: firstSeen set once, lastSeen = max, name/addrs replaced when given */
  putPeer(update: PeerUpdate, options?: AbortOptions): Promise<StoredPeer>
  /** Removes a peer-book entry (its history stays); nothing if there is none */
  deletePeer(peerId: string, options?: AbortOptions): Promise<void>
  /** Every known peer, by peer id; corrupt records are skipped and reported */
  peers(options?: AbortOptions): Promise<StoredPeer[]>

  /** The joined rooms, by id; entries that cannot be read are reported (onCorrupt) and skipped */
  rooms(options?: AbortOptions): Promise<StoredRoom[]>
  /** Writes `room` (a new one or a new version of one), synced; RoomLimitError past MAX_STORED_ROOMS rooms or MAX_ROOM_MEMBERS members; TypeError for a malformed room */
  putRoom(room: StoredRoom, options?: AbortOptions): Promise<void>
  /** Removes a room; resolves whether there was one */
  deleteRoom(id: string, options?: AbortOptions): Promise<boolean>

  /** Every file transfer, oldest first; entries that cannot be read are reported and skipped */
  transfers(options?: AbortOptions): Promise<StoredTransfer[]>
  /** Transfer `id`; CorruptRecordError if it cannot be read */
  getTransfer(id: string, options?: AbortOptions): Promise<StoredTransfer | undefined>
  /** Writes `transfer` (new or a new version), synced; TransferLimitError past MAX_STORED_TRANSFERS; TypeError for a malformed one */
  putTransfer(transfer: StoredTransfer, options?: AbortOptions): Promise<void>
  /** Removes a transfer; resolves whether there was one */
  deleteTransfer(id: string, options?: AbortOptions): Promise<boolean>

  /**
   * Everything the store holds, for a backup: the identity first (if any),
   * then every peer-book entry, then every joined room, then each conversation's messages oldest
   * first (outbox membership follows from an outgoing message's status).
   * Corrupt records are skipped and reported. Each part is read from a
   * snapshot of its own, outside the write queue: meant for a store no node
   * is writing to.
   */
  records(options?: AbortOptions): AsyncIterable<StoreRecord>
  /**
   * Writes `records` (as records() yields them) into this store, which must
   * hold nothing yet (StoreNotEmptyError otherwise). Records are validated
   * like stored ones (TypeError; a second identity or a second record of
   * one peer or room too; RoomLimitError past the room bounds); what they mean (key type, text and name rules) is the
   * caller's to check. Writes are not synced one
   * by one; the last write is, so a crash leaves a prefix: restore into a
   * scratch data dir and move it into place when this resolves.
   */
  restore(records: AsyncIterable<StoreRecord>, options?: AbortOptions): Promise<RestoreSummary>
}

export function createStore (init: StoreInit): Store {
  return new LevelStore(init)
}
