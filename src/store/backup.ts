/**
 * The store as a sequence of logical records, for backups: read out by
 * records() and written into an empty store by restore(), independent of
 * the key layout, so an archive outlives a change of store format.
 */
import { MAX_ROOM_MEMBERS, MAX_STORED_ROOMS, META_FORMAT_KEY, SUBLEVEL_HISTORY } from './constants.ts'
import { RoomLimitError, StoreNotEmptyError } from './errors.ts'
import { asCorrupt, putSynced } from './handles.ts'
import { decodeHistoryRecord } from './history.ts'
import { appendRecord } from './history-writes.ts'
import { readIdentity, writeIdentity } from './identity.ts'
import { scanPeers, writePeer } from './peer-book.ts'
import { decodePeer, encodePeer, messageProblem, pickMessage } from './records.ts'
import { pickRoom, roomProblem } from './room-record.ts'
import { scanRooms, writeRoom } from './rooms.ts'
import type { AppendContext } from './history-writes.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { RestoreSummary, StoreRecord, StoredPeer, StoredRoom } from './index.ts'

/**
 * Every record: the identity, the peer book, the joined rooms, then the history, each
 * conversation's messages in append order. Each sublevel is read from a
 * snapshot taken when its turn comes (not inside the write queue): meant
 * for a store no node writes to, as in `securechat export`, which needs
 * the data dir to itself.
 */
export async function * readRecords (handles: Handles, report: ReportCorrupt, signal?: AbortSignal): AsyncGenerator<StoreRecord> {
  const identity = await readIdentity(handles)
  if (identity !== undefined) {
    yield { type: 'identity', key: identity }
  }
  for (const peer of await scanPeers(handles, { signal }, report)) {
    yield { type: 'peer', peer }
  }
  for (const room of await scanRooms(handles, { signal }, report)) {
    yield { type: 'room', room }
  }
  // held requests are bounded (the quarantine's limits), so their keys fit in memory
  const requests = new Set<string>()
  for await (const key of handles.requests.keys({ signal })) {
    requests.add(key)
  }
  for await (const [key, sealed] of handles.history.iterator({ signal })) {
    let message
    try {
      message = decodeHistoryRecord(handles, key, sealed)
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_HISTORY, key))
      continue
    }
    yield { type: 'message', message, request: requests.has(key) }
  }
}

async function isEmpty (handles: Handles): Promise<boolean> {
  for (const sublevel of [handles.identity, handles.peers, handles.rooms, handles.history]) {
    for await (const _ of sublevel.keys({ limit: 1 })) {
      return false
    }
  }
  return true
}

/** A peer record as given, validated like a stored one: TypeError otherwise */
function checkedPeer (peer: unknown): StoredPeer {
  try {
    return decodePeer(encodePeer(peer as StoredPeer))
  } catch (err) {
    throw new TypeError('invalid peer record', { cause: err })
  }
}

/** A room record as given, validated like putRoom() does: RoomLimitError or TypeError otherwise */
function checkedRoom (room: unknown): StoredRoom {
  const members = (room as { members?: unknown } | undefined)?.members
  if (Array.isArray(members) && members.length > MAX_ROOM_MEMBERS) {
    throw new RoomLimitError(`a room record with more than ${MAX_ROOM_MEMBERS} members`)
  }
  const problem = roomProblem(room)
  if (problem !== undefined) {
    throw new TypeError(`invalid room record: ${problem}`)
  }
  return pickRoom(room as StoredRoom)
}

/**
 * Writes `records` into the empty store of `handles` (StoreNotEmptyError
 * otherwise), unsynced but for the last write. Run inside the write queue.
 */
export async function restoreRecords (handles: Handles, records: AsyncIterable<StoreRecord>, context: Omit<AppendContext, 'sync' | 'requests'> & { requests: NonNullable<AppendContext['requests']> }, signal?: AbortSignal): Promise<RestoreSummary> {
  if (!await isEmpty(handles)) {
    throw new StoreNotEmptyError('restore needs an empty store: this one holds an identity, peers, rooms or messages')
  }
  const summary: RestoreSummary = { identity: false, peers: 0, rooms: 0, messages: 0 }
  const peers = new Set<string>()
  const rooms = new Set<string>()
  for await (const record of records) {
    signal?.throwIfAborted()
    if (record.type === 'identity') {
      if (!(record.key instanceof Uint8Array) || record.key.length === 0 || summary.identity) {
        throw new TypeError('invalid identity record')
      }
      await writeIdentity(handles, record.key)
      summary.identity = true
    } else if (record.type === 'peer') {
      const peer = checkedPeer(record.peer)
      if (peers.has(peer.peerId)) {
        throw new TypeError('a second peer record for the same peer')
      }
      peers.add(peer.peerId)
      await writePeer(handles, peer)
      summary.peers++
    } else if (record.type === 'room') {
      const room = checkedRoom(record.room)
      if (rooms.has(room.id)) {
        throw new TypeError('a second room record for the same room')
      }
      if (rooms.size >= MAX_STORED_ROOMS) {
        throw new RoomLimitError(`more than ${MAX_STORED_ROOMS} room records`)
      }
      rooms.add(room.id)
      await writeRoom(handles, room, false)
      summary.rooms++
    } else if (record.type === 'message') {
      const problem = messageProblem(record.message, true)
      if (problem !== undefined) {
        throw new TypeError(`invalid message record: ${problem}`)
      }
      const message = pickMessage(record.message)
      const request = record.request === true && message.direction === 'in'
      if (await appendRecord(handles, message, { ...context, requests: request ? context.requests : undefined, sync: false })) {
        summary.messages++
      }
    } else {
      throw new TypeError('unknown record type')
    }
  }
  // one synced write makes every earlier one durable: they share LevelDB's log
  const format: Uint8Array | undefined = await handles.meta.get(META_FORMAT_KEY)
  if (format !== undefined) {
    await putSynced(handles.db, handles.meta, META_FORMAT_KEY, format)
  }
  return summary
}
