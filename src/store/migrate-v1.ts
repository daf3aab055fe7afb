/**
 * Store format 1 to 2, in place. Format 1 keys named peers, message ids and
 * local append times in clear (`<peer>!<time>!<seq>!<id>`); format 2 keys
 * name none of them (keys.ts), and the two kinds of key cannot be mistaken
 * for each other, so the migration works in batches, each moving some
 * records from their format-1 keys to their format-2 keys atomically, and
 * a killed migration goes on where it stopped at the next open. The last
 * batch writes the format record and a scrub mark; upgrade.ts then scrubs
 * the files (LevelDB keeps deleted keys in its files until they are
 * compacted, and key ranges in its manifest and info log).
 *
 * Every step runs on the open database, under its lock: another process
 * sees format 1, or a database part-way (which it migrates on), or format 2.
 * A record that cannot be read (it failed authentication already under
 * format 1) is deleted and reported.
 */
import { openValue, sealValue } from './at-rest.ts'
import {
  META_FORMAT_KEY, META_SCRUB_KEY, STORE_FORMAT, SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_OUTBOX,
  SUBLEVEL_PEERS, SUBLEVEL_REQUESTS
} from './constants.ts'
import { asCorrupt } from './handles.ts'
import { encodeHistoryKey, isPeerKey } from './keys.ts'
import { decodeMessage, decodePeer, decodeText, encodeMessage, encodePeer, encodeRequestEntry, encodeText } from './records.ts'
import { Sequences } from './sequences.ts'
import type { Handles, ReportCorrupt, Sublevel } from './handles.ts'

/** The clock record of format 1; format 2 has none */
const V1_META_CLOCK_KEY = 'clock'
/** `<peer>!<time>!<seq>!<id>`; no format-2 key has this shape */
const V1_HISTORY_KEY = /^([\x22-\x7e]+)!([0-9]{16})!([0-9]{8})!([\x22-\x7e]+)$/
/** `<peer>!<id>`: a format-2 index key has no `!` */
const V1_INDEX_KEY = /^[\x22-\x7e]+![\x22-\x7e]+$/

/** Records moved per batch: bounds the memory a large history takes */
const BATCH_RECORDS = 500

type Op =
  | { type: 'put', sublevel: Sublevel, key: string, value: Uint8Array }
  | { type: 'del', sublevel: Sublevel, key: string }

/** Whether a database without a format record holds format-1 records (without them it is new) */
export async function hasV1Records (handles: Handles): Promise<boolean> {
  for (const sublevel of [handles.peers, handles.history, handles.index, handles.outbox, handles.requests]) {
    for await (const _ of sublevel.keys({ limit: 1 })) {
      return true
    }
  }
  return (await handles.meta.get(V1_META_CLOCK_KEY)) !== undefined
}

export interface MigrationSummary {
  peers: number
  messages: number
  dropped: number
}

/** Batches of ops, written (unsynced) when full; the caller writes the last one synced */
class Batches {
  readonly #handles: Handles
  #ops: Op[] = []
  #records = 0

  constructor (handles: Handles) {
    this.#handles = handles
  }

  async record (ops: Op[]): Promise<void> {
    this.#ops.push(...ops)
    if (++this.#records >= BATCH_RECORDS) {
      await this.flush(false)
    }
  }

  async flush (sync: boolean, last: Op[] = []): Promise<void> {
    const ops = [...this.#ops, ...last]
    this.#ops = []
    this.#records = 0
    if (ops.length > 0) {
      await this.#handles.db.batch(ops, { sync })
    }
  }
}

/** Moves every format-1 record of `handles` to its format-2 key; resumes a migration that was killed */
export async function migrateV1 (handles: Handles, report: ReportCorrupt): Promise<MigrationSummary> {
  const { dataKey, names } = handles
  const summary: MigrationSummary = { peers: 0, messages: 0, dropped: 0 }
  const batches = new Batches(handles)
  const drop = async (err: unknown, sublevel: Sublevel, name: string, key: string): Promise<void> => {
    summary.dropped++
    report(asCorrupt(err, name, key))
    await batches.record([{ type: 'del', sublevel, key }])
  }

  for await (const [key, sealed] of handles.peers.iterator()) {
    if (isPeerKey(key)) {
      continue
    }
    try {
      const peer = decodePeer(openValue(dataKey, SUBLEVEL_PEERS, key, sealed))
      if (peer.peerId !== key) {
        throw new Error('stored peer does not match its key')
      }
      const newKey = names.peer(peer.peerId)
      await batches.record([
        { type: 'del', sublevel: handles.peers, key },
        { type: 'put', sublevel: handles.peers, key: newKey, value: sealValue(dataKey, SUBLEVEL_PEERS, newKey, encodePeer(peer)) }
      ])
      summary.peers++
    } catch (err) {
      await drop(err, handles.peers, SUBLEVEL_PEERS, key)
    }
  }

  // an iterator reads a snapshot: format-2 keys written meanwhile are not seen, earlier ones are skipped by shape.
  // Format-1 history keys sort by (peer, time, seq, id): each conversation's records come in append order,
  // after those a killed migration moved already (Sequences reads the last format-2 seq)
  const sequences = new Sequences()
  for await (const [key, sealed] of handles.history.iterator()) {
    const match = V1_HISTORY_KEY.exec(key)
    if (match === null) {
      continue
    }
    let ops: Op[]
    try {
      const message = decodeMessage(openValue(dataKey, SUBLEVEL_HISTORY, key, sealed))
      if (message.peer !== match[1] || message.id !== match[4]) {
        throw new Error('stored message does not match its key')
      }
      const conversation = names.conversation(message.peer)
      const seq = await sequences.next(handles.history, conversation)
      sequences.used(conversation, seq)
      const newKey = encodeHistoryKey({ conversation, seq })
      const indexKey = names.message(message.peer, message.id)
      ops = [
        { type: 'del', sublevel: handles.history, key },
        { type: 'put', sublevel: handles.history, key: newKey, value: sealValue(dataKey, SUBLEVEL_HISTORY, newKey, encodeMessage(message)) },
        { type: 'del', sublevel: handles.index, key: `${message.peer}!${message.id}` },
        { type: 'put', sublevel: handles.index, key: indexKey, value: sealValue(dataKey, SUBLEVEL_INDEX, indexKey, encodeText(newKey)) }
      ]
      if (await handles.outbox.get(key) !== undefined) {
        ops.push({ type: 'del', sublevel: handles.outbox, key }, { type: 'put', sublevel: handles.outbox, key: newKey, value: sealValue(dataKey, SUBLEVEL_OUTBOX, newKey, encodeText(message.peer)) })
      }
      const request: Uint8Array | undefined = await handles.requests.get(key)
      if (request !== undefined) {
        ops.push({ type: 'del', sublevel: handles.requests, key }, { type: 'put', sublevel: handles.requests, key: newKey, value: sealValue(dataKey, SUBLEVEL_REQUESTS, newKey, encodeRequestEntry({ peer: message.peer, bytes: requestBytes(handles, key, request) })) })
      }
    } catch (err) {
      await drop(err, handles.history, SUBLEVEL_HISTORY, key)
      continue
    }
    // the next seq of this conversation comes from the Sequences cache, so the batch need not be written yet
    await batches.record(ops)
    summary.messages++
  }

  // what no moved record took along: index entries, outbox and quarantine entries of dropped records
  for (const [sublevel, shape] of [[handles.index, V1_INDEX_KEY], [handles.outbox, V1_HISTORY_KEY], [handles.requests, V1_HISTORY_KEY]] as const) {
    for await (const key of sublevel.keys()) {
      if (shape.test(key)) {
        await batches.record([{ type: 'del', sublevel, key }])
      }
    }
  }

  await batches.flush(true, [
    { type: 'del', sublevel: handles.meta, key: V1_META_CLOCK_KEY },
    { type: 'put', sublevel: handles.meta, key: META_FORMAT_KEY, value: sealValue(dataKey, SUBLEVEL_META, META_FORMAT_KEY, encodeText(String(STORE_FORMAT))) },
    { type: 'put', sublevel: handles.meta, key: META_SCRUB_KEY, value: sealValue(dataKey, SUBLEVEL_META, META_SCRUB_KEY, encodeText('1')) }
  ])
  return summary
}

/** The byte count of a format-1 quarantine entry; 0 (counted as none) if it cannot be read */
function requestBytes (handles: Handles, key: string, sealed: Uint8Array): number {
  try {
    const bytes = Number(decodeText(openValue(handles.dataKey, SUBLEVEL_REQUESTS, key, sealed)))
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 0
  } catch {
    return 0
  }
}
