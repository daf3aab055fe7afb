/**
 * The end of a peer's message requests: accepted (the messages stay in the
 * history, the quarantine entries go) or declined (the messages, their
 * index entries and the quarantine entries go, in one synced batch). Runs
 * inside the store's write queue.
 */
import { openValue } from './at-rest.ts'
import { SUBLEVEL_HISTORY } from './constants.ts'
import { conversationRange } from './keys.ts'
import { decodeMessage } from './records.ts'
import type { Handles } from './handles.ts'
import type { RequestCounts } from './request-counts.ts'

type Op = { type: 'del', sublevel: Handles['requests'], key: string }

/** Ends `peer`'s requests; with `drop` the messages are deleted too. Returns how many there were. */
export async function endRequests (handles: Handles, peer: string, drop: boolean, counts: RequestCounts): Promise<number> {
  const keys: string[] = []
  for await (const key of handles.requests.keys(conversationRange(handles.names.conversation(peer)))) {
    keys.push(key)
  }
  const ops: Op[] = []
  for (const key of keys) {
    ops.push({ type: 'del', sublevel: handles.requests, key })
    if (!drop) {
      continue
    }
    ops.push({ type: 'del', sublevel: handles.history, key })
    // the index entry is named by the message id, which only the record holds
    const sealed: Uint8Array | undefined = await handles.history.get(key)
    if (sealed === undefined) {
      continue
    }
    try {
      const message = decodeMessage(openValue(handles.dataKey, SUBLEVEL_HISTORY, key, sealed))
      if (message.peer === peer) {
        ops.push({ type: 'del', sublevel: handles.index, key: handles.names.message(peer, message.id) })
      }
    } catch {
      // a corrupt record goes; an index entry pointing to it is corrupt on lookup, as before
    }
  }
  if (ops.length > 0) {
    await handles.db.batch(ops, { sync: true })
  }
  counts.clear(peer)
  return keys.length
}
