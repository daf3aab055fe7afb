/**
 * The last sequence number of each conversation, for the next append: read
 * from the conversation's last history key (one reverse seek) and cached.
 * The cache is bounded; past its bound it starts again (a miss costs one
 * seek, never a wrong number: every append goes through it inside the write
 * queue).
 */
import { MAX_SEQ, SUBLEVEL_HISTORY } from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { conversationRange, decodeHistoryKey } from './keys.ts'
import type { Sublevel } from './handles.ts'

/** Conversations whose last seq is kept in memory */
const MAX_CACHED = 4096

export class Sequences {
  readonly #last = new Map<string, number>()

  /** The seq of the next append to `conversation`; RangeError when it is exhausted */
  async next (history: Sublevel, conversation: string): Promise<number> {
    let last = this.#last.get(conversation)
    if (last === undefined) {
      last = -1
      for await (const key of history.keys({ ...conversationRange(conversation), reverse: true, limit: 1 })) {
        const decoded = decodeHistoryKey(key)
        if (decoded === undefined) {
          // never written by us; guessing a number could overwrite a record
          throw new CorruptRecordError(SUBLEVEL_HISTORY, key, `record ${SUBLEVEL_HISTORY}/${key} has a malformed key`)
        }
        last = decoded.seq
      }
    }
    if (last >= MAX_SEQ) {
      throw new RangeError('conversation sequence exhausted')
    }
    return last + 1
  }

  /** Forgets every cached seq (after a failed write) */
  clear (): void {
    this.#last.clear()
  }

  /** Records that `seq` was written to `conversation` */
  used (conversation: string, seq: number): void {
    if (!this.#last.has(conversation) && this.#last.size >= MAX_CACHED) {
      this.#last.clear()
    }
    this.#last.set(conversation, seq)
  }
}
