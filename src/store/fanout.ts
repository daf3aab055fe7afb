/**
 * The fan-out of room messages: an outgoing room message is stored once, in
 * its room's conversation, and waits for each member it was sent to in an
 * entry of its own (the `fanout` sublevel), so a member that is offline
 * gets it when it is back and an ack from one member settles that member
 * only. An entry's key is a hash of its member (one member's entries are
 * one key range) and a hash of member and message, so the keys show
 * neither which room a member is in nor which conversation it has with us;
 * its value, sealed, names the member and the message's history key.
 *
 * Entries have a budget of their own (DEFAULT_MAX_FANOUT_PER_MEMBER,
 * DEFAULT_MAX_FANOUT_TOTAL), apart from the direct outbox, so members that
 * never ack cannot stop direct messages; a member past its bound is skipped
 * by later posts. The message becomes `delivered` in the batch that removes
 * its last entry. Blocking a member or leaving a room drops their entries.
 */
import { openValue, sealValue } from './at-rest.ts'
import { SUBLEVEL_FANOUT, SUBLEVEL_HISTORY } from './constants.ts'
import { OutboxFullError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { lookup, decodeHistoryRecord } from './history.ts'
import { conversationRange, decodeHistoryKey, isKeyPart } from './keys.ts'
import { encodeMessage, isRecord, parseJson, statusRank, unknownField } from './records.ts'
import type { BatchOp, Handles, ReportCorrupt } from './handles.ts'
import type { Overlay, Prepared } from './write-queue.ts'
import type { ChatMessage } from '../types.ts'

/** Adds `delta` to `key`'s count, forgetting it at 0; returns the count */
function bump (counts: Map<string, number>, key: string, delta: 1 | -1): number {
  const count = Math.max(0, (counts.get(key) ?? 0) + delta)
  if (count === 0) counts.delete(key)
  else counts.set(key, count)
  return count
}

/** What an entry's value holds */
interface FanoutEntry {
  member: string
  /** the history key of the room message */
  key: string
}

function encodeEntry (entry: FanoutEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ member: entry.member, key: entry.key }))
}

/** Opens and checks an entry: it must be the one its key names */
function openEntry (handles: Handles, key: string, sealed: Uint8Array): FanoutEntry {
  const value = parseJson(openValue(handles.dataKey, SUBLEVEL_FANOUT, key, sealed))
  if (!isRecord(value) || unknownField(value, ['member', 'key']) !== undefined || !isKeyPart(value.member) ||
    typeof value.key !== 'string' || decodeHistoryKey(value.key) === undefined || handles.names.fanout(value.member, value.key) !== key) {
    throw new Error('stored fanout entry invalid')
  }
  return { member: value.member, key: value.key }
}

/** The readable entries in `range`, with their keys; one that cannot be read is reported and skipped */
async function * readEntries (handles: Handles, range: { gt?: string, lt?: string, signal?: AbortSignal }, report: ReportCorrupt): AsyncGenerator<[string, FanoutEntry]> {
  for await (const [key, sealed] of handles.fanout.iterator(range)) {
    let entry: FanoutEntry
    try {
      entry = openEntry(handles, key, sealed)
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_FANOUT, key))
      continue
    }
    yield [key, entry]
  }
}

export interface FanoutBounds {
  /** entries of one member in one room */
  perMember: number
  perRoom: number
  total: number
}

/** The conversation prefix of the room message a history key belongs to */
function roomOf (historyKey: string): string {
  return decodeHistoryKey(historyKey)?.conversation ?? ''
}

/**
 * What is in memory of the entries: how many each member has (to skip an
 * empty range, and for its bound) and how many members each message still
 * waits for (to know which ack is the last). Rebuilt from the sublevel at
 * open and after a failed batch; bounded by the budget.
 */
export class FanoutCounts {
  readonly #bounds: FanoutBounds
  readonly #perMember = new Map<string, number>()
  /** by room conversation prefix, and by `<room>/<member>` */
  readonly #perRoom = new Map<string, number>()
  readonly #perRoomMember = new Map<string, number>()
  readonly #remaining = new Map<string, number>()
  #total = 0

  constructor (bounds: FanoutBounds) {
    this.#bounds = bounds
  }

  /** Recounts from the sublevel; an entry that cannot be read is reported and not counted */
  async rebuild (handles: Handles, report: ReportCorrupt): Promise<void> {
    this.#perMember.clear()
    this.#perRoom.clear()
    this.#perRoomMember.clear()
    this.#remaining.clear()
    this.#total = 0
    for await (const [, entry] of readEntries(handles, {}, report)) {
      this.added(entry.member, entry.key)
    }
  }

  /**
   * The members of `members` a new post to the room whose conversation
   * prefix is `room` waits for: those under their bound in that room (the
   * others are skipped); OutboxFullError if they do not fit in the room's
   * budget or in total
   */
  admit (members: readonly string[], room: string): string[] {
    const admitted = members.filter(m => (this.#perRoomMember.get(`${room}/${m}`) ?? 0) < this.#bounds.perMember)
    if ((this.#perRoom.get(room) ?? 0) + admitted.length > this.#bounds.perRoom) {
      throw new OutboxFullError(`too many of this room's messages await delivery (${this.#bounds.perRoom}): wait for members to receive them, block members who never do, or leave the room`)
    }
    if (this.#total + admitted.length > this.#bounds.total) {
      throw new OutboxFullError(`too many room messages await delivery (${this.#bounds.total}): wait for members to receive them, block members who never do, or leave a room`)
    }
    return admitted
  }

  added (member: string, historyKey: string): void {
    const room = roomOf(historyKey)
    bump(this.#perMember, member, 1)
    bump(this.#perRoom, room, 1)
    bump(this.#perRoomMember, `${room}/${member}`, 1)
    bump(this.#remaining, historyKey, 1)
    this.#total++
  }

  /** One entry gone; returns how many members the message still waits for */
  removed (member: string, historyKey: string): number {
    const room = roomOf(historyKey)
    bump(this.#perMember, member, -1)
    bump(this.#perRoom, room, -1)
    bump(this.#perRoomMember, `${room}/${member}`, -1)
    this.#total = Math.max(0, this.#total - 1)
    return bump(this.#remaining, historyKey, -1)
  }

  /** Entries waiting for `member`, or in all */
  size (member?: string): number {
    return member === undefined ? this.#total : (this.#perMember.get(member) ?? 0)
  }

  /** Members the message at `historyKey` still waits for */
  remaining (historyKey: string): number {
    return this.#remaining.get(historyKey) ?? 0
  }

  /** The members with entries */
  members (): string[] {
    return [...this.#perMember.keys()]
  }
}

/**
 * The operations adding an entry for each of `members` to the room message
 * about to be stored at `historyKey` (prepareAppend calls it once every
 * bound is checked); the counts change at once, as the group's writes do.
 */
export function fanoutOps (handles: Handles, historyKey: string, members: readonly string[], counts: FanoutCounts, overlay: Overlay): BatchOp[] {
  return members.map(member => {
    const key = handles.names.fanout(member, historyKey)
    counts.added(member, historyKey)
    overlay.fanout.set(key, true)
    return { type: 'put', sublevel: handles.fanout, key, value: sealValue(handles.dataKey, SUBLEVEL_FANOUT, key, encodeEntry({ member, key: historyKey })) }
  })
}

export interface DeliveredTo {
  /** no member is waiting for the message any more: it is `delivered` */
  last: boolean
}

/**
 * Prepares settling the room message `message` (ours: `from` is this node)
 * for `member`: its entry goes, and with the last entry the message becomes
 * `delivered`. Undefined (nothing written) if there is no such entry: the
 * ack came twice, or for a message never sent to that member. Everything is
 * read before any count changes, so a read that fails leaves them as they were.
 */
export async function prepareDeliveredTo (handles: Handles, member: string, message: Pick<ChatMessage, 'peer' | 'id' | 'from'>, counts: FanoutCounts, overlay: Overlay): Promise<Prepared<DeliveredTo | undefined>> {
  const unchanged = { ops: [], sync: false, done: () => undefined }
  const historyKey = overlay.indexed.get(handles.names.messageOf(message)) ?? (await lookup(handles, message.peer, message.id, message.from))?.historyKey
  if (historyKey === undefined) {
    return unchanged
  }
  const key = handles.names.fanout(member, historyKey)
  const present = overlay.fanout.get(key) ?? (await handles.fanout.get(key)) !== undefined
  if (!present) {
    return unchanged
  }
  const last = counts.remaining(historyKey) <= 1
  const record = last ? (overlay.records.get(historyKey) as ChatMessage | undefined) ?? await readRecord(handles, historyKey) : undefined

  const ops: BatchOp[] = [{ type: 'del', sublevel: handles.fanout, key }]
  overlay.fanout.set(key, false)
  counts.removed(member, historyKey)
  if (record !== undefined && statusRank(record.status) < statusRank('delivered')) {
    const updated: ChatMessage = { ...record, status: 'delivered' }
    overlay.records.set(historyKey, updated)
    ops.push({ type: 'put', sublevel: handles.history, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage(updated)) })
  }
  // not synced on its own, like a direct message's `delivered`: lost in a power cut, it is sent once more
  return { ops, sync: false, done: () => ({ last }) }
}

async function readRecord (handles: Handles, historyKey: string): Promise<ChatMessage | undefined> {
  const sealed: Uint8Array | undefined = await handles.history.get(historyKey)
  return sealed === undefined ? undefined : decodeHistoryRecord(handles, historyKey, sealed)
}

/**
 * Up to `limit` room messages waiting for `member`, in (clock, sender)
 * order among those read (the keys are hashes: the range is in no order of
 * its own); an entry that cannot be read is reported and skipped
 */
export async function scanFanout (handles: Handles, member: string, limit: number, signal: AbortSignal | undefined, report: ReportCorrupt): Promise<ChatMessage[]> {
  const found: ChatMessage[] = []
  for await (const [key, sealed] of handles.fanout.iterator({ ...conversationRange(handles.names.fanoutMember(member)), signal })) {
    try {
      const entry = openEntry(handles, key, sealed)
      if (entry.member !== member) {
        throw new Error('fanout entry of another member')
      }
      const record = await readRecord(handles, entry.key)
      if (record === undefined) {
        throw new Error('fanout entry without its history record')
      }
      found.push(record)
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_FANOUT, key))
      continue
    }
    if (found.length >= limit) {
      break
    }
  }
  return found.sort((a, b) => (a.clock ?? 0) - (b.clock ?? 0))
}

/**
 * Drops the entries of `member` (blocked), or of the room messages in the
 * conversation `room` (left), writing one batch; resolves with how many.
 * A message left waiting for nobody becomes `sent` (it went to every member
 * it still could) in the same batch.
 */
export async function dropFanout (handles: Handles, which: { member: string } | { room: string }, counts: FanoutCounts, report: ReportCorrupt): Promise<number> {
  const range = 'member' in which ? conversationRange(handles.names.fanoutMember(which.member)) : {}
  const conversation = 'room' in which ? handles.names.conversation(which.room) : undefined
  const ops: BatchOp[] = []
  const dropped: FanoutEntry[] = []
  for await (const [key, entry] of readEntries(handles, range, report)) {
    if (conversation === undefined || decodeHistoryKey(entry.key)?.conversation === conversation) {
      ops.push({ type: 'del', sublevel: handles.fanout, key })
      dropped.push(entry)
    }
  }
  // a message no member waits for any more went to everyone it could: `sent`, not `pending` for ever
  const drops = new Map<string, number>()
  for (const entry of dropped) drops.set(entry.key, (drops.get(entry.key) ?? 0) + 1)
  for (const [historyKey, count] of drops) {
    if (counts.remaining(historyKey) > count) continue
    const record = await readRecord(handles, historyKey).catch(() => undefined)
    if (record !== undefined && statusRank(record.status) < statusRank('sent')) {
      ops.push({ type: 'put', sublevel: handles.history, key: historyKey, value: sealValue(handles.dataKey, SUBLEVEL_HISTORY, historyKey, encodeMessage({ ...record, status: 'sent' })) })
    }
  }
  if (ops.length > 0) {
    await handles.db.batch(ops, { sync: true })
  }
  for (const entry of dropped) {
    counts.removed(entry.member, entry.key)
  }
  return dropped.length
}
