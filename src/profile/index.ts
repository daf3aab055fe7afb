/**
 * Profiles, a libp2p service: the name a securechat peer goes by, known as
 * soon as a connection to it opens rather than at its first message. When
 * identify reports a peer that speaks /securechat/profile/1.0.0 (and is not
 * one of our relays), the service opens a stream, reads the peer's signed
 * profile, checks it and dispatches `profile`; presence puts the nickname in
 * the peer book. Our own profile is sealed once at start and written to
 * whoever asks. The class is private (profile.ts); sealing and checking the
 * record are pure, in record.ts. See docs/PROTOCOL.md, "Profiles".
 */
import { ProfileService } from './profile.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { AbortOptions, ComponentLogger, Connection, Libp2pEvents, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

export interface ProfileEvents {
  /** a profile signed by `peer` passed every check (see docs/PROTOCOL.md) */
  'profile': CustomEvent<{ peer: PeerId, nickname: string }>
}

/** A remote peer's verified profile */
export interface RemoteProfile {
  peer: PeerId
  nickname: string
  /** when the peer made this profile, ms since the Unix epoch */
  seq: bigint
}

export interface Profile extends TypedEventTarget<ProfileEvents> {
  readonly protocol: string
  /**
   * Reads, checks and accepts the profile of `connection`'s remote peer,
   * dispatches `profile` and resolves with it. Rejects with the typed error
   * of the first check that failed (src/profile/errors.ts), a framing error
   * of libp2p, or a TimeoutError; the stream is then aborted and nothing is
   * dispatched. Run by the service itself after each identify of a peer
   * that speaks the protocol.
   */
  fetch(connection: Connection, options?: AbortOptions): Promise<RemoteProfile>
}

export interface ProfileComponents {
  peerId: PeerId
  privateKey: PrivateKey
  registrar: Registrar
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  relayKeeper: RelayKeeper
}

export interface ProfileInit {
  /**
   * The nickname our profile announces. Without one (or with one the
   * nickname rule refuses) no profile is served: the protocol is not
   * registered, so peers never ask.
   *
   * @default undefined
   */
  nickname?: string
  /** one whole exchange, either side, unless the caller passes a signal @default 5000 */
  timeout?: number
  /** largest profile envelope accepted, bytes @default 1024 */
  maxProfileBytes?: number
  /** concurrent inbound profile streams per connection @default 2 */
  maxInboundStreams?: number
  /** concurrent outbound profile streams per connection @default 2 */
  maxOutboundStreams?: number
  /** peers whose last accepted seq is remembered, oldest dropped first @default 1024 */
  maxPeers?: number
}

export function profile (init: ProfileInit = {}): (components: ProfileComponents) => Profile {
  return (components) => new ProfileService(components, init)
}
