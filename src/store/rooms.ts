/**
 * The joined rooms: one sealed StoredRoom per room, under the keyed hash of
 * its id (keys.ts), its plaintext padded by room-record.ts. A record that
 * fails to open or does not match its key is corrupt: skipped and
 * reported by a scan, not counted towards MAX_STORED_ROOMS (it is no room
 * the node can rejoin), and replaced by a write of that room.
 */
import { openValue, sealValue } from './at-rest.ts'
import { MAX_STORED_ROOMS, SUBLEVEL_ROOMS } from './constants.ts'
import { RoomLimitError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { decodeRoom, encodeRoom } from './room-record.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { StoredRoom } from './index.ts'

function decodeRoomRecord (handles: Handles, key: string, sealed: Uint8Array): StoredRoom {
  const room = decodeRoom(openValue(handles.dataKey, SUBLEVEL_ROOMS, key, sealed))
  if (handles.names.room(room.id) !== key) {
    throw new Error('stored room does not match its key')
  }
  return room
}

/** Every joined room by id, without the entries that cannot be read */
export async function scanRooms (handles: Handles, options: { signal?: AbortSignal }, report: ReportCorrupt): Promise<StoredRoom[]> {
  const rooms: StoredRoom[] = []
  for await (const [key, sealed] of handles.rooms.iterator({ signal: options.signal })) {
    try {
      rooms.push(decodeRoomRecord(handles, key, sealed))
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_ROOMS, key))
    }
  }
  // keys are hashes: sorted here, so the order does not depend on the names key
  return rooms.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** How many readable rooms other than the one at `except` are stored */
async function countOthers (handles: Handles, except: string): Promise<number> {
  let count = 0
  for await (const [key, sealed] of handles.rooms.iterator()) {
    if (key === except) {
      continue
    }
    try {
      decodeRoomRecord(handles, key, sealed)
      count++
    } catch {
      // a scan reports it; here it only does not count
    }
  }
  return count
}

/**
 * Writes `room` (validated and picked by the caller) over any earlier
 * version of it, synced; RoomLimitError, writing nothing, if it is new and
 * MAX_STORED_ROOMS rooms are stored. Run it inside the write queue, so that
 * the count holds until the write.
 */
export async function putRoom (handles: Handles, room: StoredRoom): Promise<void> {
  if (await countOthers(handles, handles.names.room(room.id)) >= MAX_STORED_ROOMS) {
    throw new RoomLimitError(`the store holds ${MAX_STORED_ROOMS} rooms, as many as it keeps: delete one first`)
  }
  await writeRoom(handles, room, true)
}

/** Writes `room` as it is (validated and bounded by the caller), synced with `sync` */
export async function writeRoom (handles: Handles, room: StoredRoom, sync: boolean): Promise<void> {
  const key = handles.names.room(room.id)
  const value = sealValue(handles.dataKey, SUBLEVEL_ROOMS, key, encodeRoom(room))
  await handles.db.batch([{ type: 'put', sublevel: handles.rooms, key, value }], { sync })
}

/** Removes room `id`, synced; resolves whether there was an entry (readable or not). Run it inside the write queue. */
export async function deleteRoom (handles: Handles, id: string): Promise<boolean> {
  const key = handles.names.room(id)
  if (await handles.rooms.get(key) === undefined) {
    return false
  }
  await handles.db.batch([{ type: 'del', sublevel: handles.rooms, key }], { sync: true })
  return true
}
