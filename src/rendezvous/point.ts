/**
 * The rendezvous point: one decoded request in, its response out. No
 * streams (server.ts reads and writes them), state in the registrations
 * and the cookie key. Every field of a request is checked before anything
 * changes; a refusal is a response with the spec's status and a short
 * statusText naming the check, never echoing what the request held. The
 * cheap checks come first: the sender's request rate, then the namespace,
 * the TTL and whether the record's key is the sender's, and only then the
 * signature.
 */
import { InvalidSignedPeerRecordError, InvalidRendezvousMessageError } from './errors.ts'
import { Message } from './pb/rendezvous.ts'
import { openPeerRecord } from './record.ts'
import { decodeMessage, namespaceProblem } from './wire.ts'
import type { Cookies } from './cookie.ts'
import type { AddRefusal, Registrations } from './registrations.ts'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Who sent a request, as the stream and its connection say */
export interface Sender {
  /** the stream's remote peer, authenticated by the connection's encryption */
  peer: PeerId
  /** where it connects from (quota.ts senderAddress), if it has an IP address */
  address?: string
  /**
   * Takes a token for one request: true; or, over its rate, resolves
   * false after a pause (the server's overRatePause), so that a flood of
   * refused requests costs one response per stream and pause
   */
  admit(options: AbortOptions): Promise<boolean>
  /** whether its connection is still open: a registration made once it closed would outlive it */
  connected(): boolean
}

export interface PointPolicy {
  /** seconds */
  minTtl: number
  /** seconds */
  maxTtl: number
  /** seconds, for a REGISTER that names none */
  defaultTtl: number
  /** registrations per DISCOVER, when it names no limit */
  defaultDiscoverLimit: number
  /** registrations per DISCOVER, at most */
  maxDiscoverLimit: number
  /** bytes of registrations per DISCOVER response, at most (but always one) */
  maxPageBytes: number
}

const { ResponseStatus, MessageType } = Message

const TOO_MANY_REQUESTS = 'too many requests: slow down'

const REFUSALS: Record<AddRefusal, [Message.ResponseStatus, string]> = {
  'peer-full': [ResponseStatus.E_NOT_AUTHORIZED, 'too many registrations for this peer'],
  'address-full': [ResponseStatus.E_NOT_AUTHORIZED, 'too many registrations from this address'],
  'namespace-full': [ResponseStatus.E_UNAVAILABLE, 'namespace full'],
  full: [ResponseStatus.E_UNAVAILABLE, 'rendezvous point full']
}

function registerResponse (status: Message.ResponseStatus, statusText = '', ttl = 0): Message {
  return { type: MessageType.REGISTER_RESPONSE, registerResponse: { status, statusText, ttl: BigInt(ttl) } }
}

function discoverResponse (status: Message.ResponseStatus, statusText = '', registrations: Message.Register[] = [], cookie = new Uint8Array(0)): Message {
  return { type: MessageType.DISCOVER_RESPONSE, discoverResponse: { registrations, cookie, status, statusText } }
}

export class RendezvousPoint {
  private readonly registrations: Registrations
  private readonly cookies: Cookies
  private readonly policy: PointPolicy
  private readonly log: Logger

  constructor (registrations: Registrations, cookies: Cookies, policy: PointPolicy, log: Logger) {
    this.registrations = registrations
    this.cookies = cookies
    this.policy = policy
    this.log = log
  }

  /**
   * The response to one request frame from `sender`, or undefined for an
   * UNREGISTER (which has none). A REGISTER or DISCOVER over the sender's
   * rate is answered E_UNAVAILABLE, unread, after the pause; an UNREGISTER
   * counts too, and is served after it. Throws an
   * InvalidRendezvousMessageError for a frame that is no message or no
   * request: the stream is then aborted, as there is no response type to
   * refuse it with.
   */
  async respond (data: Uint8Array | Uint8ArrayList, sender: Sender, options: AbortOptions = {}): Promise<Message | undefined> {
    const message = decodeMessage(data)

    switch (message.type) {
      case MessageType.REGISTER:
        if (!await sender.admit(options)) return registerResponse(ResponseStatus.E_UNAVAILABLE, TOO_MANY_REQUESTS)
        return this.guard(async () => this.register(message.register ?? { ns: '', signedPeerRecord: new Uint8Array(0), ttl: 0n }, sender, options), registerResponse, options)
      case MessageType.DISCOVER:
        if (!await sender.admit(options)) return discoverResponse(ResponseStatus.E_UNAVAILABLE, TOO_MANY_REQUESTS)
        return this.guard(async () => this.discover(message.discover ?? { ns: '', limit: 0n, cookie: new Uint8Array(0) }), discoverResponse, options)
      case MessageType.UNREGISTER:
        // counted, or UNREGISTERs (no response to wait for) could be sent as fast as the point decodes them; but
        // served over the rate too, after the pause: it frees a slot, and a client leaving its rooms should not be refused
        await sender.admit(options)
        this.unregister(message.unregister ?? { ns: '' }, sender.peer)
        return undefined
      default:
        throw new InvalidRendezvousMessageError(`${message.type} is no request`)
    }
  }

  private async register (request: Message.Register, sender: Sender, options: AbortOptions): Promise<Message> {
    const problem = namespaceProblem(request.ns)

    if (problem != null) {
      return registerResponse(ResponseStatus.E_INVALID_NAMESPACE, problem)
    }

    const { minTtl, maxTtl, defaultTtl } = this.policy
    // 0: not given (protons reads an absent field as 0)
    const ttl = request.ttl === 0n ? defaultTtl : request.ttl

    if (ttl < minTtl || ttl > maxTtl) {
      return registerResponse(ResponseStatus.E_INVALID_TTL, `ttl outside [${minTtl}, ${maxTtl}] seconds`)
    }

    try {
      // signed by the sender (checked before the signature), and naming its signer: so naming the sender
      await openPeerRecord(request.signedPeerRecord, { ...options, signer: sender.peer })
    } catch (err) {
      if (err instanceof InvalidSignedPeerRecordError) {
        return registerResponse(ResponseStatus.E_INVALID_SIGNED_PEER_RECORD, err.statusText)
      }

      throw err
    }

    // its connection closed while the record was checked: its registrations were dropped, and this one would outlive them
    if (!sender.connected()) {
      return registerResponse(ResponseStatus.E_UNAVAILABLE, 'connection closed')
    }

    // a copy: the decoded bytes are a view of the whole request frame
    const refusal = this.registrations.add(request.ns, sender.peer.toString(), request.signedPeerRecord.slice(), Number(ttl), sender.address)

    if (refusal != null) {
      return registerResponse(...REFUSALS[refusal])
    }

    return registerResponse(ResponseStatus.OK, '', Number(ttl))
  }

  private discover (request: Message.Discover): Message {
    // a DISCOVER without a namespace asks for every registration (the spec allows it): refused, or
    // anyone could list which peers share a room
    const problem = namespaceProblem(request.ns)

    if (problem != null) {
      return discoverResponse(ResponseStatus.E_INVALID_NAMESPACE, problem)
    }

    let after = 0

    if (request.cookie.byteLength > 0) {
      const position = this.cookies.open(request.ns, request.cookie)

      if (position == null) {
        return discoverResponse(ResponseStatus.E_INVALID_COOKIE, 'cookie not valid for this namespace')
      }

      after = position
    }

    const { defaultDiscoverLimit, maxDiscoverLimit, maxPageBytes } = this.policy
    const limit = request.limit === 0n ? defaultDiscoverLimit : Number(request.limit < BigInt(maxDiscoverLimit) ? request.limit : BigInt(maxDiscoverLimit))
    const page = this.registrations.page(request.ns, after, limit, maxPageBytes)
    const registrations = page.registrations.map(({ registration, ttl }) => ({ ns: registration.namespace, signedPeerRecord: registration.record, ttl: BigInt(ttl) }))
    return discoverResponse(ResponseStatus.OK, '', registrations, this.cookies.seal(request.ns, page.position))
  }

  private unregister (request: Message.Unregister, remote: PeerId): void {
    // no response, whatever happens: an invalid namespace holds no registration, and unregistering one not held is a no-op (spec)
    if (namespaceProblem(request.ns) == null) {
      this.registrations.remove(request.ns, remote.toString())
    }
  }

  /** Runs a request's handler; a failure of ours (not the request's) is E_INTERNAL_ERROR, an abort is rethrown */
  private async guard (handle: () => Promise<Message>, refuse: (status: Message.ResponseStatus, text: string) => Message, options: AbortOptions): Promise<Message> {
    try {
      return await handle()
    } catch (err) {
      options.signal?.throwIfAborted()
      this.log.error('rendezvous request failed - %e', err)
      return refuse(ResponseStatus.E_INTERNAL_ERROR, 'internal error')
    }
  }
}
