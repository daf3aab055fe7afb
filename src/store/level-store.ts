/**
 * The Store on LevelDB (`level`): the class and its lifecycle. Writes go
 * through one queue (write-queue.ts) so read-modify-write operations (dedup,
 * status, peer upsert) cannot interleave; appends and status changes that
 * queue up meanwhile are committed together, one synced batch for all.
 *
 * The on-disk layout is in handles.ts and keys.ts; opening in open.ts (the
 * data key in data-key.ts, the format in format.ts); one module per
 * namespace: identity.ts, peer-book.ts, rooms.ts and history.ts (with the
 * index and outbox), requests.ts; the bounds in outbox-counts.ts and
 * request-counts.ts; backups in backup.ts.
 */
import {
  DEFAULT_HISTORY_LIMIT, DEFAULT_MAX_FANOUT_PER_MEMBER, DEFAULT_MAX_FANOUT_PER_ROOM, DEFAULT_MAX_FANOUT_TOTAL, DEFAULT_MAX_OUTBOX_PER_PEER, DEFAULT_MAX_OUTBOX_TOTAL, DEFAULT_MAX_REQUEST_BYTES_PER_PEER,
  DEFAULT_MAX_REQUEST_BYTES_TOTAL, DEFAULT_MAX_REQUEST_MESSAGES_PER_PEER, DEFAULT_MAX_REQUEST_PEERS, MAX_ROOM_MEMBERS
} from './constants.ts'
import { readRecords, restoreRecords } from './backup.ts'
import { dropFanout, FanoutCounts, prepareDeliveredTo, scanFanout } from './fanout.ts'
import { RoomLimitError, StoreNotOpenError } from './errors.ts'
import { lookup, scanHistory, scanOutbox } from './history.ts'
import { prepareAppend, prepareStatus, storedAlready } from './history-writes.ts'
import { readIdentity, writeIdentity } from './identity.ts'
import { assertKeyPart, isRoomId } from './keys.ts'
import { openHandles } from './open.ts'
import { OutboxCache } from './outbox-cache.ts'
import { OutboxCounts } from './outbox-counts.ts'
import { RequestCounts } from './request-counts.ts'
import { endRequests } from './requests.ts'
import { readPeer, scanPeers, upsertPeer, deletePeer } from './peer-book.ts'
import { isMessageStatus, isRoomConversation, messageProblem, peerUpdateProblem, pickMessage } from './records.ts'
import { pickRoom, roomProblem } from './room-record.ts'
import { deleteRoom, putRoom, scanRooms } from './rooms.ts'
import { isTransferId, pickTransfer, transferProblem } from './transfer-record.ts'
import { deleteTransfer, putTransfer, readTransfer, scanTransfers } from './transfers.ts'
import { Sequences } from './sequences.ts'
import { WriteQueue } from './write-queue.ts'
import type { CorruptRecordError } from './errors.ts'
import type { DeliveredTo } from './fanout.ts'
import type { Handles } from './handles.ts'
import type { Overlay, Prepared } from './write-queue.ts'
import type {
  AppendOptions, AppendedMany, PeerUpdate, RestoreSummary, SetStatusOptions, StatusChange, Store, StoreInit, StoreRecord, StoreStatus, StoredPeer, StoredRoom, StoredTransfer
} from './index.ts'
import type { RequestSummary } from './request-counts.ts'
import type { ChatMessage, HistoryOptions, MessageStatus } from '../types.ts'
import type { AbortOptions, Logger } from '@libp2p/interface'

const silentLogger: Logger = Object.assign(() => {}, {
  error: () => {},
  trace: () => {},
  enabled: false,
  newScope: () => silentLogger
})

/** A history or pending limit, checked: a non-negative integer, default DEFAULT_HISTORY_LIMIT */
function checkLimit (given: number | undefined): number {
  const limit = given ?? DEFAULT_HISTORY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError('limit must be a non-negative integer')
  }
  return limit
}

/** The members a room message waits for, checked: distinct peer ids, at most MAX_ROOM_MEMBERS, only for our undelivered room message */
function checkMembers (to: unknown, record: ChatMessage): string[] {
  if (!Array.isArray(to) || to.length > MAX_ROOM_MEMBERS) {
    throw new TypeError(`to must be an array of at most ${MAX_ROOM_MEMBERS} members`)
  }
  if (to.length > 0 && (!isRoomConversation(record.peer) || record.direction !== 'out' || record.status !== 'pending')) {
    throw new TypeError('to: only a pending outgoing room message waits for members')
  }
  for (const member of to) {
    assertKeyPart(member, 'member')
    if (isRoomConversation(member)) {
      throw new TypeError('a member is a peer id')
    }
  }
  if (new Set(to).size !== to.length) {
    throw new TypeError('to: members must be distinct')
  }
  return [...to as string[]]
}

export class LevelStore implements Store {
  readonly #dataDir: string
  readonly #passphrase: string | undefined
  readonly #onCorrupt: ((err: CorruptRecordError) => void) | undefined
  readonly #log: Logger
  readonly #now: () => number
  /** outbox entries per peer and in total, kept in step with the outbox sublevel */
  readonly #outbox: OutboxCounts
  /** message requests held per peer and in total, kept in step with the requests sublevel */
  readonly #requests: RequestCounts

  /** the last seq of each conversation, for appends */
  readonly #sequences = new Sequences()
  /** the oldest outbox entries of the peers we deliver to */
  readonly #cache = new OutboxCache()
  /** room messages waiting per member, and members waiting per room message */
  readonly #fanout: FanoutCounts

  #status: StoreStatus = 'closed'
  #handles: Handles | undefined
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined
  readonly #writes = new WriteQueue({
    batch: async (ops, sync) => { await (this.#handles ?? this.#handlesOrThrow()).db.batch(ops, { sync }) },
    recover: async (err) => { await this.#recover(err) }
  })
  /** hands a record a scan skipped to the log and `onCorrupt` */
  readonly #report = (err: CorruptRecordError): void => {
    this.#log.error('skipping corrupt record %s/%s: %s', err.sublevel, err.key, err.message)
    this.#onCorrupt?.(err)
  }

  constructor (init: StoreInit) {
    if (typeof init?.dataDir !== 'string' || init.dataDir.length === 0) {
      throw new TypeError('dataDir must be a non-empty string')
    }
    if (init.passphrase !== undefined && (typeof init.passphrase !== 'string' || init.passphrase.length === 0)) {
      throw new TypeError('passphrase must be a non-empty string when given')
    }
    this.#dataDir = init.dataDir
    this.#passphrase = init.passphrase
    this.#onCorrupt = init.onCorrupt
    this.#log = init.logger?.forComponent('securechat:store') ?? silentLogger
    this.#now = init.now ?? (() => Date.now())
    this.#outbox = new OutboxCounts(init.maxOutboxPerPeer ?? DEFAULT_MAX_OUTBOX_PER_PEER, init.maxOutboxTotal ?? DEFAULT_MAX_OUTBOX_TOTAL)
    this.#fanout = new FanoutCounts({
      perMember: init.maxFanoutPerMember ?? DEFAULT_MAX_FANOUT_PER_MEMBER,
      perRoom: init.maxFanoutPerRoom ?? DEFAULT_MAX_FANOUT_PER_ROOM,
      total: init.maxFanoutTotal ?? DEFAULT_MAX_FANOUT_TOTAL
    })
    this.#requests = new RequestCounts({
      messagesPerPeer: init.maxRequestMessagesPerPeer ?? DEFAULT_MAX_REQUEST_MESSAGES_PER_PEER,
      bytesPerPeer: init.maxRequestBytesPerPeer ?? DEFAULT_MAX_REQUEST_BYTES_PER_PEER,
      bytesTotal: init.maxRequestBytesTotal ?? DEFAULT_MAX_REQUEST_BYTES_TOTAL,
      peers: init.maxRequestPeers ?? DEFAULT_MAX_REQUEST_PEERS
    })
  }

  get status (): StoreStatus {
    return this.#status
  }

  async open (options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.#closing !== undefined) {
      await this.#closing
    }
    if (this.#status === 'open') {
      return
    }
    this.#opening ??= this.#open(options).finally(() => {
      this.#opening = undefined
    })
    await this.#opening
  }

  async #open (options: AbortOptions): Promise<void> {
    this.#status = 'opening'
    let handles: Handles | undefined
    try {
      handles = await openHandles({ dataDir: this.#dataDir, passphrase: this.#passphrase, log: this.#log }, this.#report, options)
      // another store may have written the dir since this one was last open
      this.#sequences.clear()
      this.#cache.clear()
      await this.#outbox.rebuild(handles, this.#report)
      await this.#fanout.rebuild(handles, this.#report)
      await this.#requests.rebuild(handles, this.#report)
      this.#handles = handles
      this.#status = 'open'
      this.#log('opened %s', this.#dataDir)
    } catch (err) {
      this.#status = 'closed'
      await handles?.db.close().catch(() => {})
      throw err
    }
  }

  outboxSize (peer?: string): number {
    return this.#outbox.size(peer) + this.#fanout.size(peer)
  }

  async close (): Promise<void> {
    if (this.#opening !== undefined) {
      await this.#opening.catch(() => {})
    }
    if (this.#closing !== undefined) {
      return this.#closing
    }
    const handles = this.#handles
    if (this.#status !== 'open' || handles === undefined) {
      return
    }
    this.#status = 'closing'
    this.#closing = (async () => {
      try {
        await this.#writes.idle()
        await handles.db.close()
        this.#log('closed %s', this.#dataDir)
      } finally {
        this.#handles = undefined
        this.#status = 'closed'
        this.#closing = undefined
      }
    })()
    return this.#closing
  }

  async getIdentity (options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    options.signal?.throwIfAborted()
    return readIdentity(this.#handlesOrThrow())
  }

  async putIdentity (key: Uint8Array, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (!(key instanceof Uint8Array) || key.length === 0) {
      throw new TypeError('identity key must be a non-empty Uint8Array')
    }
    const copy = new Uint8Array(key)
    await this.#exclusive(options, async handles => writeIdentity(handles, copy))
    copy.fill(0)
  }

  async append (message: ChatMessage, options: AppendOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const problem = messageProblem(message, false)
    if (problem !== undefined) {
      throw new TypeError(`invalid message: ${problem}`)
    }
    const record = pickMessage(message)
    const to = options.to === undefined ? undefined : checkMembers(options.to, record)

    return this.#grouped(options, async (handles, overlay) => {
      const requests = options.request === true && record.direction === 'in' ? this.#requests : undefined
      return prepareAppend(handles, record, { ...this.#context(), requests, to, fanout: this.#fanout, admitted: options.admitted }, overlay, options.fresh === true ? false : undefined)
    })
  }

  async deliveredTo (member: string, message: Pick<ChatMessage, 'peer' | 'id' | 'from'>, options: AbortOptions = {}): Promise<DeliveredTo | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(member, 'member')
    if (!isRoomConversation(message?.peer)) {
      throw new TypeError('deliveredTo: not a room message')
    }
    assertKeyPart(message.id, 'id')
    assertKeyPart(message.from, 'from')
    const picked = { peer: message.peer, id: message.id, from: message.from }
    return this.#grouped(options, async (handles, overlay) => prepareDeliveredTo(handles, member, picked, this.#fanout, overlay))
  }

  async dropFanout (which: { member: string } | { room: string }, options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    if ('member' in which) {
      assertKeyPart(which.member, 'member')
    } else if (!isRoomConversation(which?.room)) {
      throw new TypeError('room must be a room conversation (# and the room id)')
    }
    return this.#exclusive(options, async handles => dropFanout(handles, which, this.#fanout, this.#report))
  }

  async appendMany (messages: ChatMessage[], options: AppendOptions = {}): Promise<AppendedMany> {
    options.signal?.throwIfAborted()
    if (!Array.isArray(messages)) {
      throw new TypeError('messages must be an array')
    }
    // checked before anything is read: the run stops at the first invalid message
    const records: ChatMessage[] = []
    let error: Error | undefined
    for (const message of messages) {
      const problem = messageProblem(message, false)
      if (problem !== undefined) {
        error = new TypeError(`invalid message: ${problem}`)
        break
      }
      records.push(pickMessage(message))
    }
    return this.#grouped(options, async (handles, overlay) => {
      const prepared: Array<Prepared<boolean>> = []
      const onDisk = await storedAlready(handles, records)
      for (const [i, record] of records.entries()) {
        try {
          const requests = options.request === true && record.direction === 'in' ? this.#requests : undefined
          prepared.push(await prepareAppend(handles, record, { ...this.#context(), requests }, overlay, onDisk[i]))
        } catch (err) {
          error = err as Error
          break
        }
      }
      return {
        ops: prepared.flatMap(p => p.ops),
        sync: true,
        done: () => ({ added: prepared.map(p => p.done()), ...(error === undefined ? {} : { error }) })
      }
    })
  }

  requests (): RequestSummary[] {
    this.#handlesOrThrow()
    return this.#requests.summary()
  }

  hasRequests (peer: string): boolean {
    return this.#requests.has(peer)
  }

  async acceptRequests (peer: string, options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    return this.#exclusive(options, async handles => endRequests(handles, peer, false, this.#requests))
  }

  async dropRequests (peer: string, options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    return this.#exclusive(options, async handles => endRequests(handles, peer, true, this.#requests))
  }

  async has (peer: string, id: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const handles = this.#handlesOrThrow()
    // see prepareAppend(): get is cheaper than has in classic-level
    return (await handles.index.get(handles.names.message(peer, id))) !== undefined
  }

  async get (peer: string, id: string, options: AbortOptions & { from?: string } = {}): Promise<ChatMessage | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    assertKeyPart(id, 'id')
    if (options.from !== undefined) assertKeyPart(options.from, 'from')
    const found = await lookup(this.#handlesOrThrow(), peer, id, options.from)
    return found?.message
  }

  async setStatus (peer: string, id: string, status: MessageStatus, options: SetStatusOptions = {}): Promise<StatusChange | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    assertKeyPart(id, 'id')
    if (!isMessageStatus(status)) {
      throw new TypeError('status must be pending, sent, delivered or read')
    }
    return this.#grouped(options, async (handles, overlay) => prepareStatus(handles, peer, id, status, { ...this.#context(), sync: options.sync ?? true }, overlay, this.#log))
  }

  async pending (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    options.signal?.throwIfAborted()
    const limit = checkLimit(options.limit)
    const handles = this.#handlesOrThrow()
    assertKeyPart(peer, 'peer')
    if (limit === 0) {
      return []
    }
    const direct = this.#cache.oldest(peer, limit) ?? await this.#writes.exclusive(async () => {
      // read inside the queue, so that no write to this outbox lands between the read and the cache
      const size = OutboxCache.loadSize(limit)
      const entries = await scanOutbox(handles, peer, { limit: size, signal: options.signal }, this.#report)
      this.#cache.load(peer, entries, entries.length < size)
      return entries.slice(0, limit).map(e => e.message)
    })
    if (direct.length >= limit || this.#fanout.size(peer) === 0) {
      return direct
    }
    // then the room messages waiting for this member (an entry settled meanwhile is sent once more, and deduplicated)
    return [...direct, ...await scanFanout(handles, peer, limit - direct.length, options.signal, this.#report)]
  }

  async pendingPeers (options: AbortOptions = {}): Promise<string[]> {
    options.signal?.throwIfAborted()
    this.#handlesOrThrow()
    return [...new Set([...this.#outbox.peers(), ...this.#fanout.members()])]
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    options.signal?.throwIfAborted()
    const limit = checkLimit(options.limit)
    assertKeyPart(peer, 'peer')
    const handles = this.#handlesOrThrow()
    if (limit === 0) {
      return []
    }
    return scanHistory(handles, peer, { limit, signal: options.signal }, this.#report)
  }

  async getPeer (peerId: string, options: AbortOptions = {}): Promise<StoredPeer | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peerId, 'peerId')
    return readPeer(this.#handlesOrThrow(), peerId)
  }

  async putPeer (update: PeerUpdate, options: AbortOptions = {}): Promise<StoredPeer> {
    options.signal?.throwIfAborted()
    const problem = peerUpdateProblem(update)
    if (problem !== undefined) {
      throw new TypeError(`invalid peer update: ${problem}`)
    }
    const seen = update.seen ?? this.#now()
    return this.#exclusive(options, async handles => upsertPeer(handles, update, seen, this.#report))
  }

  async deletePeer (peerId: string, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    assertKeyPart(peerId, 'peerId')
    await this.#exclusive(options, async handles => deletePeer(handles, peerId))
  }

  async peers (options: AbortOptions = {}): Promise<StoredPeer[]> {
    options.signal?.throwIfAborted()
    return scanPeers(this.#handlesOrThrow(), options, this.#report)
  }

  async rooms (options: AbortOptions = {}): Promise<StoredRoom[]> {
    options.signal?.throwIfAborted()
    return scanRooms(this.#handlesOrThrow(), options, this.#report)
  }

  async putRoom (room: StoredRoom, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (Array.isArray(room?.members) && room.members.length > MAX_ROOM_MEMBERS) {
      throw new RoomLimitError(`a room holds at most ${MAX_ROOM_MEMBERS} members`)
    }
    const problem = roomProblem(room)
    if (problem !== undefined) {
      throw new TypeError(`invalid room: ${problem}`)
    }
    const record = pickRoom(room)
    await this.#exclusive(options, async handles => putRoom(handles, record))
  }

  async deleteRoom (id: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    if (!isRoomId(id)) {
      throw new TypeError('room id must be 32 lower-case hex characters')
    }
    return this.#exclusive(options, async handles => deleteRoom(handles, id))
  }

  async transfers (options: AbortOptions = {}): Promise<StoredTransfer[]> {
    options.signal?.throwIfAborted()
    return scanTransfers(this.#handlesOrThrow(), options, this.#report)
  }

  async getTransfer (id: string, options: AbortOptions = {}): Promise<StoredTransfer | undefined> {
    options.signal?.throwIfAborted()
    if (!isTransferId(id)) throw new TypeError('transfer id must be 32 lower-case hex characters')
    return readTransfer(this.#handlesOrThrow(), id)
  }

  async putTransfer (transfer: StoredTransfer, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    const problem = transferProblem(transfer)
    if (problem !== undefined) {
      throw new TypeError(`invalid transfer: ${problem}`)
    }
    const record = pickTransfer(transfer)
    await this.#exclusive(options, async handles => putTransfer(handles, record))
  }

  async deleteTransfer (id: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    if (!isTransferId(id)) throw new TypeError('transfer id must be 32 lower-case hex characters')
    return this.#exclusive(options, async handles => deleteTransfer(handles, id))
  }

  records (options: AbortOptions = {}): AsyncIterable<StoreRecord> {
    options.signal?.throwIfAborted()
    return readRecords(this.#handlesOrThrow(), this.#report, options.signal)
  }

  async restore (records: AsyncIterable<StoreRecord>, options: AbortOptions = {}): Promise<RestoreSummary> {
    options.signal?.throwIfAborted()
    const context = { sequences: this.#sequences, outbox: this.#outbox, requests: this.#requests }
    return this.#exclusive(options, async handles => {
      try {
        return await restoreRecords(handles, records, context, options.signal)
      } catch (err) {
        // a failed write leaves counts made at prepare time: recount, before the next write
        await this.#recover(err as Error)
        throw err
      } finally {
        this.#cache.clear()
      }
    })
  }

  /** The handles of the open database; throws StoreNotOpenError otherwise */
  #handlesOrThrow (): Handles {
    if (this.#status !== 'open' || this.#handles === undefined) {
      throw new StoreNotOpenError()
    }
    return this.#handles
  }

  /** What history writes keep in step */
  #context (): { sequences: Sequences, outbox: OutboxCounts, cache: OutboxCache } {
    return { sequences: this.#sequences, outbox: this.#outbox, cache: this.#cache }
  }

  /** Runs `fn` alone after every earlier write has settled; rejects at once if the store is not open */
  async #exclusive<T> (options: AbortOptions, fn: (handles: Handles) => Promise<T>): Promise<T> {
    this.#handlesOrThrow()
    return this.#writes.exclusive(async () => {
      options.signal?.throwIfAborted()
      // close() waits for this queue, so the handles are still valid here
      return fn(this.#handles ?? this.#handlesOrThrow())
    })
  }

  /** Queues a write committed with the others queued meanwhile; rejects at once if the store is not open */
  async #grouped<T> (options: AbortOptions, prepare: (handles: Handles, overlay: Overlay) => Promise<Prepared<T>>): Promise<T> {
    this.#handlesOrThrow()
    return this.#writes.grouped(async overlay => {
      options.signal?.throwIfAborted()
      return prepare(this.#handles ?? this.#handlesOrThrow(), overlay)
    })
  }

  /** A batch failed: what was counted for it in memory is recounted from the disk */
  async #recover (err: Error): Promise<void> {
    this.#log.error('write failed, recounting from disk - %e', err)
    this.#sequences.clear()
    this.#cache.clear()
    const handles = this.#handles
    if (handles !== undefined) {
      await this.#outbox.rebuild(handles, this.#report)
      await this.#fanout.rebuild(handles, this.#report)
      await this.#requests.rebuild(handles, this.#report)
    }
  }
}
