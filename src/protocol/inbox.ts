/**
 * The envelopes an inbound session has read and not yet handled: the
 * reader pushes, the handler takes everything that came in while it was
 * busy (so a run of messages is stored with one synced write and acked
 * together: group commit on the receiving side). Bounded: past `max`
 * envelopes or `maxBytes` bytes the reader waits before it reads on, which
 * an honest sender (at most MAX_IN_FLIGHT envelopes and MAX_IN_FLIGHT_BYTES
 * unacknowledged) never reaches; a flooding one then fills the stream's own
 * bounded read buffer and is reset.
 *
 * Pure state: no stream here (chat.ts reads and writes).
 */
export class Inbox<T> {
  readonly #max: number
  readonly #maxBytes: number
  #items: T[] = []
  #bytes = 0
  #ended = false
  #error: Error | undefined
  /** the handler waits for items */
  #wanted: PromiseWithResolvers<void> | undefined
  /** the reader waits for room */
  #room: PromiseWithResolvers<void> | undefined

  constructor (max: number, maxBytes: number = Number.MAX_SAFE_INTEGER) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError('max must be a positive integer')
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new TypeError('maxBytes must be a positive integer')
    }
    this.#max = max
    this.#maxBytes = maxBytes
  }

  get size (): number {
    return this.#items.length
  }

  get ended (): boolean {
    return this.#ended
  }

  /** Resolves once one more item fits (by count; by bytes, once the inbox is not over its bound), or the inbox ended */
  async room (): Promise<void> {
    while (this.#full() && !this.#ended) {
      this.#room ??= Promise.withResolvers()
      await this.#room.promise
    }
  }

  /** Adds an item of `bytes` bytes; the one that crosses maxBytes is taken, the next waits */
  push (item: T, bytes = 0): void {
    if (this.#ended) {
      throw new Error('inbox ended')
    }
    if (this.#full()) {
      throw new RangeError('inbox full: wait for room() first')
    }
    this.#items.push(item)
    this.#bytes += bytes
    this.#wake()
  }

  #full (): boolean {
    return this.#items.length >= this.#max || this.#bytes >= this.#maxBytes
  }

  /** No more items: the handler takes what is left, then gets `undefined`; with `error`, then the error */
  end (error?: Error): void {
    this.#ended = true
    this.#error ??= error
    this.#wake()
    const room = this.#room
    this.#room = undefined
    room?.resolve()
  }

  /**
   * Every item read so far, waiting for one if there is none; `undefined`
   * once ended and empty, or the error the reader ended with.
   */
  async take (): Promise<T[] | undefined> {
    while (this.#items.length === 0) {
      if (this.#ended) {
        if (this.#error !== undefined) {
          throw this.#error
        }
        return undefined
      }
      this.#wanted ??= Promise.withResolvers()
      await this.#wanted.promise
    }
    const items = this.#items
    this.#items = []
    this.#bytes = 0
    const room = this.#room
    this.#room = undefined
    room?.resolve()
    return items
  }

  #wake (): void {
    const wanted = this.#wanted
    this.#wanted = undefined
    wanted?.resolve()
  }
}
