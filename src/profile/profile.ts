/**
 * The profile service (public face: index.ts). The order of reads and writes
 * of /securechat/profile/1.0.0, and the one piece of state the record checks
 * need: the last seq accepted per peer in this run.
 *
 * One stream carries one profile: the opener writes nothing, the responder
 * writes its signed profile as one length-prefixed frame and closes; the
 * opener reads it, checks it and closes.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { lengthDecoder } from '../protocol/framing.ts'
import { nicknameProblem } from '../protocol/nickname.ts'
import { raceSignal, signalWithTimeout } from '../util/abort.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import {
  MAX_PROFILE_BYTES, MAX_PROFILE_INBOUND_STREAMS, MAX_PROFILE_OUTBOUND_STREAMS, MAX_PROFILE_PEERS,
  MAX_PROFILE_READ_BUFFER_BYTES, PROFILE_PROTOCOL_ID, PROFILE_TIMEOUT_MS
} from './constants.ts'
import { StaleProfileError } from './errors.ts'
import { openProfile, sealProfile } from './record.ts'
import type { Profile, ProfileComponents, ProfileEvents, ProfileInit, RemoteProfile } from './index.ts'
import type { AbortOptions, Connection, IdentifyResult, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

export class ProfileService extends TypedEventEmitter<ProfileEvents> implements Profile, Startable {
  readonly protocol = PROFILE_PROTOCOL_ID
  readonly [Symbol.toStringTag] = 'securechat:profile'
  readonly [serviceCapabilities]: string[] = ['securechat:profile']
  // identify tells us which peers speak the protocol; the keeper, which peers are our relays
  readonly [serviceDependencies]: string[] = ['@libp2p/identify', 'securechat:relay-keeper']

  private readonly components: ProfileComponents
  private readonly log: Logger
  private readonly nickname?: string
  private readonly timeout: number
  private readonly maxProfileBytes: number
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly maxPeers: number
  private readonly tasks: BackgroundTasks
  /** our signed profile, sealed at start; undefined when we serve none */
  private envelope?: Uint8Array
  /** the last seq accepted per peer, oldest first */
  private readonly seqs = new Map<string, bigint>()
  /** peers with a fetch running, and the connection to fetch again on once it is done */
  private readonly fetching = new Map<string, { again?: Connection }>()
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (components: ProfileComponents, init: ProfileInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:profile')
    this.nickname = init.nickname
    this.timeout = init.timeout ?? PROFILE_TIMEOUT_MS
    this.maxProfileBytes = init.maxProfileBytes ?? MAX_PROFILE_BYTES
    this.maxInboundStreams = init.maxInboundStreams ?? MAX_PROFILE_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_PROFILE_OUTBOUND_STREAMS
    this.maxPeers = init.maxPeers ?? MAX_PROFILE_PEERS
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.tasks.start()
    const { nickname } = this
    const problem = nickname == null ? 'not set' : nicknameProblem(nickname)

    if (nickname != null && problem == null) {
      // seq: the profile's time. A later run (or a later nickname) gets a larger one
      this.envelope = await sealProfile({ nickname, seq: BigInt(Date.now()) }, this.components.privateKey)
      await this.components.registrar.handle(this.protocol, this.handleStream, {
        maxInboundStreams: this.maxInboundStreams,
        maxOutboundStreams: this.maxOutboundStreams,
        runOnLimitedConnection: true
      })
    } else {
      this.log('serving no profile: nickname %s', problem)
    }

    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('peer:identify', this.onIdentify)

    if (this.envelope != null) {
      await this.components.registrar.unhandle(this.protocol)
      this.envelope = undefined
    }

    for (const stream of this.inbound) {
      stream.abort(new Error('node stopping'))
    }

    this.inbound.clear()
    await this.tasks.stop()
    this.fetching.clear()
    this.seqs.clear()
  }

  isStarted (): boolean {
    return this.started
  }

  async fetch (connection: Connection, options: AbortOptions = {}): Promise<RemoteProfile> {
    const peer = connection.remotePeer
    const signal = options.signal ?? signalWithTimeout(this.timeout)
    let stream: Stream | undefined

    try {
      stream = await connection.newStream(this.protocol, { runOnLimitedConnection: true, signal })
      const log = stream.log.newScope('profile')
      const lp = lpStream(stream, { maxDataLength: this.maxProfileBytes, maxBufferSize: MAX_PROFILE_READ_BUFFER_BYTES, lengthDecoder: lengthDecoder(this.maxProfileBytes) })
      const data = await raceSignal(lp.read({ signal }), signal, 'no profile from the peer in time')
      const fields = await openProfile(data, peer, { signal })
      this.accept(peer, fields.seq)
      log('accepted the profile of %p, seq %d', peer, fields.seq)
      this.safeDispatchEvent('profile', { detail: { peer, nickname: fields.nickname } })

      // the profile is good whatever happens to the close
      const s = stream
      await s.close({ signal }).catch((err: Error) => { s.abort(err) })
      return { peer, ...fields }
    } catch (err) {
      this.log.error('profile of %p not accepted - %e', peer, err)
      stream?.abort(err as Error)
      throw err
    }
  }

  /** identify ran (on a new connection, or the peer pushed a change): fetch the profile of a securechat peer */
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, connection } = evt.detail

    // only securechat nodes, never ourselves or our relays: nobody else gets a stream opened to it
    if (!protocols.includes(this.protocol) || peerId.equals(this.components.peerId) || this.components.relayKeeper.isRelay(peerId)) {
      return
    }

    const key = peerId.toString()
    const running = this.fetching.get(key)

    if (running != null) {
      // one fetch per peer at a time; a push during it is fetched once it is done
      running.again = connection
      return
    }

    this.tasks.run('fetch a profile', async (signal) => {
      const state: { again?: Connection } = {}
      this.fetching.set(key, state)

      try {
        let next: Connection | undefined = connection

        while (next != null && !signal.aborted) {
          state.again = undefined

          if (next.status === 'open') {
            // fetch() logged the failure; a later identify tries again
            await this.fetch(next, { signal: signalWithTimeout(this.timeout, signal) }).catch(() => {})
          }

          next = state.again
        }
      } finally {
        this.fetching.delete(key)
      }
    })
  }

  /** refuses a seq older than the last accepted from `peer`, else remembers it */
  private accept (peer: PeerId, seq: bigint): void {
    const key = peer.toString()
    const last = this.seqs.get(key)

    if (last != null && seq < last) {
      throw new StaleProfileError()
    }

    this.seqs.delete(key)
    this.seqs.set(key, seq)

    if (this.seqs.size > this.maxPeers) {
      const oldest = this.seqs.keys().next().value
      if (oldest != null) this.seqs.delete(oldest)
    }
  }

  private readonly handleStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const log = stream.log.newScope('profile')
    const signal = signalWithTimeout(this.timeout)
    this.inbound.add(stream)

    try {
      if (this.envelope == null) {
        throw new Error('no profile to serve')
      }

      const lp = lpStream(stream, { maxDataLength: this.maxProfileBytes })
      await lp.write(this.envelope, { signal })
      await stream.close({ signal })
      log('sent our profile to %p', connection.remotePeer)
    } catch (err) {
      log.error('sending our profile to %p failed - %e', connection.remotePeer, err)
      stream.abort(err as Error)
    } finally {
      this.inbound.delete(stream)
    }
  }
}
