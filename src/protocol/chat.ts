/**
 * The /securechat/1.0.0 service (its public face is index.ts): registers the stream handler, keeps one
 * outbound session stream per peer for sending, answers inbound sessions
 * with acks. Crypto and framing live in handshake.ts, session.ts, wire.ts.
 *
 * One stream carries one direction of chat: the opener sends CHAT
 * envelopes, the other side answers each with an ACK once the message is
 * stored (the message handler resolved). The receiver reads on while it
 * stores, and stores what arrived meanwhile together. An idle outbound
 * stream is closed; the next send opens a fresh session with fresh keys.
 */
import { serviceCapabilities, TypedEventEmitter } from '@libp2p/interface'
import { raceSignal, signalWithTimeout } from '../util/abort.ts'
import { OutboundSession, frameSize, isEndOfStream } from './outbound-session.ts'
import {
  HANDSHAKE_TIMEOUT_MS, MAX_CLOCK_SKEW_MS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS,
  MAX_IN_FLIGHT, MAX_IN_FLIGHT_BYTES, PROTOCOL_ID, SEND_TIMEOUT_MS, SESSION_IDLE_TIMEOUT_MS
} from './constants.ts'
import { decodeEnvelope, encodeEnvelope } from './envelope.ts'
import type { MessageEnvelope, ReadEnvelope } from './envelope.ts'
import { InvalidEnvelopeError } from './errors.ts'
import { Inbox } from './inbox.ts'
import { performHandshake, readFrame, writeFrame } from './wire.ts'
import type { SecureSession } from './wire.ts'
import type { MessageHandler, ReceiptHandler, SecureChat, SecureChatComponents, SecureChatEvents, SecureChatInit, SendBatchOptions, OutgoingMessage } from './index.ts'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

export class SecureChatService extends TypedEventEmitter<SecureChatEvents> implements SecureChat, Startable {
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
  private onMessages: MessageHandler = refuse
  private onRead: ReceiptHandler = refuse
  private readonly outbound = new Map<string, Promise<OutboundSession>>()
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (components: SecureChatComponents, init: SecureChatInit = {}) {
    super()
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
  }

  readonly [Symbol.toStringTag] = 'securechat'
  readonly [serviceCapabilities]: string[] = ['securechat:chat']

  handleMessages (handler: MessageHandler): void {
    this.onMessages = handler
  }

  handleReceipts (handler: ReceiptHandler): void {
    this.onRead = handler
  }

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

  async sendBatch (peer: PeerId, messages: OutgoingMessage[], options: SendBatchOptions = {}): Promise<void> {
    await this.sendEnvelopes(peer, messages.map(m => m.room === undefined
      ? { type: 'chat', id: m.id, timestamp: m.timestamp, text: m.text }
      : { type: 'room', id: m.id, timestamp: m.timestamp, text: m.text, room: m.room.id, clock: m.room.clock }), options)
  }

  /**
   * Read receipts for messages `peer` sent us, resolved when acknowledged.
   * Same ordering and failure rules as sendBatch.
   */
  async sendReceipts (peer: PeerId, ids: string[], options: SendBatchOptions = {}): Promise<void> {
    await this.sendEnvelopes(peer, ids.map(id => ({ type: 'read', id })), options)
  }

  private async sendEnvelopes (peer: PeerId, envelopes: Array<MessageEnvelope | ReadEnvelope>, options: SendBatchOptions): Promise<void> {
    if (envelopes.length === 0) {
      return
    }

    const session = await this.getSession(peer, { signal: signalWithTimeout(this.sendTimeout, options.signal) })
    // a window of unacknowledged envelopes, bounded in count and bytes, so
    // that an honest sender never overruns the receiver's read buffer
    const inFlight: Array<{ id: string, size: number, written: Promise<void>, acked: Promise<void> }> = []
    // what onAck does (a status write) runs alongside the next acks, so that
    // several go to disk together; the batch resolves once all are done
    const handled: Array<Promise<void>> = []
    let bytes = 0
    let next = 0

    try {
      while (next < envelopes.length || inFlight.length > 0) {
        while (next < envelopes.length) {
          const envelope = envelopes[next] as MessageEnvelope | ReadEnvelope
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
        const onAck = options.onAck?.(head.id)
        if (onAck != null) {
          onAck.catch(() => {})
          handled.push(onAck)
        }
      }

      await Promise.all(handled)
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
        this.safeDispatchEvent('handshake', { detail: { peer, nickname: session.remoteNickname, connection } })
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

      this.safeDispatchEvent('handshake', { detail: { peer, nickname: session.remoteNickname, connection } })

      // the reader goes on reading while the envelopes read so far are
      // stored: the next run is what arrived meanwhile (inbox.ts)
      const inbox = new Inbox<MessageEnvelope | ReadEnvelope>(this.maxInFlight, this.maxInFlightBytes)
      const reading = this.readInbound(session, inbox)

      try {
        while (true) {
          const run = await inbox.take()

          if (run === undefined) {
            await stream.close({ signal: signalWithTimeout(this.sendTimeout) })
            return
          }

          await this.handleRun(session, peer, connection, run)
        }
      } catch (err) {
        // stops the reader, which may be waiting for a frame
        stream.abort(err as Error)
        throw err
      } finally {
        inbox.end()
        await reading
      }
    } catch (err) {
      this.log.error('inbound session from %p failed - %e', peer, err)
      stream.abort(err as Error)
      this.safeDispatchEvent('session:error', { detail: { peer, error: err as Error } })
    } finally {
      session?.cipher.destroy()
      this.inbound.delete(stream)
    }
  }

  /** Reads envelopes into `inbox` until the stream ends (end()) or fails (end(error)); never rejects */
  private async readInbound (session: SecureSession, inbox: Inbox<MessageEnvelope | ReadEnvelope>): Promise<void> {
    try {
      while (true) {
        await inbox.room()

        if (inbox.ended) {
          return
        }

        let plaintext: Uint8Array

        try {
          // an idle sender closes its session well before this fires
          plaintext = await readFrame(session, { signal: signalWithTimeout(this.idleTimeout * 2) })
        } catch (err) {
          if (isEndOfStream(err)) {
            inbox.end()
            return
          }
          throw err
        }

        const envelope = decodeEnvelope(plaintext)

        if (envelope.type === 'ack') {
          throw new InvalidEnvelopeError('ack envelope on the receiving side of a session')
        }

        if (inbox.ended) {
          return
        }

        inbox.push(envelope, plaintext.byteLength)
      }
    } catch (err) {
      inbox.end(err as Error)
    }
  }

  /**
   * Handles envelopes in the order they came: each stretch of chat messages
   * goes to the message handler at once (stored in one write), each receipt
   * to the receipt handler; every envelope handled is acked, in order. The
   * first one that cannot be handled ends the session, unacked, with what
   * follows it.
   */
  private async handleRun (session: SecureSession, peer: PeerId, connection: Connection, run: Array<MessageEnvelope | ReadEnvelope>): Promise<void> {
    const signal = signalWithTimeout(this.sendTimeout)
    let i = 0

    while (i < run.length) {
      const envelope = run[i] as MessageEnvelope | ReadEnvelope

      if (envelope.type === 'read') {
        await this.onRead(peer, envelope.id, { signal })
        await writeFrame(session, encodeEnvelope({ type: 'ack', id: envelope.id }), { signal })
        i++
        continue
      }

      const chats: MessageEnvelope[] = []
      while (i < run.length && run[i]?.type !== 'read') {
        chats.push(run[i] as MessageEnvelope)
        i++
      }

      const outcome = await this.onMessages(chats.map(c => ({
        from: peer,
        nickname: session.remoteNickname,
        id: c.id,
        timestamp: c.timestamp,
        text: c.text,
        ...(c.type === 'room' ? { room: { id: c.room, clock: c.clock } } : {}),
        connection
      })), { signal })

      for (const c of chats.slice(0, outcome.stored)) {
        await writeFrame(session, encodeEnvelope({ type: 'ack', id: c.id }), { signal })
      }

      if (outcome.stored < chats.length) {
        throw outcome.error ?? new Error('message not stored')
      }
    }
  }
}

/** Until a service sets a handler, messages and receipts are refused: not acked, so the sender keeps them */
async function refuse (): Promise<never> {
  throw new Error('no handler for this envelope yet')
}
