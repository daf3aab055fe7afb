/**
 * Writes to the history and what is kept in step with it (index, outbox,
 * quarantine), as grouped writes of the write queue (write-queue.ts): each
 * prepares its batch operations, checking its bounds first, and changes the
 * in-memory counts at once so that the next write of the same group sees
 * them; a failed batch makes the store rebuild them. What a prepared write
 * puts is recorded in the group's overlay, so a later write in the same
 * group reads it instead of the disk.
 */
import { sealValue } from './at-rest.ts'
import { MAX_SEQ, SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_OUTBOX, SUBLEVEL_REQUESTS } from './constants.ts'
import { encodeHistoryKey } from './keys.ts'
import { lookup } from './history.ts'
import { fanoutOps } from './fanout.ts'
import { encodeMessage, encodeRequestEntry, encodeText, isRoomConversation, statusRank } from './records.ts'
import { Overlay } from './write-queue.ts'
import type { FanoutCounts } from './fanout.ts'
import type { BatchOp, Handles } from './handles.ts'
import type { OutboxCache } from './outbox-cache.ts'
import type { OutboxCounts } from './outbox-counts.ts'
import type { RequestCounts } from './request-counts.ts'
import type { Sequences } from './sequences.ts'
import type { StatusChange } from './index.ts'
import type { Prepared } from './write-queue.ts'
import type { ChatMessage, MessageStatus } from '../types.ts'
import type { Logger } from '@libp2p/interface'

/** The sealed byte count of a quarantine entry and LevelDB's per-record overhead, roughly */
const REQUEST_ENTRY_OVERHEAD = 64

/** The store's in-memory state that history writes keep in step */
export interface WriteContext {
  sequences: Sequences
  outbox: OutboxCounts
  cache?: OutboxCache
  /** fsync the batch; default true */
  sync?: boolean
}

export interface AppendContext extends WriteContext {
  /** counts the message as a request (an incoming message from a non-contact) */
  requests?: RequestCounts
  /** an outgoing room message: the members it waits for (fanout.ts), each counted in the outbox */
  to?: readonly string[]
  fanout?: FanoutCounts
  /** told the members of `to` the message waits for */
  admitted?: (members: string[]) => void
}

function noFanout (): never {
  throw new TypeError('a room message to members needs the fan-out counts')
}

/** The index keys of `records`, looked up in one read: whether each is stored */
export async function storedAlready (handles: Handles, records: ChatMessage[]): Promise<boolean[]> {
  const found = await handles.index.getMany(records.map(r => handles.names.messageOf(r)))
  return found.map(value => value !== undefined)
}

/**
 * Prepares `record` at the end of its conversation, with its index entry
 * and, for an outgoing message not yet delivered, an outbox entry
 * (OutboxFullError if that exceeds a bound), or, for a request, a
 * quarantine entry (RequestQuotaError past its bounds). Resolves false, and
 * writes nothing, if the message is already stored (or prepared earlier in
 * the group: then false only once that batch is on disk).
 */

export async function prepareAppend (handles: Handles, given: ChatMessage, context: AppendContext, overlay: Overlay, onDisk?: boolean): Promise<Prepared<boolean>> {
  let record = given
  const { names } = handles
  const indexKey = names.messageOf(record)
  // onDisk: the caller looked the index up already (appendMany: one getMany for a run).
  // get, not has: classic-level's has() builds a LevelDB iterator on the main thread
  if (overlay.indexed.has(indexKey) || (onDisk ?? (await handles.index.get(indexKey)) !== undefined)) {
    return { ops: [], sync: false, done: () => false }
  }
  const { sequences, outbox, requests, cache } = context
  const undelivered = record.direction === 'out' && statusRank(record.status) < statusRank('delivered')
  // a room message waits in the fan-out, one entry per member; a direct one in the outbox
  const room = isRoomConversation(record.peer)
  const queued = undelivered && !room
  if (queued) {
    outbox.assertRoom([record.peer])
  }
  // a member past its fan-out bound is skipped; OutboxFullError past the total
  const members = undelivered && room && context.to !== undefined && context.to.length > 0
    ? (context.fanout ?? noFanout()).admit(context.to, names.conversation(record.peer))
    : []
  if (context.to !== undefined && context.to.length > 0 && members.length === 0) {
    // every member it was for has 1,000 waiting already: nobody to wait for
    record = { ...record, status: 'sent' }
  }
  context.admitted?.(members)
  const conversation = names.conversation(record.peer)
  // a seq prepared earlier in this group is not on disk yet: Sequences may have forgotten it
  const preparedSeq = overlay.seqs.get(conversation)
  const seq = preparedSeq === undefined ? await sequences.next(handles.history, conversation) : preparedSeq + 1
  if (seq > MAX_SEQ) {
    throw new RangeError('conversation sequence exhausted')
  }
  const historyKey = encodeHistoryKey({ conversation, seq })
  const sealedRecord = sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage(record))
  const sealedIndex = sealValue(handles.dataKey, SUBLEVEL_INDEX, indexKey, encodeText(historyKey))
  // a message request: counted in the quarantine by what its records take on disk
  const requestBytes = requests == null ? 0 : sealedRecord.byteLength + sealedIndex.byteLength + 2 * historyKey.length + indexKey.length + REQUEST_ENTRY_OVERHEAD
  if (requests != null) {
    requests.assertRoom(record.peer, requestBytes)
  }
  const ops: BatchOp[] = [
    { type: 'put', sublevel: handles.history, key: historyKey, value: sealedRecord },
    { type: 'put', sublevel: handles.index, key: indexKey, value: sealedIndex }
  ]
  if (queued) {
    ops.push({ type: 'put', sublevel: handles.outbox, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_OUTBOX, historyKey, encodeText(record.peer)) })
  }
  if (requests != null) {
    ops.push({ type: 'put', sublevel: handles.requests, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_REQUESTS, historyKey, encodeRequestEntry({ peer: record.peer, bytes: requestBytes })) })
  }
  // every bound checked: from here on the group counts this write as made
  if (members.length > 0) {
    ops.push(...fanoutOps(handles, historyKey, members, context.fanout ?? noFanout(), overlay))
  }
  sequences.used(conversation, seq)
  overlay.seqs.set(conversation, seq)
  overlay.indexed.set(indexKey, historyKey)
  overlay.records.set(historyKey, record)
  if (queued) {
    overlay.outbox.set(historyKey, true)
    outbox.change(record.peer, 1)
  }
  requests?.change(record.peer, 1, requestBytes)
  return {
    ops,
    sync: context.sync ?? true,
    done: () => {
      // only now may the delivery queue see it: it is on disk, as the group left it
      // (a status change later in the same group may have moved it on, or out of the outbox)
      if (queued && overlay.outbox.get(historyKey) === true) {
        cache?.appended(record.peer, { key: historyKey, message: (overlay.records.get(historyKey) as ChatMessage | undefined) ?? record })
      }
      return true
    }
  }
}

/** The outgoing message `id` to `peer` as this group sees it: prepared earlier, cached, or on disk */
async function find (handles: Handles, peer: string, id: string, context: WriteContext, overlay: Overlay): Promise<{ historyKey: string, message: ChatMessage, inOutbox: boolean } | undefined> {
  const prepared = overlay.indexed.get(handles.names.message(peer, id))
  const cached = prepared === undefined ? context.cache?.get(peer, id) : undefined
  const found = prepared !== undefined || cached !== undefined ? undefined : await lookup(handles, peer, id)
  const historyKey = prepared ?? cached?.key ?? found?.historyKey
  if (historyKey === undefined) {
    return undefined
  }
  const message = (overlay.records.get(historyKey) as ChatMessage | undefined) ?? cached?.message ?? found?.message
  if (message === undefined) {
    return undefined
  }
  // a cached entry is an outbox entry; otherwise the group or the disk says
  const inOutbox = overlay.outbox.get(historyKey) ?? (cached !== undefined || (await handles.outbox.get(historyKey)) !== undefined)
  return { historyKey, message, inOutbox }
}

/**
 * Prepares moving the outgoing message `id` to `peer` forward to `status`
 * (never back); from delivered on it leaves the outbox. Undefined if
 * nothing changes.
 */
export async function prepareStatus (handles: Handles, peer: string, id: string, status: MessageStatus, context: WriteContext, overlay: Overlay, log: Logger): Promise<Prepared<StatusChange | undefined>> {
  const unchanged = { ops: [], sync: false, done: () => undefined }
  const found = await find(handles, peer, id, context, overlay)
  if (found === undefined || found.message.direction !== 'out') {
    log.trace('setStatus: no outgoing message %s to %s', id, peer)
    return unchanged
  }
  if (statusRank(status) <= statusRank(found.message.status)) {
    return unchanged
  }
  const { historyKey } = found
  const updated: ChatMessage = { ...found.message, status }
  const leavesOutbox = statusRank(status) >= statusRank('delivered') && found.inOutbox
  const ops: BatchOp[] = [
    { type: 'put', sublevel: handles.history, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage(updated)) }
  ]
  overlay.records.set(historyKey, updated)
  if (leavesOutbox) {
    ops.push({ type: 'del', sublevel: handles.outbox, key: historyKey })
    overlay.outbox.set(historyKey, false)
    context.outbox.change(peer, -1)
    context.cache?.removed(peer, id)
  } else {
    context.cache?.changed(peer, id, updated)
  }
  const previous = found.message.status
  return { ops, sync: context.sync ?? true, done: () => ({ previous }) }
}

/** Appends `record` on its own (restore): prepares, writes, returns whether it was new */
export async function appendRecord (handles: Handles, record: ChatMessage, context: AppendContext): Promise<boolean> {
  const prepared = await prepareAppend(handles, record, context, new Overlay())
  if (prepared.ops.length > 0) {
    await handles.db.batch(prepared.ops, { sync: prepared.sync })
  }
  return prepared.done()
}
