/**
 * The message history and what is kept in step with it: the index (dedup and
 * lookups by id), the outbox (outgoing, not yet delivered) and the quarantine
 * entries. A record that fails to open, decode or match its key is corrupt: a
 * lookup throws CorruptRecordError, a scan reports the record and goes on
 * with the rest. The writes run inside the store's write queue.
 */
import { openValue, sealValue } from './at-rest.ts'
import { SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_OUTBOX, SUBLEVEL_REQUESTS } from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { conversationRange, decodeHistoryKey, encodeHistoryKey } from './keys.ts'
import { decodeMessage, decodeText, encodeMessage, encodeRequestEntry, encodeText, statusRank } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { OutboxCounts } from './outbox-counts.ts'
import type { RequestCounts } from './request-counts.ts'
import type { Sequences } from './sequences.ts'
import type { StatusChange } from './index.ts'
import type { ChatMessage, MessageStatus } from '../types.ts'
import type { Logger } from '@libp2p/interface'

/** The sealed byte count of a quarantine entry and LevelDB's per-record overhead, roughly */
const REQUEST_ENTRY_OVERHEAD = 64

/** A scan's bounds: `limit` > 0 (the caller answers 0 itself), the caller's signal */
export interface ScanOptions {
  limit: number
  signal?: AbortSignal
}

/** Opens and checks a history record; `conversation`, when the caller knows it, saves a hash */
export function decodeHistoryRecord (handles: Handles, key: string, sealed: Uint8Array, conversation?: string): ChatMessage {
  const decoded = decodeHistoryKey(key)
  if (decoded === undefined) {
    throw new Error('malformed history key')
  }
  const message = decodeMessage(openValue(handles.dataKey, SUBLEVEL_HISTORY, key, sealed))
  if (decoded.conversation !== (conversation ?? handles.names.conversation(message.peer))) {
    throw new Error('stored message does not match its key')
  }
  return message
}

/** The message `id` with `peer` and its history key, through the index; undefined if not stored */
export async function lookup (handles: Handles, peer: string, id: string): Promise<{ historyKey: string, message: ChatMessage } | undefined> {
  const indexKey = handles.names.message(peer, id)
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
  const conversation = handles.names.conversation(peer)
  if (decodeHistoryKey(historyKey)?.conversation !== conversation) {
    throw new CorruptRecordError(SUBLEVEL_INDEX, indexKey, `record ${SUBLEVEL_INDEX}/${indexKey} points to an invalid history key`)
  }
  const sealed: Uint8Array | undefined = await handles.history.get(historyKey)
  if (sealed === undefined) {
    throw new CorruptRecordError(SUBLEVEL_HISTORY, historyKey, `record ${SUBLEVEL_HISTORY}/${historyKey} is missing`)
  }
  let message: ChatMessage
  try {
    message = decodeHistoryRecord(handles, historyKey, sealed, conversation)
  } catch (err) {
    throw asCorrupt(err, SUBLEVEL_HISTORY, historyKey)
  }
  if (message.id !== id || message.peer !== peer) {
    throw new CorruptRecordError(SUBLEVEL_INDEX, indexKey, `record ${SUBLEVEL_INDEX}/${indexKey} points to another message`)
  }
  return { historyKey, message }
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
export async function scanHistory (handles: Handles, peer: string, options: ScanOptions, report: ReportCorrupt): Promise<ChatMessage[]> {
  const conversation = handles.names.conversation(peer)
  const entries = handles.history.iterator({ ...conversationRange(conversation), reverse: true, signal: options.signal })
  const messages = await collect(entries, SUBLEVEL_HISTORY, options.limit, (key, sealed) => decodeHistoryRecord(handles, key, sealed, conversation), report)
  return messages.reverse()
}

/** The oldest `limit` outbox entries for `peer`, as their history records */
export async function scanOutbox (handles: Handles, peer: string, options: ScanOptions, report: ReportCorrupt): Promise<ChatMessage[]> {
  const conversation = handles.names.conversation(peer)
  const entries = handles.outbox.iterator({ ...conversationRange(conversation), signal: options.signal })
  // an entry that cannot be read cannot be sent: it is reported and the rest go on
  return collect(entries, SUBLEVEL_OUTBOX, options.limit, async (key, entry) => {
    if (decodeText(openValue(handles.dataKey, SUBLEVEL_OUTBOX, key, entry)) !== peer) {
      throw new Error('outbox entry of another peer')
    }
    const sealed: Uint8Array | undefined = await handles.history.get(key)
    if (sealed === undefined) {
      throw new Error('outbox entry without its history record')
    }
    return decodeHistoryRecord(handles, key, sealed, conversation)
  }, report)
}

/** How appendRecord() writes */
export interface AppendContext {
  sequences: Sequences
  outbox: OutboxCounts
  /** counts the message as a request (an incoming message from a non-contact) */
  requests?: RequestCounts
  /** fsync the batch; default true. restore() syncs only its last write */
  sync?: boolean
}

/**
 * Appends `record` at the end of its conversation, in one batch with its
 * index entry and, for an outgoing message not yet delivered, an outbox
 * entry (OutboxFullError if that exceeds a bound), or, for a request, a
 * quarantine entry (RequestQuotaError past its bounds). Resolves false, and
 * writes nothing, if the message is already stored.
 */
export async function appendRecord (handles: Handles, record: ChatMessage, context: AppendContext): Promise<boolean> {
  const { names } = handles
  const indexKey = names.message(record.peer, record.id)
  if (await handles.index.has(indexKey)) {
    return false
  }
  const { sequences, outbox, requests } = context
  const queued = record.direction === 'out' && statusRank(record.status) < statusRank('delivered')
  if (queued) {
    outbox.assertRoom(record.peer)
  }
  const conversation = names.conversation(record.peer)
  const seq = await sequences.next(handles.history, conversation)
  const historyKey = encodeHistoryKey({ conversation, seq })
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
    ...(queued ? [{ type: 'put' as const, sublevel: handles.outbox, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_OUTBOX, historyKey, encodeText(record.peer)) }] : []),
    ...(requests != null ? [{ type: 'put' as const, sublevel: handles.requests, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_REQUESTS, historyKey, encodeRequestEntry({ peer: record.peer, bytes: requestBytes })) }] : [])
  ], { sync: context.sync ?? true })
  sequences.used(conversation, seq)
  if (queued) {
    outbox.change(record.peer, 1)
  }
  requests?.change(record.peer, 1, requestBytes)
  return true
}

/**
 * Moves the outgoing message `id` to `peer` forward to `status` (never back);
 * from delivered on it leaves the outbox. Undefined if nothing changed.
 */
export async function updateStatus (handles: Handles, peer: string, id: string, status: MessageStatus, sync: boolean, outbox: OutboxCounts, log: Logger): Promise<StatusChange | undefined> {
  const found = await lookup(handles, peer, id)
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
