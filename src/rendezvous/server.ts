/**
 * The rendezvous server service (public face: index.ts): the order of
 * reads and writes of /rendezvous/1.0.0 on the point's side, and the sweep.
 *
 * A stream carries one request or several in turn (go-libp2p-rendezvous
 * clients keep one open; ours open one per request): each is read as one
 * length-prefixed Message within the timeout, answered (an UNREGISTER is
 * not), and the next awaited until the client closes its side, each wait
 * within the timeout: a stream left idle is aborted. A frame that is no
 * request aborts the stream.
 *
 * A peer's registrations go when its last connection to the point does
 * ('peer:disconnect'): a peer not connected to the relay cannot be reached
 * through it anyway, and throw-away identities cannot fill the point and
 * leave. Its requests are rate-limited per connection and per address
 * (quota.ts); one over the rate waits overRatePause before it is refused
 * (or, an UNREGISTER, served).
 */
import { setTimeout as delay } from 'node:timers/promises'
import { serviceCapabilities } from '@libp2p/interface'
import { lpStream, repeatingTask } from '@libp2p/utils'
import { lengthDecoder } from '../protocol/framing.ts'
import { raceSignal, signalWithTimeout } from '../util/abort.ts'
import { realClock } from '../util/clock.ts'
import {
  ADDRESS_REQUEST_BURST, ADDRESS_REQUEST_RATE, DEFAULT_DISCOVER_LIMIT, DEFAULT_TTL_S, MAX_DISCOVER_LIMIT, MAX_INBOUND_STREAMS,
  MAX_OUTBOUND_STREAMS, MAX_REGISTRATIONS, MAX_REGISTRATIONS_PER_ADDRESS, MAX_REGISTRATIONS_PER_NAMESPACE, MAX_REGISTRATIONS_PER_PEER,
  MAX_REQUEST_BUFFER_BYTES, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_TTL_S, MIN_TTL_S, OVER_RATE_PAUSE_MS, RENDEZVOUS_PROTOCOL_ID,
  RENDEZVOUS_TIMEOUT_MS, REQUEST_BURST, REQUEST_RATE, SPEC_MAX_TTL_S, SWEEP_INTERVAL_MS
} from './constants.ts'
import { Cookies } from './cookie.ts'
import { Message } from './pb/rendezvous.ts'
import { RendezvousPoint } from './point.ts'
import { RequestLimiter, senderAddress } from './quota.ts'
import { Registrations } from './registrations.ts'
import { asError } from './wire.ts'
import type { RendezvousServer, RendezvousServerComponents, RendezvousServerInit } from './index.ts'
import type { PointPolicy, Sender } from './point.ts'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'

/** Room in a response frame for what is not a registration: type, the response's tag and length, status, the cookie */
const RESPONSE_HEADROOM = 64

function positiveInteger (name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`rendezvous server ${name} must be a positive integer, got ${value}`)
  }

  return value
}

function positiveNumber (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`rendezvous server ${name} must be a positive number, got ${value}`)
  }

  return value
}

export class RendezvousServerService implements RendezvousServer, Startable {
  readonly protocol = RENDEZVOUS_PROTOCOL_ID
  readonly [Symbol.toStringTag] = 'securechat:rendezvous-server'
  readonly [serviceCapabilities]: string[] = ['securechat:rendezvous-server']

  private readonly components: RendezvousServerComponents
  private readonly log: Logger
  private readonly timeout: number
  private readonly maxInboundStreams: number
  private readonly registrations: Registrations
  private readonly limiter: RequestLimiter<Connection>
  private readonly overRatePause: number
  private readonly policy: PointPolicy
  private readonly sweeper: RepeatingTask
  private point?: RendezvousPoint
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (components: RendezvousServerComponents, init: RendezvousServerInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('securechat:rendezvous-server')
    this.timeout = positiveInteger('timeout', init.timeout ?? RENDEZVOUS_TIMEOUT_MS)
    this.maxInboundStreams = positiveInteger('maxInboundStreams', init.maxInboundStreams ?? MAX_INBOUND_STREAMS)
    const minTtl = positiveInteger('minTtl', init.minTtl ?? MIN_TTL_S)
    const maxTtl = positiveInteger('maxTtl', init.maxTtl ?? MAX_TTL_S)
    // not given: the spec's default, within this server's bounds
    const defaultTtl = positiveInteger('defaultTtl', init.defaultTtl ?? Math.min(Math.max(DEFAULT_TTL_S, minTtl), maxTtl))

    // the spec's bound; it also keeps every TTL we write under 2^31, clear of protons-runtime 7.1.2's broken
    // uint64 writer for [2^31, 2^32) (see src/protocol/envelope.ts)
    if (maxTtl > SPEC_MAX_TTL_S || minTtl > maxTtl || defaultTtl < minTtl || defaultTtl > maxTtl) {
      throw new TypeError(`rendezvous server TTLs must satisfy minTtl <= defaultTtl <= maxTtl <= ${SPEC_MAX_TTL_S}`)
    }

    const maxDiscoverLimit = positiveInteger('maxDiscoverLimit', init.maxDiscoverLimit ?? MAX_DISCOVER_LIMIT)
    const defaultDiscoverLimit = positiveInteger('defaultDiscoverLimit', init.defaultDiscoverLimit ?? Math.min(DEFAULT_DISCOVER_LIMIT, maxDiscoverLimit))

    if (defaultDiscoverLimit > maxDiscoverLimit) {
      throw new TypeError('rendezvous server defaultDiscoverLimit must be at most maxDiscoverLimit')
    }

    this.policy = { minTtl, maxTtl, defaultTtl, defaultDiscoverLimit, maxDiscoverLimit, maxPageBytes: MAX_RESPONSE_BYTES - RESPONSE_HEADROOM }
    const clock = init.clock ?? realClock
    this.registrations = new Registrations({
      perPeer: positiveInteger('maxRegistrationsPerPeer', init.maxRegistrationsPerPeer ?? MAX_REGISTRATIONS_PER_PEER),
      perAddress: positiveInteger('maxRegistrationsPerAddress', init.maxRegistrationsPerAddress ?? MAX_REGISTRATIONS_PER_ADDRESS),
      perNamespace: positiveInteger('maxRegistrationsPerNamespace', init.maxRegistrationsPerNamespace ?? MAX_REGISTRATIONS_PER_NAMESPACE),
      total: positiveInteger('maxRegistrations', init.maxRegistrations ?? MAX_REGISTRATIONS)
    }, clock)
    this.limiter = new RequestLimiter({
      burst: positiveInteger('requestBurst', init.requestBurst ?? REQUEST_BURST),
      rate: positiveNumber('requestRate', init.requestRate ?? REQUEST_RATE)
    }, {
      burst: positiveInteger('addressRequestBurst', init.addressRequestBurst ?? ADDRESS_REQUEST_BURST),
      rate: positiveNumber('addressRequestRate', init.addressRequestRate ?? ADDRESS_REQUEST_RATE)
    }, clock)
    // not given: within a short timeout too (tests use them)
    this.overRatePause = init.overRatePause ?? Math.min(OVER_RATE_PAUSE_MS, Math.floor(this.timeout / 2))

    if (!Number.isSafeInteger(this.overRatePause) || this.overRatePause < 0 || this.overRatePause >= this.timeout) {
      throw new TypeError(`rendezvous server overRatePause must be an integer in [0, timeout), got ${this.overRatePause}`)
    }

    this.sweeper = repeatingTask(() => {
      const swept = this.registrations.sweep()
      if (swept > 0) this.log('swept %d expired registrations', swept)
      this.limiter.prune()
    }, positiveInteger('sweepInterval', init.sweepInterval ?? SWEEP_INTERVAL_MS))
  }

  async start (): Promise<void> {
    // a new cookie key each start: cookies from before do not verify, so none skips what was registered since
    this.point = new RendezvousPoint(this.registrations, new Cookies(), this.policy, this.log)
    await this.components.registrar.handle(this.protocol, this.handleStream, {
      maxInboundStreams: this.maxInboundStreams,
      // the handler's limits are the outbound ones too, should this node also run the client
      maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      // clients connect to the relay directly; a relayed client has a relay of its own to register with
      runOnLimitedConnection: false
    })
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.sweeper.start()
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.sweeper.stop()
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    await this.components.registrar.unhandle(this.protocol)

    for (const stream of this.inbound) {
      stream.abort(new Error('rendezvous server stopping'))
    }

    this.inbound.clear()
    // in memory only: a restarted server starts empty, and clients register again at their next refresh
    this.registrations.clear()
    this.limiter.clear()
    this.point = undefined
  }

  isStarted (): boolean {
    return this.started
  }

  registrationCount (): number {
    return this.registrations.size
  }

  /** its last connection to us closed: it can no longer be reached through us, so it is no longer registered */
  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const dropped = this.registrations.removePeer(evt.detail.toString())
    if (dropped > 0) this.log('%p disconnected: dropped its %d registrations', evt.detail, dropped)
  }

  private readonly handleStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const log = stream.log.newScope('rendezvous')
    const remote = connection.remotePeer
    const point = this.point

    if (point == null) {
      stream.abort(new Error('rendezvous server not started'))
      return
    }

    const address = senderAddress(connection.remoteAddr)
    const sender: Sender = {
      peer: remote,
      ...(address == null ? {} : { address }),
      admit: async (options) => {
        if (this.limiter.admit(connection, address)) return true
        // the stream is not read meanwhile: a client flooding it gets one refusal per pause
        await delay(this.overRatePause, undefined, { signal: options.signal, ref: false })
        return false
      },
      connected: () => connection.status === 'open'
    }

    this.inbound.add(stream)
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES, maxBufferSize: MAX_REQUEST_BUFFER_BYTES, lengthDecoder: lengthDecoder(MAX_REQUEST_BYTES) })

    try {
      for (;;) {
        const reading = signalWithTimeout(this.timeout)
        let request

        try {
          request = await raceSignal(lp.read({ signal: reading }), reading, 'no rendezvous request in time')
        } catch (err) {
          // the client closed its side: after its last request, or (the same to us) in the middle of one
          if ((err as Error).name === 'UnexpectedEOFError') break
          throw err
        }

        // answering has a timeout of its own, however long the request took to come
        const signal = signalWithTimeout(this.timeout)
        const response = await point.respond(request, sender, { signal })

        if (response != null) {
          await lp.write(Message.encode(response), { signal })
          log('%s to %p: %s', response.type, remote, response.registerResponse?.status ?? response.discoverResponse?.status)
        }
      }

      await stream.close({ signal: signalWithTimeout(this.timeout) })
    } catch (err) {
      const error = asError(err)
      log.error('rendezvous stream from %p failed - %e', remote, error)
      stream.abort(error)
    } finally {
      this.inbound.delete(stream)
    }
  }
}
