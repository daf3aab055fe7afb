/**
 * The plaintext of an archive: its records in the store's order (the
 * identity, then the peer book, then the joined rooms, then the messages,
 * a room's conversation among them),
 * each a protobuf (records.ts) prefixed with its length as an unsigned
 * varint, across frame boundaries as they fall. Pipeline stages for
 * it-pipe, one per direction.
 */
import * as lp from 'it-length-prefixed'
import { MAX_STORED_ROOMS } from '../store/constants.ts'
import { ARCHIVE_VERSION, MAX_RECORD_BYTES, ROOM_MESSAGES_SINCE_VERSION, ROOMS_SINCE_VERSION } from './constants.ts'
import { ArchiveCorruptError } from './errors.ts'
import { decodeRecord, encodeRecord, isRoomMessage } from './records.ts'
import type { StoreRecord } from '../store/index.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

const PHASES: Readonly<Record<StoreRecord['type'], number>> = { identity: 0, peer: 1, room: 2, message: 3 }

interface OrderChecker {
  /** why `record` is out of order (or one too many), or undefined */
  next(record: StoreRecord): string | undefined
  /** why the records cannot end here (no identity), or undefined */
  end(): string | undefined
}

/**
 * The order of records: one identity, first; then peers; then rooms (at
 * most the store's MAX_STORED_ROOMS, and none before version 2); then
 * messages (none of a room before version 3: no writer of an older version
 * wrote one, so such an archive was crafted)
 */
function orderChecker (version: number): OrderChecker {
  let phase = -1
  let rooms = 0
  return {
    next: record => {
      const next = PHASES[record.type]
      if (phase === -1 && next !== 0) {
        return 'the identity is not the first record'
      }
      if (next < phase || (next === 0 && phase === 0)) {
        return `a ${record.type} record out of order`
      }
      if (record.type === 'room') {
        if (version < ROOMS_SINCE_VERSION) {
          return `a room record in a version ${version} archive`
        }
        if (++rooms > MAX_STORED_ROOMS) {
          return `more than ${MAX_STORED_ROOMS} room records`
        }
      }
      if (record.type === 'message' && version < ROOM_MESSAGES_SINCE_VERSION && isRoomMessage(record.message)) {
        return `a room message in a version ${version} archive`
      }
      phase = next
      return undefined
    },
    end: () => phase === -1 ? 'there is no identity' : undefined
  }
}

/** Store records in, length-prefixed encoded records out; TypeError for an invalid or misplaced record */
export async function * encodeRecords (source: AsyncIterable<StoreRecord>): AsyncGenerator<Uint8ArrayList> {
  const order = orderChecker(ARCHIVE_VERSION)
  for await (const record of source) {
    const problem = order.next(record)
    if (problem !== undefined) {
      throw new TypeError(`cannot archive the store's records: ${problem}`)
    }
    const bytes = encodeRecord(record)
    if (bytes.byteLength > MAX_RECORD_BYTES) {
      throw new TypeError(`cannot archive a record over ${MAX_RECORD_BYTES} bytes`)
    }
    yield lp.encode.single(bytes)
  }
  const problem = order.end()
  if (problem !== undefined) {
    throw new TypeError(`cannot archive the store's records: ${problem}`)
  }
}

/** Authenticated plaintext of an archive of `version` in, validated store records out; ArchiveCorruptError for anything wrong */
export async function * decodeRecords (source: AsyncIterable<Uint8Array>, version = ARCHIVE_VERSION): AsyncGenerator<StoreRecord> {
  const order = orderChecker(version)
  // the frames' errors (and an abort) pass through as they are; every other one is the records' own
  let upstream: unknown
  const guarded = (async function * () {
    try {
      yield * source
    } catch (err) {
      upstream = err
      throw err
    }
  })()
  // it-length-prefixed ends quietly when the input stops right after a length: track it
  let inRecord = false
  const records = lp.decode(guarded, {
    maxDataLength: MAX_RECORD_BYTES,
    onLength: () => { inRecord = true },
    onData: () => { inRecord = false }
  })
  try {
    for await (const bytes of records) {
      const record = decodeRecord(bytes)
      const problem = order.next(record)
      if (problem !== undefined) {
        throw new ArchiveCorruptError(`archive is damaged: ${problem}`)
      }
      yield record
    }
  } catch (err) {
    if (err === upstream || err instanceof ArchiveCorruptError) {
      throw err
    }
    // it-length-prefixed's InvalidDataLengthError, UnexpectedEOFError, ...
    throw new ArchiveCorruptError('archive is damaged: a record has an invalid length', { cause: err })
  }
  if (inRecord) {
    throw new ArchiveCorruptError('archive is damaged: the records end inside a record')
  }
  const problem = order.end()
  if (problem !== undefined) {
    throw new ArchiveCorruptError(`archive is damaged: ${problem}`)
  }
}
