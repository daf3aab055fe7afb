/**
 * The Store on LevelDB (`level`): the class, its lifecycle and the write
 * queue. Writes are serialised through one queue so read-modify-write
 * operations (dedup, status, peer upsert) cannot interleave.
 *
 * The on-disk layout is in handles.ts and keys.ts; opening in open.ts (the
 * data key in data-key.ts, the format in format.ts); one module per
 * namespace: identity.ts, peer-book.ts and history.ts (with the index and
 * outbox), requests.ts; the bounds in outbox-counts.ts and
 * request-counts.ts; backups in backup.ts.
 */
import {
  DEFAULT_HISTORY_LIMIT, DEFAULT_MAX_OUTBOX_PER_PEER, DEFAULT_MAX_OUTBOX_TOTAL, DEFAULT_MAX_REQUEST_BYTES_PER_PEER,
  DEFAULT_MAX_REQUEST_BYTES_TOTAL, DEFAULT_MAX_REQUEST_MESSAGES_PER_PEER, DEFAULT_MAX_REQUEST_PEERS
} from './constants.ts'
import { readRecords, restoreRecords } from './backup.ts'
import { StoreNotOpenError } from './errors.ts'
import { appendRecord, lookup, scanHistory, scanOutbox, updateStatus } from './history.ts'
import { readIdentity, writeIdentity } from './identity.ts'
import { assertKeyPart } from './keys.ts'
import { openHandles } from './open.ts'
import { OutboxCounts } from './outbox-counts.ts'
import { RequestCounts } from './request-counts.ts'
import { endRequests } from './requests.ts'
import { readPeer, scanPeers, upsertPeer, deletePeer } from './peer-book.ts'
import { isMessageStatus, messageProblem, peerUpdateProblem, pickMessage } from './records.ts'
import { Sequences } from './sequences.ts'
import type { CorruptRecordError } from './errors.ts'
import type { Handles } from './handles.ts'
import type { AppendOptions, PeerUpdate, RestoreSummary, SetStatusOptions, StatusChange, Store, StoreInit, StoreRecord, StoreStatus, StoredPeer } from './index.ts'
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

  #status: StoreStatus = 'closed'
  #handles: Handles | undefined
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined
  /** tail of the write queue; never rejects */
  #writes: Promise<unknown> = Promise.resolve()
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
      await this.#outbox.rebuild(handles, this.#report)
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
    return this.#outbox.size(peer)
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
        await this.#writes
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

    return this.#exclusive(options, async handles => {
      const requests = options.request === true && record.direction === 'in' ? this.#requests : undefined
      return appendRecord(handles, record, { sequences: this.#sequences, outbox: this.#outbox, requests })
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
    return handles.index.has(handles.names.message(peer, id))
  }

  async get (peer: string, id: string, options: AbortOptions = {}): Promise<ChatMessage | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    assertKeyPart(id, 'id')
    const found = await lookup(this.#handlesOrThrow(), peer, id)
    return found?.message
  }

  async setStatus (peer: string, id: string, status: MessageStatus, options: SetStatusOptions = {}): Promise<StatusChange | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peer, 'peer')
    assertKeyPart(id, 'id')
    if (!isMessageStatus(status)) {
      throw new TypeError('status must be pending, sent, delivered or read')
    }
    return this.#exclusive(options, async handles => updateStatus(handles, peer, id, status, options.sync ?? true, this.#outbox, this.#log))
  }

  async pending (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    options.signal?.throwIfAborted()
    const limit = checkLimit(options.limit)
    const handles = this.#handlesOrThrow()
    assertKeyPart(peer, 'peer')
    if (limit === 0) {
      return []
    }
    return scanOutbox(handles, peer, { limit, signal: options.signal }, this.#report)
  }

  async pendingPeers (options: AbortOptions = {}): Promise<string[]> {
    options.signal?.throwIfAborted()
    this.#handlesOrThrow()
    return this.#outbox.peers()
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

  records (options: AbortOptions = {}): AsyncIterable<StoreRecord> {
    options.signal?.throwIfAborted()
    return readRecords(this.#handlesOrThrow(), this.#report, options.signal)
  }

  async restore (records: AsyncIterable<StoreRecord>, options: AbortOptions = {}): Promise<RestoreSummary> {
    options.signal?.throwIfAborted()
    const context = { sequences: this.#sequences, outbox: this.#outbox, requests: this.#requests }
    return this.#exclusive(options, async handles => restoreRecords(handles, records, context, options.signal))
  }

  /** The handles of the open database; throws StoreNotOpenError otherwise */
  #handlesOrThrow (): Handles {
    if (this.#status !== 'open' || this.#handles === undefined) {
      throw new StoreNotOpenError()
    }
    return this.#handles
  }

  /** Runs `fn` after every earlier write has settled; rejects at once if the store is not open */
  async #exclusive<T> (options: AbortOptions, fn: (handles: Handles) => Promise<T>): Promise<T> {
    this.#handlesOrThrow()
    const run = this.#writes.then(async () => {
      options.signal?.throwIfAborted()
      // close() waits for this queue, so the handles are still valid here
      return fn(this.#handles ?? this.#handlesOrThrow())
    })
    this.#writes = run.catch(() => {})
    return run
  }
}
