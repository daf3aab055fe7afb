/**
 * The message history and what is kept in step with it: the index (dedup and
 * lookups by id), the outbox (outgoing, not yet delivered) and the clock that
 * orders history keys. A record that fails to open, decode or match its key
 * is corrupt: a lookup throws CorruptRecordError, a scan reports the record
 * and goes on with the rest. The writes run inside the store's write queue.
 */
import { openValue, sealValue } from './at-rest.ts'
import { META_CLOCK_KEY, SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_OUTBOX, SUBLEVEL_REQUESTS } from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { compareClocks, decodeHistoryKey, encodeHistoryKey, historyRange, nextClock, ZERO_CLOCK } from './keys.ts'
import { decodeClock, decodeMessage, decodeText, encodeClock, encodeMessage, encodeText, statusRank } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { Clock } from './keys.ts'
import type { OutboxCounts } from './outbox-counts.ts'
import type { RequestCounts } from './request-counts.ts'
import type { StatusChange } from './index.ts'
import type { ChatMessage, MessageStatus } from '../types.ts'
import type { Logger } from '@libp2p/interface'

/** The value of an outbox record: nothing but its authenticated key */
const OUTBOX_MARK = new Uint8Array(0)

/** The sealed byte count of a quarantine entry and LevelDB's per-record overhead, roughly */
const REQUEST_ENTRY_OVERHEAD = 64

/** A scan's bounds: `limit` > 0 (the caller answers 0 itself), the caller's signal */
export interface ScanOptions {
  limit: number
  signal?: AbortSignal
}

function decodeHistoryRecord (handles: Handles, key: string, sealed: Uint8Array): ChatMessage {
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

/** The message `id` with `peer` and its history key, through the index; undefined if not stored */
export async function lookup (handles: Handles, peer: string, id: string, indexKey: string): Promise<{ historyKey: string, message: ChatMessage } | undefined> {
  const sealedIndex: Uint8Array | undefined = await handles.index.get(indexKey)
  if (sealedIndex === undefined) {
    return undefined
  }
  let historyKey: string
  try {
    historyKey = decodeText(openValue(handles.dataKey, SUBLEVEL_INDEX, indexKey, sealedIndex))
  } catch (err) {
    throw asCorrupt(err, SUBLEVEL_INDEX, indexKey)
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
    return { historyKey, message: decodeHistoryRecord(handles, historyKey, sealed) }
  } catch (err) {
    throw asCorrupt(err, SUBLEVEL_HISTORY, historyKey)
  }
}

/** The last (time, seq) from meta; rebuilt from the history keys if missing or corrupt */
export async function loadClock (handles: Handles, report: ReportCorrupt): Promise<Clock> {
  const sealed: Uint8Array | undefined = await handles.meta.get(META_CLOCK_KEY)
  if (sealed !== undefined) {
    try {
      return decodeClock(openValue(handles.dataKey, SUBLEVEL_META, META_CLOCK_KEY, sealed))
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_META, META_CLOCK_KEY))
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

/**
 * Up to `limit` messages read from `entries` (records of `sublevel`) by
 * `read`; an entry `read` fails on is reported and does not count.
 */
async function collect (entries: AsyncIterable<[string, Uint8Array]>, sublevel: string, limit: number, read: (key: string, value: Uint8Array) => ChatMessage | Promise<ChatMessage>, report: ReportCorrupt): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = []
  for await (const [key, value] of entries) {
    try {
      messages.push(await read(key, value))
    } catch (err) {
      report(asCorrupt(err, sublevel, key))
      continue
    }
    if (messages.length >= limit) {
      break
    }
  }
  return messages
}

/** The newest `limit` messages in `range`, oldest first; corrupt records do not count towards the limit */
export async function scanHistory (handles: Handles, range: ReturnType<typeof historyRange>, options: ScanOptions, report: ReportCorrupt): Promise<ChatMessage[]> {
  const entries = handles.history.iterator({ ...range, reverse: true, signal: options.signal })
  const messages = await collect(entries, SUBLEVEL_HISTORY, options.limit, (key, sealed) => decodeHistoryRecord(handles, key, sealed), report)
  return messages.reverse()
}

/** The oldest `limit` outbox entries for `peer`, as their history records */
export async function scanOutbox (handles: Handles, peer: string, options: ScanOptions, report: ReportCorrupt): Promise<ChatMessage[]> {
  const entries = handles.outbox.iterator({ ...historyRange(peer), signal: options.signal })
  // an entry that cannot be read cannot be sent: it is reported and the rest go on
  return collect(entries, SUBLEVEL_OUTBOX, options.limit, async (key, mark) => {
    openValue(handles.dataKey, SUBLEVEL_OUTBOX, key, mark)
    const sealed: Uint8Array | undefined = await handles.history.get(key)
    if (sealed === undefined) {
      throw new Error('outbox entry without its history record')
    }
    return decodeHistoryRecord(handles, key, sealed)
  }, report)
}

/**
 * Appends `record` (index entry `indexKey`) after clock `last`, in one synced
 * batch with its index entry, the new clock and, for an outgoing message not
 * yet delivered, an outbox entry (OutboxFullError if that exceeds a bound).
 * Returns the new clock, or undefined if the message is already stored.
 */
export async function appendRecord (handles: Handles, record: ChatMessage, indexKey: string, last: Clock, now: () => number, outbox: OutboxCounts, requests?: RequestCounts): Promise<Clock | undefined> {
  if (await handles.index.has(indexKey)) {
    return undefined
  }
  const queued = record.direction === 'out' && statusRank(record.status) < statusRank('delivered')
  if (queued) {
    outbox.assertRoom(record.peer)
  }
  const clock = nextClock(last, now())
  const historyKey = encodeHistoryKey({ peer: record.peer, id: record.id, ...clock })
  const sealedRecord = sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage(record))
  const sealedIndex = sealValue(handles.dataKey, SUBLEVEL_INDEX, indexKey, encodeText(historyKey))
  // a message request: counted in the quarantine by what its records take on disk
  const requestBytes = requests == null ? 0 : sealedRecord.byteLength + sealedIndex.byteLength + 2 * historyKey.length + indexKey.length + REQUEST_ENTRY_OVERHEAD
  if (requests != null) {
    requests.assertRoom(record.peer, requestBytes)
  }
  await handles.db.batch([
    { type: 'put', sublevel: handles.history, key: historyKey, value: sealedRecord },
    { type: 'put', sublevel: handles.index, key: indexKey, value: sealedIndex },
    { type: 'put', sublevel: handles.meta, key: META_CLOCK_KEY, value: sealValue(handles.dataKey, SUBLEVEL_META, META_CLOCK_KEY, encodeClock(clock)) },
    ...(queued ? [{ type: 'put' as const, sublevel: handles.outbox, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_OUTBOX, historyKey, OUTBOX_MARK) }] : []),
    ...(requests != null ? [{ type: 'put' as const, sublevel: handles.requests, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_REQUESTS, historyKey, encodeText(String(requestBytes))) }] : [])
  ], { sync: true })
  if (queued) {
    outbox.change(record.peer, 1)
  }
  requests?.change(record.peer, 1, requestBytes)
  return clock
}

/**
 * Moves the outgoing message `id` to `peer` forward to `status` (never back);
 * from delivered on it leaves the outbox. Undefined if nothing changed.
 */
export async function updateStatus (handles: Handles, peer: string, id: string, indexKey: string, status: MessageStatus, sync: boolean, outbox: OutboxCounts, log: Logger): Promise<StatusChange | undefined> {
  const found = await lookup(handles, peer, id, indexKey)
  if (found === undefined || found.message.direction !== 'out') {
    log.trace('setStatus: no outgoing message %s to %s', id, peer)
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
  ], { sync })
  if (leavesOutbox) {
    outbox.change(peer, -1)
  }
  return { previous: found.message.status }
}
