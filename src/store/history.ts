/**
 * The message history and what is kept in step with it: the index (dedup and
 * lookups by id), the outbox (outgoing, not yet delivered) and the quarantine
 * entries. A record that fails to open, decode or match its key is corrupt: a
 * lookup throws CorruptRecordError, a scan reports the record and goes on
 * with the rest. The writes are in history-writes.ts.
 */
import { openValue } from './at-rest.ts'
import { ROOM_HISTORY_SLACK, SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_OUTBOX } from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { conversationRange, decodeHistoryKey } from './keys.ts'
import { decodeMessage, decodeText, isRoomConversation } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { OutboxEntry } from './outbox-cache.ts'
import type { ChatMessage } from '../types.ts'

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

/**
 * The message `id` with `peer` and its history key, through the index;
 * undefined if not stored. In a room's conversation ids are per sender:
 * `from` names it (keys.ts)
 */
export async function lookup (handles: Handles, peer: string, id: string, from?: string): Promise<{ historyKey: string, message: ChatMessage } | undefined> {
  const indexKey = handles.names.message(peer, id, from)
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
  if (message.id !== id || message.peer !== peer || (from !== undefined && message.from !== from)) {
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

/**
 * The newest `limit` messages with `peer`, oldest first; corrupt records do
 * not count towards the limit. A room's conversation is shown in (clock,
 * sender) order, the order every member shows: its last `limit` +
 * ROOM_HISTORY_SLACK records are read and sorted, and the last `limit` of
 * them kept
 */
export async function scanHistory (handles: Handles, peer: string, options: ScanOptions, report: ReportCorrupt): Promise<ChatMessage[]> {
  const conversation = handles.names.conversation(peer)
  const room = isRoomConversation(peer)
  const entries = handles.history.iterator({ ...conversationRange(conversation), reverse: true, signal: options.signal })
  const messages = await collect(entries, SUBLEVEL_HISTORY, room ? options.limit + ROOM_HISTORY_SLACK : options.limit, (key, sealed) => decodeHistoryRecord(handles, key, sealed, conversation), report)
  if (!room) {
    return messages.reverse()
  }
  return messages.sort(roomOrder).slice(-options.limit)
}

/** (clock, sender peer id, id): the same on every member */
export function roomOrder (a: ChatMessage, b: ChatMessage): number {
  return ((a.clock ?? 0) - (b.clock ?? 0)) || compare(a.from, b.from) || compare(a.id, b.id)
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The oldest `limit` outbox entries for `peer`, with their history records */
export async function scanOutbox (handles: Handles, peer: string, options: ScanOptions, report: ReportCorrupt): Promise<OutboxEntry[]> {
  const conversation = handles.names.conversation(peer)
  const entries = handles.outbox.iterator({ ...conversationRange(conversation), signal: options.signal })
  const found: OutboxEntry[] = []
  // an entry that cannot be read cannot be sent: it is reported and the rest go on
  await collect(entries, SUBLEVEL_OUTBOX, options.limit, async (key, entry) => {
    if (decodeText(openValue(handles.dataKey, SUBLEVEL_OUTBOX, key, entry)) !== peer) {
      throw new Error('outbox entry of another peer')
    }
    const sealed: Uint8Array | undefined = await handles.history.get(key)
    if (sealed === undefined) {
      throw new Error('outbox entry without its history record')
    }
    const message = decodeHistoryRecord(handles, key, sealed, conversation)
    found.push({ key, message })
    return message
  }, report)
  return found
}
