/**
 * Exact reads from an async iterable of byte chunks (a file read in
 * pieces): `read(n)` resolves with n bytes, or with fewer only where the
 * input ends, so the caller can tell a clean end from a cut one. The caller
 * bounds n before asking; nothing is buffered past it but the chunk at hand.
 */
import { Uint8ArrayList } from 'uint8arraylist'

export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>
  private readonly buffer = new Uint8ArrayList()
  private ended = false

  constructor (source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]()
  }

  /** `n` bytes, or what is left (possibly none) if the input ends first */
  async read (n: number): Promise<Uint8Array> {
    await this.fill(n)
    const length = Math.min(n, this.buffer.byteLength)
    const bytes = this.buffer.subarray(0, length)
    this.buffer.consume(length)
    return bytes
  }

  /** Whether the input has no byte left */
  async atEnd (): Promise<boolean> {
    await this.fill(1)
    return this.buffer.byteLength === 0
  }

  /** Stops the source (a file read ends there); idempotent */
  async close (): Promise<void> {
    if (!this.ended) {
      this.ended = true
      await this.iterator.return?.()
    }
  }

  /** Buffers until `n` bytes are at hand or the input ends */
  private async fill (n: number): Promise<void> {
    while (this.buffer.byteLength < n && !this.ended) {
      const next = await this.iterator.next()
      if (next.done === true) {
        this.ended = true
      } else {
        this.buffer.append(next.value)
      }
    }
  }
}
