/**
 * The sender's side of a GET's flow control (docs/PROTOCOL.md, "File
 * transfer"), pure state: chunk bytes may go out up to the receiver's last
 * acknowledged offset plus FILE_WINDOW_BYTES. The receiver's MOREs move
 * that offset; one that goes back, or past what was sent, is a protocol
 * violation. No I/O: the service reads the MOREs and writes the chunks.
 */
import { FILE_WINDOW_BYTES } from './constants.ts'
import { InvalidFileFrameError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'

export class SendWindow {
  private acked: number
  private sent: number
  private readonly window: number
  private failure?: Error
  private waiter?: { end: number, resolve: () => void, reject: (err: Error) => void }

  constructor (offset: number, window = FILE_WINDOW_BYTES) {
    this.acked = offset
    this.sent = offset
    this.window = window
  }

  /** The receiver took every byte before `offset` (a MORE) */
  ack (offset: number): void {
    if (offset < this.acked || offset > this.sent) {
      throw new InvalidFileFrameError(`more offset ${offset} outside ${this.acked}..${this.sent}`)
    }
    this.acked = offset
    if (this.waiter != null && this.allows(this.waiter.end)) {
      this.waiter.resolve()
      this.waiter = undefined
    }
  }

  /** Whether bytes up to `end` may be sent now */
  allows (end: number): boolean {
    return end <= this.acked + this.window
  }

  /** Resolves once bytes up to `end` may be sent; rejects if the window failed or the signal fires */
  async until (end: number, options: AbortOptions = {}): Promise<void> {
    if (this.failure != null) throw this.failure
    if (this.allows(end)) return
    options.signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiter = undefined
        reject(options.signal?.reason as Error)
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiter = {
        end,
        resolve: () => { options.signal?.removeEventListener('abort', onAbort); resolve() },
        reject: (err) => { options.signal?.removeEventListener('abort', onAbort); reject(err) }
      }
    })
  }

  /** Bytes up to `end` went out */
  sentTo (end: number): void {
    this.sent = Math.max(this.sent, end)
  }

  /** No more MOREs will come (the stream ended, or one was invalid): a wait, now or later, rejects with `err` */
  fail (err: Error): void {
    this.failure ??= err
    this.waiter?.reject(this.failure)
    this.waiter = undefined
  }
}
