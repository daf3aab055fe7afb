/**
 * The sending end of one /securechat session stream: queued writes in order,
 * the acks in flight, the idle timer that closes an unused session. The
 * service (chat.ts) owns the map of sessions; this file owns one.
 */
import { writeFrame, readFrame } from './wire.ts'
import { decodeEnvelope, encodeEnvelope } from './envelope.ts'
import { InvalidEnvelopeError } from './errors.ts'
import { CLOSE_TIMEOUT_MS, FRAME_OVERHEAD_BYTES } from './constants.ts'
import type { MessageEnvelope, ReadEnvelope } from './envelope.ts'
import type { SecureSession } from './wire.ts'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'

/** Upper bound of the bytes an envelope takes on the wire, for the send window */
export function frameSize (envelope: MessageEnvelope | ReadEnvelope): number {
  // a ROOM envelope's room id and clock: 34 + 11 bytes at most
  return envelope.type === 'read' ? FRAME_OVERHEAD_BYTES : Buffer.byteLength(envelope.text, 'utf8') + FRAME_OVERHEAD_BYTES + (envelope.type === 'room' ? 48 : 0)
}



/** A clean end of the remote's side: nothing else (a bad frame, a reset) counts as one */
export function isEndOfStream (err: unknown): boolean {
  return (err as Error | undefined)?.name === 'UnexpectedEOFError'
}

/** The sending end of one session stream, with its in-flight acks */
export class OutboundSession {
  private readonly pending = new Map<string, PromiseWithResolvers<void>>()
  private writeChain: Promise<void> = Promise.resolve()
  private idleTimer?: ReturnType<typeof setTimeout>
  private closed = false

  constructor (
    readonly stream: Stream,
    private readonly session: SecureSession,
    private readonly log: Logger,
    private readonly idleTimeout: number,
    private readonly onClosed: () => void
  ) {
    this.touch()
    void this.readAcks()
    stream.addEventListener('close', () => { this.close(new Error('stream closed')) }, { once: true })
  }

  get usable (): boolean {
    return !this.closed && this.stream.status === 'open' && !this.session.cipher.exhausted
  }

  /**
   * Queues one message behind the ones already queued on this session.
   * `written` settles when its frame is on the stream, `acked` when the peer
   * acknowledged it; a failed write ends the session and rejects both.
   */
  enqueue (envelope: MessageEnvelope | ReadEnvelope, options: AbortOptions): { written: Promise<void>, acked: Promise<void> } {
    const acked = Promise.withResolvers<void>()
    // a rejection nobody waits for any more (after a timeout) must not surface as unhandled
    acked.promise.catch(() => {})
    this.pending.set(envelope.id, acked)
    this.touch()

    const written = this.writeChain.then(async () => {
      options.signal?.throwIfAborted()
      await writeFrame(this.session, encodeEnvelope(envelope), options)
    })
    written.catch((err: Error) => { this.abort(err) })
    this.writeChain = written.catch(() => {})

    const settled = acked.promise.finally(() => { this.pending.delete(envelope.id) })
    // when the session dies, acks nobody awaits any more reject: that is expected, not an error
    settled.catch(() => {})

    return { written, acked: settled }
  }

  private async readAcks (): Promise<void> {
    try {
      while (!this.closed) {
        const envelope = decodeEnvelope(await readFrame(this.session, {}))

        if (envelope.type !== 'ack') {
          throw new InvalidEnvelopeError('chat envelope on the sending side of a session')
        }

        // an ack for nothing we sent is ignored: it may answer a send that already timed out
        this.pending.get(envelope.id)?.resolve()
      }
    } catch (err) {
      if (!this.closed) {
        if (isEndOfStream(err)) {
          this.close(new Error('peer closed the session'))
          this.closeStream()
        } else {
          this.log.error('outbound session failed - %e', err)
          this.abort(err as Error)
        }
      }
    }
  }

  private touch (): void {
    clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) {
        this.close(new Error('session idle'))
        this.closeStream()
      } else {
        this.touch()
      }
    }, this.idleTimeout)
    this.idleTimer.unref?.()
  }

  abort (err: Error): void {
    this.close(err)
    this.stream.abort(err)
  }

  /** close our side and wait a bounded time for the remote's; abort if it does not come */
  private closeStream (): void {
    this.stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((err: Error) => { this.stream.abort(err) })
  }

  close (reason: Error): void {
    if (this.closed) {
      return
    }

    this.closed = true
    clearTimeout(this.idleTimer)
    this.session.cipher.destroy()

    for (const p of this.pending.values()) {
      p.reject(reason)
    }

    this.pending.clear()
    this.onClosed()
  }
}

