/**
 * The rendezvous client service (public face: index.ts): the order of
 * reads and writes of /rendezvous/1.0.0 on the registering and discovering
 * side. One stream per request: open, write the request, read the response
 * (an UNREGISTER has none), close our side, and abort the stream if the
 * point has not closed its own `closeTimeout` later. What a point
 * returns is checked here too: it could lie, so every signed peer record
 * is verified again (and one not signed with an Ed25519 key dropped).
 */
import { serviceCapabilities, setMaxListeners, TimeoutError } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { CODE_P2P } from '@multiformats/multiaddr'
import { NodeStoppedError } from '../errors.ts'
import { lengthDecoder } from '../protocol/framing.ts'
import { raceSignal } from '../util/abort.ts'
import {
  CLOSE_TIMEOUT_MS, DEFAULT_DISCOVER_LIMIT, MAX_COOKIE_BYTES, MAX_OUTBOUND_STREAMS, MAX_RESPONSE_BUFFER_BYTES, MAX_RESPONSE_BYTES,
  MAX_STATUS_TEXT_CHARS, RENDEZVOUS_PROTOCOL_ID, RENDEZVOUS_TIMEOUT_MS, SPEC_MAX_TTL_S
} from './constants.ts'
import {
  InvalidCookieError, InvalidNamespaceError, InvalidRendezvousMessageError, InvalidSignedPeerRecordError, InvalidTtlError,
  RegistrationNotAuthorizedError, RendezvousInternalError, RendezvousUnavailableError
} from './errors.ts'
import { Message } from './pb/rendezvous.ts'
import { openPeerRecord, sealPeerRecord } from './record.ts'
import { asError, decodeMessage, namespaceProblem } from './wire.ts'
import type { DiscoveredPeer, DiscoverOptions, DiscoverResult, RegisterOptions, RendezvousClient, RendezvousClientComponents, RendezvousClientInit } from './index.ts'
import type { RendezvousRefusedError } from './errors.ts'
import type { AbortOptions, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const { MessageType, ResponseStatus } = Message

/** The most registrations one discover may ask for: the spec's recommended most per response */
const MAX_LIMIT = 1000

const REFUSALS: Record<Exclude<Message.ResponseStatus, Message.ResponseStatus.OK>, new (statusText: string) => RendezvousRefusedError> = {
  [ResponseStatus.E_INVALID_NAMESPACE]: InvalidNamespaceError,
  [ResponseStatus.E_INVALID_SIGNED_PEER_RECORD]: InvalidSignedPeerRecordError,
  [ResponseStatus.E_INVALID_TTL]: InvalidTtlError,
  [ResponseStatus.E_INVALID_COOKIE]: InvalidCookieError,
  [ResponseStatus.E_NOT_AUTHORIZED]: RegistrationNotAuthorizedError,
  [ResponseStatus.E_INTERNAL_ERROR]: RendezvousInternalError,
  [ResponseStatus.E_UNAVAILABLE]: RendezvousUnavailableError
}

/** Throws the refusal a non-OK status stands for */
function throwIfRefused (status: Message.ResponseStatus, statusText: string): void {
  if (status !== ResponseStatus.OK) {
    throw new REFUSALS[status](statusText.slice(0, MAX_STATUS_TEXT_CHARS))
  }
}

function checkNamespace (namespace: string): void {
  const problem = namespaceProblem(namespace)

  if (problem != null) {
    throw new TypeError(`rendezvous ${problem}`)
  }
}

/**
 * The addresses to sign: `given`, each without a trailing /p2p/<us>, or
 * else all of ours as peers dial them (relayed ones included), without it
 */
function recordAddresses (given: Multiaddr[] | undefined, current: () => Multiaddr[], self: PeerId): Multiaddr[] {
  if (given == null) {
    return current().map(ma => ma.decapsulateCode(CODE_P2P))
  }

  if (given.length === 0) {
    throw new TypeError('rendezvous register needs at least one address to sign')
  }

  return given.map(ma => {
    const last = ma.getComponents().at(-1)
    return last?.code === CODE_P2P && last.value === self.toString() ? ma.decapsulateCode(CODE_P2P) : ma
  })
}

/**
 * Once our side is closed, leaves the point `closeTimeout` ms to close its
 * own, then aborts the stream: a half-closed stream still counts against
 * maxOutboundStreams, and one the point never closes would do so forever.
 * A stream already closed both ways is left alone.
 */
function release (stream: Stream, closeTimeout: number, signal: AbortSignal): void {
  const abort = (err?: Error): void => {
    clearTimeout(timer)
    stream.abort(err ?? new TimeoutError('rendezvous point did not close the stream'))
  }
  const timer = setTimeout(abort, closeTimeout)
  timer.unref()
  stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
  stream.close({ signal }).catch(abort)

  if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') {
    clearTimeout(timer)
  }
}

function checkCount (name: string, value: number | undefined, max: number): void {
  // also keeps what we write as uint64 under 2^31, clear of protons-runtime 7.1.2's broken writer for [2^31, 2^32)
  if (value != null && (!Number.isSafeInteger(value) || value < 1 || value > max)) {
    throw new TypeError(`rendezvous ${name} must be an integer in [1, ${max}], got ${value}`)
  }
}

export class RendezvousClientService implements RendezvousClient, Startable {
  readonly protocol = RENDEZVOUS_PROTOCOL_ID
  readonly [Symbol.toStringTag] = 'securechat:rendezvous-client'
  readonly [serviceCapabilities]: string[] = ['securechat:rendezvous-client']

  private readonly components: RendezvousClientComponents
  private readonly log: Logger
  private readonly peerId: PeerId
  private readonly timeout: number
  private readonly closeTimeout: number
  private readonly maxOutboundStreams: number
  /** aborted by stop(), so that no operation outlives the service */
  private running?: AbortController

  constructor (components: RendezvousClientComponents, init: RendezvousClientInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('securechat:rendezvous-client')
    this.peerId = peerIdFromPrivateKey(components.privateKey)
    this.timeout = init.timeout ?? RENDEZVOUS_TIMEOUT_MS
    this.closeTimeout = init.closeTimeout ?? CLOSE_TIMEOUT_MS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
  }

  async start (): Promise<void> {
    this.running = new AbortController()
    setMaxListeners(Infinity, this.running.signal)
  }

  async stop (): Promise<void> {
    this.running?.abort(new NodeStoppedError('rendezvous client stopping'))
    this.running = undefined
  }

  isStarted (): boolean {
    return this.running != null
  }

  async register (point: PeerId, namespace: string, options: RegisterOptions = {}): Promise<number> {
    checkNamespace(namespace)
    checkCount('ttl', options.ttl, SPEC_MAX_TTL_S)
    const multiaddrs = recordAddresses(options.addresses, () => this.components.addressManager.getAddresses(), this.peerId)
    const signal = this.signal(options)
    const signedPeerRecord = await sealPeerRecord(this.components.privateKey, multiaddrs, { signal })
    const response = await this.exchange(point, {
      type: MessageType.REGISTER,
      register: { ns: namespace, signedPeerRecord: signedPeerRecord as Uint8Array<ArrayBuffer>, ttl: BigInt(options.ttl ?? 0) }
    }, MessageType.REGISTER_RESPONSE, signal)

    if (response.registerResponse == null) {
      throw new InvalidRendezvousMessageError('REGISTER_RESPONSE without its body')
    }

    const { status, statusText, ttl } = response.registerResponse
    throwIfRefused(status, statusText)

    if (ttl < 1n || ttl > BigInt(SPEC_MAX_TTL_S)) {
      throw new InvalidRendezvousMessageError(`registered, but for a TTL outside [1, ${SPEC_MAX_TTL_S}] seconds`)
    }

    this.log('registered in a namespace on %p for %d s', point, Number(ttl))
    return Number(ttl)
  }

  async discover (point: PeerId, namespace: string, options: DiscoverOptions = {}): Promise<DiscoverResult> {
    checkNamespace(namespace)
    checkCount('limit', options.limit, MAX_LIMIT)

    if (options.cookie != null && options.cookie.byteLength > MAX_COOKIE_BYTES) {
      throw new TypeError(`rendezvous cookie longer than ${MAX_COOKIE_BYTES} bytes: not one a point gave`)
    }

    const limit = options.limit ?? DEFAULT_DISCOVER_LIMIT
    const signal = this.signal(options)
    const response = await this.exchange(point, {
      type: MessageType.DISCOVER,
      discover: { ns: namespace, limit: BigInt(limit), cookie: (options.cookie ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer> }
    }, MessageType.DISCOVER_RESPONSE, signal, limit)

    if (response.discoverResponse == null) {
      throw new InvalidRendezvousMessageError('DISCOVER_RESPONSE without its body')
    }

    const { status, statusText, registrations, cookie } = response.discoverResponse
    throwIfRefused(status, statusText)

    if (cookie.byteLength > MAX_COOKIE_BYTES) {
      throw new InvalidRendezvousMessageError(`discover response cookie longer than ${MAX_COOKIE_BYTES} bytes`)
    }

    const found: DiscoveredPeer[] = []
    const seen = new Set<string>()

    for (const registration of registrations) {
      const peer = await this.check(registration, namespace, signal)

      if (peer != null && !seen.has(peer.peerId.toString())) {
        seen.add(peer.peerId.toString())
        found.push(peer)
      }
    }

    if (found.length < registrations.length) {
      this.log('dropped %d of %d registrations from %p', registrations.length - found.length, registrations.length, point)
    }

    // a copy: the decoded cookie is a view of the whole response frame
    return { registrations: found, cookie: cookie.byteLength > 0 ? cookie.slice() : undefined }
  }

  async unregister (point: PeerId, namespace: string, options: AbortOptions = {}): Promise<void> {
    checkNamespace(namespace)
    await this.exchange(point, { type: MessageType.UNREGISTER, unregister: { ns: namespace } }, undefined, this.signal(options))
  }

  /** A registration a point returned, as a DiscoveredPeer if everything checks out; undefined (logged) if not */
  private async check (registration: Message.Register, namespace: string, signal: AbortSignal): Promise<DiscoveredPeer | undefined> {
    if (registration.ns !== namespace) {
      this.log('dropped a registration for another namespace')
      return undefined
    }

    if (registration.ttl < 1n || registration.ttl > BigInt(SPEC_MAX_TTL_S)) {
      this.log('dropped a registration with a TTL outside [1, %d] seconds', SPEC_MAX_TTL_S)
      return undefined
    }

    try {
      const record = await openPeerRecord(registration.signedPeerRecord, { signal })
      return { peerId: record.peerId, multiaddrs: record.multiaddrs, ttl: Number(registration.ttl) }
    } catch (err) {
      signal.throwIfAborted()
      this.log('dropped a registration - %e', err)
      return undefined
    }
  }

  /** The caller's signal, else the default timeout; and stop() */
  private signal (options: AbortOptions): AbortSignal {
    if (this.running == null) {
      throw new NodeStoppedError('rendezvous client is not started')
    }

    const signal = AbortSignal.any([options.signal ?? AbortSignal.timeout(this.timeout), this.running.signal])
    setMaxListeners(Infinity, signal)
    return signal
  }

  /**
   * One request on a stream of its own; the response, of type `expect`
   * (with at most `maxRegistrations`), or nothing when `expect` is
   * undefined (once the request is sent). Then the stream is released
   * (closed, aborted if the point does not close it too); on failure it is
   * aborted.
   */
  private async exchange (point: PeerId, request: Message, expect: Message.MessageType.REGISTER_RESPONSE | Message.MessageType.DISCOVER_RESPONSE, signal: AbortSignal, maxRegistrations?: number): Promise<Message>
  private async exchange (point: PeerId, request: Message, expect: undefined, signal: AbortSignal): Promise<undefined>
  private async exchange (point: PeerId, request: Message, expect: Message.MessageType | undefined, signal: AbortSignal, maxRegistrations = 0): Promise<Message | undefined> {
    let stream: Stream | undefined

    try {
      stream = await this.components.connectionManager.openStream(point, this.protocol, { signal, maxOutboundStreams: this.maxOutboundStreams })
      const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE_BYTES, maxBufferSize: MAX_RESPONSE_BUFFER_BYTES, lengthDecoder: lengthDecoder(MAX_RESPONSE_BYTES) })
      await lp.write(Message.encode(request), { signal })

      if (expect == null) {
        await stream.close({ signal })
        release(stream, this.closeTimeout, signal)
        return undefined
      }

      const data = await raceSignal(lp.read({ signal }), signal, 'no rendezvous response in time')
      const response = decodeMessage(data, { limits: { discoverResponse: { registrations: maxRegistrations } } })

      if (response.type !== expect) {
        throw new InvalidRendezvousMessageError(`${response.type} where ${expect} was expected`)
      }

      // the response is good whatever happens to the close
      release(stream, this.closeTimeout, signal)
      return response
    } catch (err) {
      const error = asError(err)
      this.log.error('rendezvous %s with %p failed - %e', request.type, point, error)
      stream?.abort(error)
      throw error
    }
  }
}
