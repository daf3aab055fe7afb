/**
 * The end of a peer's message requests: accepted (the messages stay in the
 * history, the quarantine entries go) or declined (the messages, their
 * index entries and the quarantine entries go, in one synced batch). Runs
 * inside the store's write queue.
 */
import { decodeHistoryKey, encodeIndexKey, historyRange } from './keys.ts'
import type { Handles } from './handles.ts'
import type { RequestCounts } from './request-counts.ts'

/** Ends `peer`'s requests; with `drop` the messages are deleted too. Returns how many there were. */
export async function endRequests (handles: Handles, peer: string, drop: boolean, counts: RequestCounts): Promise<number> {
  const keys: string[] = []
  for await (const key of handles.requests.keys(historyRange(peer))) {
    keys.push(key)
  }
  const ops = keys.flatMap(key => {
    const ops: Array<{ type: 'del', sublevel: typeof handles.requests, key: string }> = [{ type: 'del', sublevel: handles.requests, key }]
    const decoded = decodeHistoryKey(key)
    if (drop && decoded !== undefined) {
      ops.push({ type: 'del', sublevel: handles.history, key }, { type: 'del', sublevel: handles.index, key: encodeIndexKey(decoded.peer, decoded.id) })
    }
    return ops
  })
  if (ops.length > 0) {
    await handles.db.batch(ops, { sync: true })
  }
  counts.clear(peer)
  return keys.length
}
