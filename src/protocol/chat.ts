/**
 * The /securechat/1.0.0 service: registers the stream handler, keeps one
 * outbound session stream per peer for sending, answers inbound sessions
 * with acks. Crypto and framing live in handshake.ts, session.ts, wire.ts.
 *
 * One stream carries one direction of chat: the opener sends CHAT
 * envelopes, the other side answers each with an ACK once the message is
 * stored (the `onMessage` callback resolved). An idle outbound stream is
 * closed; the next send opens a fresh session with fresh keys.
 */
import { serviceCapabilities, setMaxListeners, TimeoutError } from '@libp2p/interface'
import { randomBytes } from 'node:crypto'
import {
  HANDSHAKE_TIMEOUT_MS, MAX_CLOCK_SKEW_MS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS,
  MAX_IN_FLIGHT, MAX_IN_FLIGHT_BYTES, MESSAGE_ID_BYTES, PROTOCOL_ID, SEND_TIMEOUT_MS, SESSION_IDLE_TIMEOUT_MS
} from './constants.ts'
import { decodeEnvelope, encodeEnvelope } from './envelope.ts'
import type { ChatEnvelope, ReadEnvelope } from './envelope.ts'
import { InvalidEnvelopeError } from './errors.ts'
import { performHandshake, readFrame, writeFrame } from './wire.ts'
import type { SecureSession } from './wire.ts'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, PrivateKey, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface SecureChatComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
}

/** A verified, decrypted, validated chat message from a peer */
export interface IncomingMessage {
  from: PeerId
  /** the nickname the sender signed in this session's handshake */
  nickname: string
  id: string
  timestamp: number
  text: string
  connection: Connection
}

export interface OutgoingMessage {
  id: string
  timestamp: number
  text: string
}

export interface SendBatchOptions extends AbortOptions {
  /** a message's frame is on the stream */
  onWritten?: (id: string) => void
  /** the peer acknowledged a message; awaited before the next one is reported */
  onAck?: (id: string) => Promise<void> | void
}

export interface SecureChatInit {
  /** the nickname announced in our Hellos */
  nickname?: string
  handshakeTimeout?: number
  sendTimeout?: number
  idleTimeout?: number
  maxClockSkew?: number
  maxFrameBytes?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** unacknowledged envelopes allowed in flight per send */
  maxInFlight?: number
  /** unacknowledged frame bytes allowed in flight per send */
  maxInFlightBytes?: number
  /** for tests: frames per session before it is renewed */
  maxFramesPerSession?: bigint
  /**
   * Called for each message received. The ack is sent only after this
   * resolves, so it must store the message durably first; if it throws, no
   * ack is sent and the stream is reset (the sender retries later).
   */
  onMessage?: (message: IncomingMessage, options: AbortOptions) => Promise<void>
  /**
   * Called for each read receipt received: `peer` displayed our message `id`.
   * Acked after it resolves; an id we never sent to that peer must be ignored.
   */
  onRead?: (peer: PeerId, id: string, options: AbortOptions) => Promise<void>
  /** Called after each verified handshake, inbound or outbound */
  onHandshake?: (peer: PeerId, nickname: string, connection: Connection) => void
  /** Called when an inbound stream fails (bad handshake, tampered frame, ...) */
  onInboundError?: (peer: PeerId, err: Error) => void
}

/** A new, random message id: 16 bytes, hex */
export function newMessageId (): string {
  return randomBytes(MESSAGE_ID_BYTES).toString('hex')
}

function signalWithTimeout (ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])
  setMaxListeners(Infinity, combined)
  return combined
}

/** Upper bound of the bytes an envelope takes on the wire, for the send window */
function frameSize (envelope: ChatEnvelope | ReadEnvelope): number {
  return (envelope.type === 'chat' ? Buffer.byteLength(envelope.text, 'utf8') : 0) + FRAME_OVERHEAD_BYTES
}

/** Resolves with `promise`, or rejects with a TimeoutError when `signal` aborts first */
async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal, message: string): Promise<T> {
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new TimeoutError(message)) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

/** How long a graceful stream close may wait for the remote */
const CLOSE_TIMEOUT_MS = 5_000

/** protobuf tags, lengths, id, timestamp and the GCM tag around the text */
const FRAME_OVERHEAD_BYTES = 96

/** A clean end of the remote's side: nothing else (a bad frame, a reset) counts as one */
function isEndOfStream (err: unknown): boolean {
  return (err as Error | undefined)?.name === 'UnexpectedEOFError'
}

/** The sending end of one session stream, with its in-flight acks */
class OutboundSession {
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
  enqueue (envelope: ChatEnvelope | ReadEnvelope, options: AbortOptions): { written: Promise<void>, acked: Promise<void> } {
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

export class SecureChat implements Startable {
  readonly protocol = PROTOCOL_ID
  private readonly components: SecureChatComponents
  private readonly log: Logger
  private readonly nickname: string
  private readonly handshakeTimeout: number
  private readonly sendTimeout: number
  private readonly idleTimeout: number
  private readonly maxClockSkew: number
  private readonly maxFrameBytes: number
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly maxInFlight: number
  private readonly maxInFlightBytes: number
  private readonly maxFramesPerSession?: bigint
  private readonly onMessage: NonNullable<SecureChatInit['onMessage']>
  private readonly onRead: NonNullable<SecureChatInit['onRead']>
  private readonly onHandshake: NonNullable<SecureChatInit['onHandshake']>
  private readonly onInboundError: NonNullable<SecureChatInit['onInboundError']>
  private readonly outbound = new Map<string, Promise<OutboundSession>>()
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (components: SecureChatComponents, init: SecureChatInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('securechat:chat')
    this.nickname = init.nickname ?? ''
    this.handshakeTimeout = init.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS
    this.sendTimeout = init.sendTimeout ?? SEND_TIMEOUT_MS
    this.idleTimeout = init.idleTimeout ?? SESSION_IDLE_TIMEOUT_MS
    this.maxClockSkew = init.maxClockSkew ?? MAX_CLOCK_SKEW_MS
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
    this.maxInboundStreams = init.maxInboundStreams ?? MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    this.maxInFlight = init.maxInFlight ?? MAX_IN_FLIGHT
    this.maxInFlightBytes = init.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES
    this.maxFramesPerSession = init.maxFramesPerSession
    this.onMessage = init.onMessage ?? (async () => {})
    this.onRead = init.onRead ?? (async () => {})
    this.onHandshake = init.onHandshake ?? (() => {})
    this.onInboundError = init.onInboundError ?? (() => {})
  }

  readonly [Symbol.toStringTag] = 'securechat'
  readonly [serviceCapabilities]: string[] = ['securechat']

  async start (): Promise<void> {
    await this.components.registrar.handle(this.protocol, this.handleStream, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams,
      runOnLimitedConnection: true
    })
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    await this.components.registrar.unhandle(this.protocol)

    const sessions = await Promise.allSettled([...this.outbound.values()])
    for (const s of sessions) {
      if (s.status === 'fulfilled') {
        s.value.abort(new Error('node stopping'))
      }
    }
    this.outbound.clear()

    for (const stream of this.inbound) {
      stream.abort(new Error('node stopping'))
    }
    this.inbound.clear()
  }

  isStarted (): boolean {
    return this.started
  }

  /**
   * Send one message and resolve when the peer has acknowledged it (stored
   * it). Opens or reuses the session stream to that peer.
   */
  async send (peer: PeerId, message: OutgoingMessage, options: AbortOptions = {}): Promise<void> {
    await this.sendBatch(peer, [message], options)
  }

  /**
   * Send messages in this order on one session and resolve when the peer has
   * acknowledged them all. `onWritten` and `onAck` are called per message, in
   * order. At the first failure (no session, a write fails, no ack within
   * `sendTimeout` of the previous progress) the session is ended and the
   * batch rejects: no later message of the batch goes out on another
   * session, so the receiver never sees them out of order.
   */
  async sendBatch (peer: PeerId, messages: OutgoingMessage[], options: SendBatchOptions = {}): Promise<void> {
    await this.sendEnvelopes(peer, messages.map(m => ({ type: 'chat', ...m })), options)
  }

  /**
   * Read receipts for messages `peer` sent us, resolved when acknowledged.
   * Same ordering and failure rules as sendBatch.
   */
  async sendReceipts (peer: PeerId, ids: string[], options: SendBatchOptions = {}): Promise<void> {
    await this.sendEnvelopes(peer, ids.map(id => ({ type: 'read', id })), options)
  }

  private async sendEnvelopes (peer: PeerId, envelopes: Array<ChatEnvelope | ReadEnvelope>, options: SendBatchOptions): Promise<void> {
    if (envelopes.length === 0) {
      return
    }

    const session = await this.getSession(peer, { signal: signalWithTimeout(this.sendTimeout, options.signal) })
    // a window of unacknowledged envelopes, bounded in count and bytes, so
    // that an honest sender never overruns the receiver's read buffer
    const inFlight: Array<{ id: string, size: number, written: Promise<void>, acked: Promise<void> }> = []
    let bytes = 0
    let next = 0

    try {
      while (next < envelopes.length || inFlight.length > 0) {
        while (next < envelopes.length) {
          const envelope = envelopes[next] as ChatEnvelope | ReadEnvelope
          const size = frameSize(envelope)

          if (inFlight.length > 0 && (inFlight.length >= this.maxInFlight || bytes + size > this.maxInFlightBytes)) {
            break
          }

          const queued = session.enqueue(envelope, { signal: options.signal })
          // the rejections of a failed batch must not go unhandled once we stop waiting
          queued.written.catch(() => {})
          queued.acked.catch(() => {})
          inFlight.push({ id: envelope.id, size, ...queued })
          bytes += size
          next++
        }

        const head = inFlight.shift()

        if (head == null) {
          break
        }

        await raceSignal(head.written, signalWithTimeout(this.sendTimeout, options.signal), 'frame not written in time')
        options.onWritten?.(head.id)
        await raceSignal(head.acked, signalWithTimeout(this.sendTimeout, options.signal), 'no ack from peer in time')
        bytes -= head.size
        await options.onAck?.(head.id)
      }
    } catch (err) {
      session.abort(err as Error)
      throw err
    }
  }

  private async getSession (peer: PeerId, options: AbortOptions): Promise<OutboundSession> {
    const key = peer.toString()
    const existing = this.outbound.get(key)

    if (existing != null) {
      const session = await existing.catch(() => undefined)

      if (session?.usable === true) {
        return session
      }

      const current = this.outbound.get(key)

      if (current != null && current !== existing) {
        // another caller already replaced the dead session: share its new one
        options.signal?.throwIfAborted()
        return this.getSession(peer, options)
      }

      this.outbound.delete(key)
    }

    const opening = this.openSession(peer, options)
    this.outbound.set(key, opening)
    opening.catch(() => {
      if (this.outbound.get(key) === opening) {
        this.outbound.delete(key)
      }
    })
    return opening
  }

  private async openSession (peer: PeerId, options: AbortOptions): Promise<OutboundSession> {
    const key = peer.toString()
    const stream = await this.components.connectionManager.openStream(peer, this.protocol, {
      runOnLimitedConnection: true,
      signal: options.signal
    })
    try {
      const signal = signalWithTimeout(this.handshakeTimeout, options.signal)
      const session = await performHandshake(stream, {
        role: 'initiator',
        localPeer: this.components.peerId,
        remotePeer: peer,
        privateKey: this.components.privateKey,
        nickname: this.nickname,
        maxClockSkew: this.maxClockSkew,
        maxFrameBytes: this.maxFrameBytes,
        maxFrames: this.maxFramesPerSession
      }, { signal })

      const connection = this.components.connectionManager.getConnections(peer).find(c => c.streams.includes(stream))
      if (connection != null) {
        this.onHandshake(peer, session.remoteNickname, connection)
      }

      let created: OutboundSession | undefined
      const onClosed = (): void => {
        void this.outbound.get(key)?.then(current => {
          if (current === created) {
            this.outbound.delete(key)
          }
        }, () => {})
      }
      created = new OutboundSession(stream, session, this.log, this.idleTimeout, onClosed)
      return created
    } catch (err) {
      this.log.error('outbound handshake with %p failed - %e', peer, err)
      stream.abort(err as Error)
      throw err
    }
  }

  private readonly handleStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer
    this.inbound.add(stream)
    let session: SecureSession | undefined

    try {
      session = await performHandshake(stream, {
        role: 'responder',
        localPeer: this.components.peerId,
        remotePeer: peer,
        privateKey: this.components.privateKey,
        nickname: this.nickname,
        maxClockSkew: this.maxClockSkew,
        maxFrameBytes: this.maxFrameBytes
      }, { signal: signalWithTimeout(this.handshakeTimeout) })

      this.onHandshake(peer, session.remoteNickname, connection)

      while (true) {
        let plaintext: Uint8Array

        try {
          // an idle sender closes its session well before this fires
          plaintext = await readFrame(session, { signal: signalWithTimeout(this.idleTimeout * 2) })
        } catch (err) {
          if (isEndOfStream(err)) {
            await stream.close({ signal: signalWithTimeout(this.sendTimeout) })
            return
          }
          throw err
        }

        const envelope = decodeEnvelope(plaintext)

        if (envelope.type === 'ack') {
          throw new InvalidEnvelopeError('ack envelope on the receiving side of a session')
        }

        const signal = signalWithTimeout(this.sendTimeout)

        if (envelope.type === 'read') {
          await this.onRead(peer, envelope.id, { signal })
          await writeFrame(session, encodeEnvelope({ type: 'ack', id: envelope.id }), { signal })
          continue
        }

        await this.onMessage({
          from: peer,
          nickname: session.remoteNickname,
          id: envelope.id,
          timestamp: envelope.timestamp,
          text: envelope.text,
          connection
        }, { signal })
        await writeFrame(session, encodeEnvelope({ type: 'ack', id: envelope.id }), { signal })
      }
    } catch (err) {
      this.log.error('inbound session from %p failed - %e', peer, err)
      stream.abort(err as Error)
      this.onInboundError(peer, err as Error)
    } finally {
      session?.cipher.destroy()
      this.inbound.delete(stream)
    }
  }
}

export function secureChat (init: SecureChatInit = {}): (components: SecureChatComponents) => SecureChat {
  return (components) => new SecureChat(components, init)
}
