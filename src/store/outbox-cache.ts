/**
 * The oldest outbox entries of the peers we deliver to, in memory: what the
 * delivery queue asks for next (`pending`) and what an ack changes
 * (`setStatus`), answered without a read. It is a cache of the outbox
 * sublevel, never the truth: an entry is added only once its batch is on
 * disk, a peer it cannot answer for is read from disk again, and a failed
 * batch clears it.
 *
 * Per peer it holds the oldest entries, at most CACHED_PER_PEER of them,
 * in outbox order; `complete` says they are all the peer has. It holds at
 * most CACHED_PEERS peers (the first cached goes first), so its memory is
 * bounded by CACHED_PER_PEER × CACHED_PEERS messages whatever the outbox
 * bounds are.
 */
import type { ChatMessage } from '../types.ts'

/** Entries kept per peer: twice the delivery window, so a drained window needs no read */
export const CACHED_PER_PEER = 64
export const CACHED_PEERS = 256

/** An outbox entry: its key (the history key) and its history record */
export interface OutboxEntry {
  key: string
  message: ChatMessage
}

interface PeerEntries {
  /** by message id, in outbox order */
  entries: Map<string, OutboxEntry>
  /** the entries are the peer's whole outbox */
  complete: boolean
}

export class OutboxCache {
  readonly #peers = new Map<string, PeerEntries>()

  /** The oldest `limit` messages to `peer`, or undefined when the cache cannot tell */
  oldest (peer: string, limit: number): ChatMessage[] | undefined {
    const cached = this.#peers.get(peer)
    if (cached === undefined || (cached.entries.size < limit && !cached.complete)) {
      return undefined
    }
    const messages: ChatMessage[] = []
    for (const { message } of cached.entries.values()) {
      if (messages.length >= limit) {
        break
      }
      messages.push(message)
    }
    return messages
  }

  /** How many entries a load should read: enough to answer the next `limit`-sized asks */
  static loadSize (limit: number): number {
    return Math.max(limit, CACHED_PER_PEER)
  }

  /** The outbox entry of message `id` to `peer`, if cached */
  get (peer: string, id: string): OutboxEntry | undefined {
    return this.#peers.get(peer)?.entries.get(id)
  }

  /** The oldest entries of `peer`'s outbox, read from disk; `complete` when the read reached its end */
  load (peer: string, entries: OutboxEntry[], complete: boolean): void {
    this.#peers.delete(peer)
    if (this.#peers.size >= CACHED_PEERS) {
      const first = this.#peers.keys().next()
      if (first.done !== true) {
        this.#peers.delete(first.value)
      }
    }
    const kept = entries.slice(0, CACHED_PER_PEER)
    this.#peers.set(peer, {
      entries: new Map(kept.map(e => [e.message.id, e])),
      complete: complete && kept.length === entries.length
    })
  }

  /** An entry appended to `peer`'s outbox is on disk */
  appended (peer: string, entry: OutboxEntry): void {
    const cached = this.#peers.get(peer)
    if (cached?.complete !== true) {
      // nothing cached, or only the oldest: the new entry is read when its turn comes
      return
    }
    if (cached.entries.size < CACHED_PER_PEER) {
      cached.entries.set(entry.message.id, entry)
    } else {
      cached.complete = false
    }
  }

  /** A cached entry's record changed, still in the outbox */
  changed (peer: string, id: string, message: ChatMessage): void {
    const entry = this.#peers.get(peer)?.entries.get(id)
    if (entry !== undefined) {
      entry.message = message
    }
  }

  /** Message `id` left `peer`'s outbox */
  removed (peer: string, id: string): void {
    const cached = this.#peers.get(peer)
    if (cached === undefined) {
      return
    }
    cached.entries.delete(id)
    if (cached.entries.size === 0 && !cached.complete) {
      // the rest is on disk only
      this.#peers.delete(peer)
    }
  }

  /** Forgets `peer` (its outbox was rewritten behind the cache) */
  forget (peer: string): void {
    this.#peers.delete(peer)
  }

  clear (): void {
    this.#peers.clear()
  }
}
