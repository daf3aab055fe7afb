/**
 * The Store on LevelDB (`level`). One database at `<dataDir>/db`, one
 * sublevel per namespace:
 *
 *   identity  'self'                   -> sealed protobuf private key
 *   peers     <peerId>                 -> sealed JSON StoredPeer
 *   history   <peer>!<time>!<seq>!<id> -> sealed JSON ChatMessage
 *   index     <peer>!<id>              -> sealed history key (dedup, lookups)
 *   outbox    <history key>            -> sealed empty value: outgoing, not yet delivered
 *   meta      'clock'                  -> sealed last (time, seq)
 *             'keycheck'               -> sealed constant: proves the key file matches
 *
 * Every value is sealed by at-rest.ts under the data key from keyfile.ts.
 * Writes are serialised through one queue so read-modify-write operations
 * (dedup, status, peer upsert) cannot interleave.
 */
import { createSecretKey, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { openValue, sealValue } from './at-rest.ts'
import {
  DATA_DIR_MODE, DATA_KEY_LENGTH, DB_DIR_NAME, DEFAULT_HISTORY_LIMIT, IDENTITY_KEY, KEY_FILE_NAME, META_CLOCK_KEY,
  META_KEY_CHECK, SUBLEVEL_HISTORY, SUBLEVEL_IDENTITY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_PEERS, SUBLEVEL_OUTBOX,
  DEFAULT_MAX_OUTBOX_PER_PEER, DEFAULT_MAX_OUTBOX_TOTAL
} from './constants.ts'
import { CorruptKeyFileError, CorruptRecordError, DataDirInUseError, OutboxFullError, StoreNotOpenError } from './errors.ts'
import { decodeKeyFile, encodeKeyFile, readKeyFile, writeKeyFile } from './keyfile.ts'
import {
  assertKeyPart, compareClocks, decodeHistoryKey, encodeHistoryKey, encodeIndexKey, historyRange, nextClock, ZERO_CLOCK
} from './keys.ts'
import type { Clock } from './keys.ts'
import {
  decodeClock, decodeMessage, decodePeer, decodeText, encodeClock, encodeMessage, encodePeer, encodeText,
  isMessageStatus, messageProblem, peerUpdateProblem, pickMessage, statusRank
} from './records.ts'
import type { PeerUpdate, SetStatusOptions, StatusChange, Store, StoreInit, StoreStatus, StoredPeer } from './index.ts'
import type { ChatMessage, HistoryOptions, MessageStatus } from '../types.ts'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Plaintext of the meta/keycheck record */
const KEY_CHECK = 'securechat-store-v1'

/** The value of an outbox record: nothing but its authenticated key */
const OUTBOX_MARK = new Uint8Array(0)

type Db = Level<string, Uint8Array>

function openSublevel (db: Db, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
}

type Sublevel = ReturnType<typeof openSublevel>

interface Handles {
  db: Db
  identity: Sublevel
  peers: Sublevel
  history: Sublevel
  index: Sublevel
  meta: Sublevel
  outbox: Sublevel
  dataKey: KeyObject
}

/** A put through the root database, so that `sync` reaches LevelDB (sublevel typings do not carry it) */
async function putSynced (handles: Handles, sublevel: Sublevel, key: string, value: Uint8Array): Promise<void> {
  await handles.db.batch([{ type: 'put', sublevel, key, value }], { sync: true })
}

function errorCode (err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code
}

/**
 * level reports a held lock as LEVEL_DATABASE_NOT_OPEN with cause
 * LEVEL_LOCKED (abstract-level's codes are API): that becomes
 * DataDirInUseError, any other failure passes through unchanged.
 */
function translateOpenError (err: unknown): unknown {
  if (errorCode(err) === 'LEVEL_LOCKED' || errorCode((err as { cause?: unknown } | undefined)?.cause) === 'LEVEL_LOCKED') {
    return new DataDirInUseError(undefined, { cause: err })
  }
  return err
}

const silentLogger: Logger = Object.assign(() => {}, {
  error: () => {},
  trace: () => {},
  enabled: false,
  newScope: () => silentLogger
})

export class LevelStore implements Store {
  readonly #dataDir: string
  readonly #passphrase: string | undefined
  readonly #onCorrupt: ((err: CorruptRecordError) => void) | undefined
  readonly #log: Logger
  readonly #now: () => number
  readonly #maxOutboxPerPeer: number
  readonly #maxOutboxTotal: number
  /** outbox entries per peer, kept in step with the outbox sublevel */
  readonly #outboxCounts = new Map<string, number>()
  #outboxTotal = 0

  #status: StoreStatus = 'closed'
  #handles: Handles | undefined
  #clock: Clock = ZERO_CLOCK
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined
  /** tail of the write queue; never rejects */
  #writes: Promise<unknown> = Promise.resolve()

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
    this.#maxOutboxPerPeer = init.maxOutboxPerPeer ?? DEFAULT_MAX_OUTBOX_PER_PEER
    this.#maxOutboxTotal = init.maxOutboxTotal ?? DEFAULT_MAX_OUTBOX_TOTAL
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
    let db: Db | undefined
    try {
      await mkdir(this.#dataDir, { recursive: true, mode: DATA_DIR_MODE })
      db = new Level<string, Uint8Array>(join(this.#dataDir, DB_DIR_NAME), { keyEncoding: 'utf8', valueEncoding: 'view' })
      await db.open().catch((err: unknown) => { throw translateOpenError(err) })
      options.signal?.throwIfAborted()

      const meta = openSublevel(db, SUBLEVEL_META)
      const dataKey = await this.#loadDataKey(db, meta)
      options.signal?.throwIfAborted()

      const handles: Handles = {
        db,
        identity: openSublevel(db, SUBLEVEL_IDENTITY),
        peers: openSublevel(db, SUBLEVEL_PEERS),
        history: openSublevel(db, SUBLEVEL_HISTORY),
        index: openSublevel(db, SUBLEVEL_INDEX),
        meta,
        outbox: openSublevel(db, SUBLEVEL_OUTBOX),
        dataKey
      }
      this.#clock = await this.#loadClock(handles)
      await this.#countOutbox(handles)
      this.#handles = handles
      this.#status = 'open'
      this.#log('opened %s', this.#dataDir)
    } catch (err) {
      this.#status = 'closed'
      await db?.close().catch(() => {})
      throw err
    }
  }

  /**
   * Reads (or on first open creates) the data key and checks it against the
   * database's keycheck record, so a key file from another data dir, or a
   * lost one, is never silently replaced by a fresh key.
   */
  async #loadDataKey (db: Db, meta: Sublevel): Promise<KeyObject> {
    const keyPath = join(this.#dataDir, KEY_FILE_NAME)
    const check: Uint8Array | undefined = await meta.get(META_KEY_CHECK)
    const file = await readKeyFile(keyPath)

    let raw: Uint8Array
    if (file === undefined) {
      if (check !== undefined) {
        throw new CorruptKeyFileError('key file is missing but the database holds encrypted data')
      }
      raw = randomBytes(DATA_KEY_LENGTH)
      await writeKeyFile(keyPath, await encodeKeyFile(raw, this.#passphrase))
      this.#log('created key file (%s)', this.#passphrase === undefined ? 'unprotected' : 'passphrase-protected')
    } else {
      if ((file.mode & 0o077) !== 0) {
        this.#log.error('key file %s is accessible to group or others (mode %s)', keyPath, file.mode.toString(8))
      }
      raw = await decodeKeyFile(file.bytes, this.#passphrase)
    }
    const dataKey = createSecretKey(raw)
    raw.fill(0)

    if (check === undefined) {
      await db.batch([{ type: 'put', sublevel: meta, key: META_KEY_CHECK, value: sealValue(dataKey, SUBLEVEL_META, META_KEY_CHECK, encodeText(KEY_CHECK)) }], { sync: true })
    } else {
      let matches = false
      try {
        matches = decodeText(openValue(dataKey, SUBLEVEL_META, META_KEY_CHECK, check)) === KEY_CHECK
      } catch {
        // a failed decryption is the mismatch reported below
      }
      if (!matches) {
        throw new CorruptKeyFileError('key file does not match the database')
      }
    }
    return dataKey
  }

  /** The last (time, seq) from meta; rebuilt from the history keys if missing or corrupt */
  async #loadClock (handles: Handles): Promise<Clock> {
    const sealed: Uint8Array | undefined = await handles.meta.get(META_CLOCK_KEY)
    if (sealed !== undefined) {
      try {
        return decodeClock(openValue(handles.dataKey, SUBLEVEL_META, META_CLOCK_KEY, sealed))
      } catch (err) {
        this.#reportCorrupt(this.#asCorrupt(err, SUBLEVEL_META, META_CLOCK_KEY))
      }
    }
    let clock: Clock = ZERO_CLOCK
    for await (const key of handles.history.keys()) {
      const decoded = decodeHistoryKey(key)
      if (decoded !== undefined && compareClocks(decoded, clock) > 0) {
        clock = { time: decoded.time, seq: decoded.seq }
      }
    }
    return clock
  }

  /** Rebuilds the in-memory outbox counters from the outbox keys */
  async #countOutbox (handles: Handles): Promise<void> {
    this.#outboxCounts.clear()
    this.#outboxTotal = 0
    for await (const key of handles.outbox.keys()) {
      const decoded = decodeHistoryKey(key)
      if (decoded !== undefined) {
        this.#outboxCounts.set(decoded.peer, (this.#outboxCounts.get(decoded.peer) ?? 0) + 1)
        this.#outboxTotal++
      }
    }
  }

  #countOutboxChange (peer: string, delta: 1 | -1): void {
    const count = (this.#outboxCounts.get(peer) ?? 0) + delta
    if (count <= 0) {
      this.#outboxCounts.delete(peer)
    } else {
      this.#outboxCounts.set(peer, count)
    }
    this.#outboxTotal += delta
  }

  outboxSize (peer?: string): number {
    return peer === undefined ? this.#outboxTotal : (this.#outboxCounts.get(peer) ?? 0)
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
    const handles = this.#handlesOrThrow()
    const sealed: Uint8Array | undefined = await handles.identity.get(IDENTITY_KEY)
    if (sealed === undefined) {
      return undefined
    }
    return openValue(handles.dataKey, SUBLEVEL_IDENTITY, IDENTITY_KEY, sealed)
  }

  async putIdentity (key: Uint8Array, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (!(key instanceof Uint8Array) || key.length === 0) {
      throw new TypeError('identity key must be a non-empty Uint8Array')
    }
    const copy = new Uint8Array(key)
    await this.#exclusive(options, async handles => {
      await putSynced(handles, handles.identity, IDENTITY_KEY, sealValue(handles.dataKey, SUBLEVEL_IDENTITY, IDENTITY_KEY, copy))
    })
    copy.fill(0)
  }

  async append (message: ChatMessage, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const problem = messageProblem(message, false)
    if (problem !== undefined) {
      throw new TypeError(`invalid message: ${problem}`)
    }
    const record = pickMessage(message)
    const indexKey = encodeIndexKey(record.peer, record.id)

    return this.#exclusive(options, async handles => {
      if (await handles.index.has(indexKey)) {
        return false
      }
      const queued = record.direction === 'out' && statusRank(record.status) < statusRank('delivered')
      if (queued && this.outboxSize(record.peer) >= this.#maxOutboxPerPeer) {
        throw new OutboxFullError(`outbox for this peer is full (${this.#maxOutboxPerPeer} messages awaiting delivery)`)
      }
      if (queued && this.#outboxTotal >= this.#maxOutboxTotal) {
        throw new OutboxFullError(`outbox is full (${this.#maxOutboxTotal} messages awaiting delivery)`)
      }
      const clock = nextClock(this.#clock, this.#now())
      const historyKey = encodeHistoryKey({ peer: record.peer, id: record.id, ...clock })
      await handles.db.batch([
        { type: 'put', sublevel: handles.history, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage(record)) },
        { type: 'put', sublevel: handles.index, key: indexKey, value: sealValue(handles.dataKey, SUBLEVEL_INDEX, indexKey, encodeText(historyKey)) },
        { type: 'put', sublevel: handles.meta, key: META_CLOCK_KEY, value: sealValue(handles.dataKey, SUBLEVEL_META, META_CLOCK_KEY, encodeClock(clock)) },
        ...(queued ? [{ type: 'put' as const, sublevel: handles.outbox, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_OUTBOX, historyKey, OUTBOX_MARK) }] : [])
      ], { sync: true })
      this.#clock = clock
      if (queued) {
        this.#countOutboxChange(record.peer, 1)
      }
      return true
    })
  }

  async has (peer: string, id: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const indexKey = encodeIndexKey(peer, id)
    return this.#handlesOrThrow().index.has(indexKey)
  }

  async get (peer: string, id: string, options: AbortOptions = {}): Promise<ChatMessage | undefined> {
    options.signal?.throwIfAborted()
    const indexKey = encodeIndexKey(peer, id)
    const found = await this.#lookup(this.#handlesOrThrow(), peer, id, indexKey)
    return found?.message
  }

  async setStatus (peer: string, id: string, status: MessageStatus, options: SetStatusOptions = {}): Promise<StatusChange | undefined> {
    options.signal?.throwIfAborted()
    const indexKey = encodeIndexKey(peer, id)
    if (!isMessageStatus(status)) {
      throw new TypeError('status must be pending, sent, delivered or read')
    }
    return this.#exclusive(options, async handles => {
      const found = await this.#lookup(handles, peer, id, indexKey)
      if (found === undefined || found.message.direction !== 'out') {
        this.#log.trace('setStatus: no outgoing message %s to %s', id, peer)
        return undefined
      }
      if (statusRank(status) <= statusRank(found.message.status)) {
        return undefined
      }
      const updated: ChatMessage = { ...found.message, status }
      const leavesOutbox = statusRank(status) >= statusRank('delivered') && (await handles.outbox.get(found.historyKey)) !== undefined
      await handles.db.batch([
        { type: 'put', sublevel: handles.history, key: found.historyKey, value: sealValue(handles.dataKey, SUBLEVEL_HISTORY, found.historyKey, encodeMessage(updated)) },
        ...(leavesOutbox ? [{ type: 'del' as const, sublevel: handles.outbox, key: found.historyKey }] : [])
      ], { sync: options.sync ?? true })
      if (leavesOutbox) {
        this.#countOutboxChange(peer, -1)
      }
      return { previous: found.message.status }
    })
  }

  async pending (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    options.signal?.throwIfAborted()
    const limit = options.limit ?? DEFAULT_HISTORY_LIMIT
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new TypeError('limit must be a non-negative integer')
    }
    const handles = this.#handlesOrThrow()
    const messages: ChatMessage[] = []
    if (limit === 0) {
      return messages
    }
    for await (const [key, mark] of handles.outbox.iterator({ ...historyRange(peer), signal: options.signal })) {
      try {
        openValue(handles.dataKey, SUBLEVEL_OUTBOX, key, mark)
        const sealed: Uint8Array | undefined = await handles.history.get(key)
        if (sealed === undefined) {
          throw new Error('outbox entry without its history record')
        }
        messages.push(this.#decodeHistoryRecord(handles, key, sealed))
      } catch (err) {
        // an entry that cannot be read cannot be sent: report it and go on with the rest
        this.#reportCorrupt(this.#asCorrupt(err, SUBLEVEL_OUTBOX, key))
        continue
      }
      if (messages.length >= limit) {
        break
      }
    }
    return messages
  }

  async pendingPeers (options: AbortOptions = {}): Promise<string[]> {
    options.signal?.throwIfAborted()
    this.#handlesOrThrow()
    return [...this.#outboxCounts.keys()]
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    options.signal?.throwIfAborted()
    const limit = options.limit ?? DEFAULT_HISTORY_LIMIT
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new TypeError('limit must be a non-negative integer')
    }
    const range = historyRange(peer)
    const handles = this.#handlesOrThrow()
    const messages: ChatMessage[] = []
    if (limit === 0) {
      return messages
    }
    // newest first; corrupt records do not count towards the limit
    for await (const [key, sealed] of handles.history.iterator({ ...range, reverse: true, signal: options.signal })) {
      try {
        messages.push(this.#decodeHistoryRecord(handles, key, sealed))
      } catch (err) {
        this.#reportCorrupt(this.#asCorrupt(err, SUBLEVEL_HISTORY, key))
        continue
      }
      if (messages.length >= limit) {
        break
      }
    }
    return messages.reverse()
  }

  async getPeer (peerId: string, options: AbortOptions = {}): Promise<StoredPeer | undefined> {
    options.signal?.throwIfAborted()
    assertKeyPart(peerId, 'peerId')
    return this.#readPeer(this.#handlesOrThrow(), peerId)
  }

  async putPeer (update: PeerUpdate, options: AbortOptions = {}): Promise<StoredPeer> {
    options.signal?.throwIfAborted()
    const problem = peerUpdateProblem(update)
    if (problem !== undefined) {
      throw new TypeError(`invalid peer update: ${problem}`)
    }
    const seen = update.seen ?? this.#now()
    return this.#exclusive(options, async handles => {
      let existing: StoredPeer | undefined
      try {
        existing = await this.#readPeer(handles, update.peerId)
      } catch (err) {
        // the peer book is a cache: a corrupt entry is reported and replaced
        if (!(err instanceof CorruptRecordError)) {
          throw err
        }
        this.#reportCorrupt(err)
      }
      const peer: StoredPeer = {
        peerId: update.peerId,
        addrs: [...(update.addrs ?? existing?.addrs ?? [])],
        firstSeen: existing?.firstSeen ?? seen,
        lastSeen: Math.max(existing?.lastSeen ?? seen, seen)
      }
      const name = update.name ?? existing?.name
      if (name !== undefined) {
        peer.name = name
      }
      await handles.peers.put(peer.peerId, sealValue(handles.dataKey, SUBLEVEL_PEERS, peer.peerId, encodePeer(peer)))
      return peer
    })
  }

  async peers (options: AbortOptions = {}): Promise<StoredPeer[]> {
    options.signal?.throwIfAborted()
    const handles = this.#handlesOrThrow()
    const peers: StoredPeer[] = []
    for await (const [key, sealed] of handles.peers.iterator({ signal: options.signal })) {
      try {
        peers.push(this.#decodePeerRecord(handles, key, sealed))
      } catch (err) {
        this.#reportCorrupt(this.#asCorrupt(err, SUBLEVEL_PEERS, key))
      }
    }
    return peers
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

  async #lookup (handles: Handles, peer: string, id: string, indexKey: string): Promise<{ historyKey: string, message: ChatMessage } | undefined> {
    const sealedIndex: Uint8Array | undefined = await handles.index.get(indexKey)
    if (sealedIndex === undefined) {
      return undefined
    }
    let historyKey: string
    try {
      historyKey = decodeText(openValue(handles.dataKey, SUBLEVEL_INDEX, indexKey, sealedIndex))
    } catch (err) {
      throw this.#asCorrupt(err, SUBLEVEL_INDEX, indexKey)
    }
    const decoded = decodeHistoryKey(historyKey)
    if (decoded === undefined || decoded.peer !== peer || decoded.id !== id) {
      throw new CorruptRecordError(SUBLEVEL_INDEX, indexKey, `record ${SUBLEVEL_INDEX}/${indexKey} points to an invalid history key`)
    }
    const sealed: Uint8Array | undefined = await handles.history.get(historyKey)
    if (sealed === undefined) {
      throw new CorruptRecordError(SUBLEVEL_HISTORY, historyKey, `record ${SUBLEVEL_HISTORY}/${historyKey} is missing`)
    }
    try {
      return { historyKey, message: this.#decodeHistoryRecord(handles, historyKey, sealed) }
    } catch (err) {
      throw this.#asCorrupt(err, SUBLEVEL_HISTORY, historyKey)
    }
  }

  #decodeHistoryRecord (handles: Handles, key: string, sealed: Uint8Array): ChatMessage {
    const decoded = decodeHistoryKey(key)
    if (decoded === undefined) {
      throw new Error('malformed history key')
    }
    const message = decodeMessage(openValue(handles.dataKey, SUBLEVEL_HISTORY, key, sealed))
    if (message.peer !== decoded.peer || message.id !== decoded.id) {
      throw new Error('stored message does not match its key')
    }
    return message
  }

  async #readPeer (handles: Handles, peerId: string): Promise<StoredPeer | undefined> {
    const sealed: Uint8Array | undefined = await handles.peers.get(peerId)
    if (sealed === undefined) {
      return undefined
    }
    try {
      return this.#decodePeerRecord(handles, peerId, sealed)
    } catch (err) {
      throw this.#asCorrupt(err, SUBLEVEL_PEERS, peerId)
    }
  }

  #decodePeerRecord (handles: Handles, key: string, sealed: Uint8Array): StoredPeer {
    const peer = decodePeer(openValue(handles.dataKey, SUBLEVEL_PEERS, key, sealed))
    if (peer.peerId !== key) {
      throw new Error('stored peer does not match its key')
    }
    return peer
  }

  #asCorrupt (err: unknown, sublevel: string, key: string): CorruptRecordError {
    if (err instanceof CorruptRecordError) {
      return err
    }
    return new CorruptRecordError(sublevel, key, undefined, { cause: err })
  }

  #reportCorrupt (err: CorruptRecordError): void {
    this.#log.error('skipping corrupt record %s/%s: %s', err.sublevel, err.key, err.message)
    this.#onCorrupt?.(err)
  }
}
