/**
 * Store format 1 to 2, record by record. Format 1 keys named peers, message
 * ids and local append times in clear (`<peer>!<time>!<seq>!<id>`); format 2
 * keys name none of them (keys.ts). Every record is copied under its
 * format-2 key into a new, empty database; the format record is the last,
 * synced write. (Deleting in place would not do: LevelDB's manifest and
 * info log keep the key ranges of the files it had.) upgrade.ts puts the
 * new database in place of the old.
 *
 * A record that cannot be read (it failed authentication already under
 * format 1) is not copied and is reported.
 */
import { openValue, sealValue } from './at-rest.ts'
import { IDENTITY_KEY, META_FORMAT_KEY, META_KEY_CHECK, STORE_FORMAT, SUBLEVEL_HISTORY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_OUTBOX, SUBLEVEL_PEERS, SUBLEVEL_REQUESTS } from './constants.ts'
import { asCorrupt } from './handles.ts'
import { encodeHistoryKey } from './keys.ts'
import { decodeMessage, decodePeer, decodeText, encodeMessage, encodePeer, encodeRequestEntry, encodeText } from './records.ts'
import type { Handles, ReportCorrupt, Sublevel } from './handles.ts'

/** The clock record of format 1; format 2 has none */
const V1_META_CLOCK_KEY = 'clock'
const V1_HISTORY_KEY = /^([\x22-\x7e]+)!([0-9]{16})!([0-9]{8})!([\x22-\x7e]+)$/

interface Put { type: 'put', sublevel: Sublevel, key: string, value: Uint8Array }

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

/** Puts written per batch: bounds the memory a large history takes */
const BATCH_OPS = 1000

/** Copies the format-1 database of `from` into the empty database of `to` (same data key) */
export async function copyV1 (from: Handles, to: Handles, report: ReportCorrupt): Promise<MigrationSummary> {
  const { dataKey, names } = to
  const summary: MigrationSummary = { peers: 0, messages: 0, dropped: 0 }
  let ops: Put[] = []
  const put = async (sublevel: Sublevel, key: string, value: Uint8Array): Promise<void> => {
    ops.push({ type: 'put', sublevel, key, value })
    if (ops.length >= BATCH_OPS) {
      await to.db.batch(ops)
      ops = []
    }
  }
  const drop = (err: unknown, sublevel: string, key: string): void => {
    summary.dropped++
    report(asCorrupt(err, sublevel, key))
  }

  // the identity and the keycheck are under the same keys in both formats
  for (const [name, key] of [['identity', IDENTITY_KEY], ['meta', META_KEY_CHECK]] as const) {
    const value: Uint8Array | undefined = await from[name].get(key)
    if (value !== undefined) {
      await put(to[name], key, value)
    }
  }

  for await (const [key, sealed] of from.peers.iterator()) {
    try {
      const peer = decodePeer(openValue(dataKey, SUBLEVEL_PEERS, key, sealed))
      if (peer.peerId !== key) {
        throw new Error('stored peer does not match its key')
      }
      const newKey = names.peer(peer.peerId)
      await put(to.peers, newKey, sealValue(dataKey, SUBLEVEL_PEERS, newKey, encodePeer(peer)))
      summary.peers++
    } catch (err) {
      drop(err, SUBLEVEL_PEERS, key)
    }
  }

  // format-1 history keys sort by (peer, time, seq, id): each conversation's records come in append order
  const moved = new Map<string, { key: string, peer: string }>()
  const seqs = new Map<string, number>()
  for await (const [key, sealed] of from.history.iterator()) {
    try {
      const match = V1_HISTORY_KEY.exec(key)
      if (match === null) {
        throw new Error('malformed history key')
      }
      const message = decodeMessage(openValue(dataKey, SUBLEVEL_HISTORY, key, sealed))
      if (message.peer !== match[1] || message.id !== match[4]) {
        throw new Error('stored message does not match its key')
      }
      const conversation = names.conversation(message.peer)
      const seq = (seqs.get(conversation) ?? -1) + 1
      seqs.set(conversation, seq)
      const newKey = encodeHistoryKey({ conversation, seq })
      const indexKey = names.message(message.peer, message.id)
      await put(to.history, newKey, sealValue(dataKey, SUBLEVEL_HISTORY, newKey, encodeMessage(message)))
      // format-1 index entries are not read: rebuilt from the records they pointed to
      await put(to.index, indexKey, sealValue(dataKey, SUBLEVEL_INDEX, indexKey, encodeText(newKey)))
      moved.set(key, { key: newKey, peer: message.peer })
      summary.messages++
    } catch (err) {
      drop(err, SUBLEVEL_HISTORY, key)
    }
  }

  for await (const key of from.outbox.keys()) {
    const target = moved.get(key)
    if (target !== undefined) {
      await put(to.outbox, target.key, sealValue(dataKey, SUBLEVEL_OUTBOX, target.key, encodeText(target.peer)))
    }
  }

  for await (const [key, sealed] of from.requests.iterator()) {
    const target = moved.get(key)
    if (target === undefined) {
      continue
    }
    let bytes = 0
    try {
      bytes = Number(decodeText(openValue(dataKey, SUBLEVEL_REQUESTS, key, sealed)))
    } catch {
      // the message is still held; its size is unknown and counts as none
    }
    const entry = { peer: target.peer, bytes: Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 0 }
    await put(to.requests, target.key, sealValue(dataKey, SUBLEVEL_REQUESTS, target.key, encodeRequestEntry(entry)))
  }

  ops.push({ type: 'put', sublevel: to.meta, key: META_FORMAT_KEY, value: sealValue(dataKey, SUBLEVEL_META, META_FORMAT_KEY, encodeText(String(STORE_FORMAT))) })
  // synced: it makes every earlier batch durable too (one log)
  await to.db.batch(ops, { sync: true })
  return summary
}
