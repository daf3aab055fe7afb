/**
 * The signed profile record, pure: seal our profile into a libp2p signed
 * envelope (RFC 0002), and open and check a remote's. No I/O, no state: the
 * order of reads and writes is in profile.ts, and so is the seq rule (it
 * needs the last seq accepted from the peer). See docs/PROTOCOL.md,
 * "Profiles".
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { nicknameProblem } from '../protocol/nickname.ts'
import { PROFILE_CODEC, PROFILE_DOMAIN } from './constants.ts'
import { InvalidProfileError, InvalidProfileSignatureError, UnexpectedProfileSignerError } from './errors.ts'
import { Profile } from './pb/profile.ts'
import type { AbortOptions, PeerId, PrivateKey, Record } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** What a profile says, once its envelope is verified */
export interface ProfileFields {
  nickname: string
  /** when the signer made it, ms since the Unix epoch */
  seq: bigint
}

/** Our record type, for RecordEnvelope.seal */
export class ProfileRecord implements Record {
  readonly domain = PROFILE_DOMAIN
  readonly codec = PROFILE_CODEC
  readonly nickname: string
  readonly seq: bigint

  constructor (fields: ProfileFields) {
    this.nickname = fields.nickname
    this.seq = fields.seq
  }

  marshal (): Uint8Array {
    return Profile.encode({ nickname: this.nickname, seq: this.seq })
  }

  equals (other: Record): boolean {
    return other.domain === this.domain && uint8ArrayEquals(other.codec, this.codec) && uint8ArrayEquals(other.marshal(), this.marshal())
  }
}

/** Our profile, signed by our identity key: the bytes the responder writes */
export async function sealProfile (fields: ProfileFields, privateKey: PrivateKey, options: AbortOptions = {}): Promise<Uint8Array> {
  const problem = nicknameProblem(fields.nickname)

  if (problem != null) {
    throw new TypeError(`profile nickname ${problem}`)
  }

  const envelope = await RecordEnvelope.seal(new ProfileRecord(fields), privateKey, options)
  return envelope.marshal()
}

/**
 * Opens a profile envelope received from `remotePeer` (the connection's
 * authenticated peer) and checks, in this order: it parses; it was signed
 * by `remotePeer`'s key; its payload type is ours; the signature verifies
 * for the profile domain; the payload parses; the nickname is valid. The
 * first failure throws its typed error.
 */
export async function openProfile (data: Uint8Array | Uint8ArrayList, remotePeer: PeerId, options: AbortOptions = {}): Promise<ProfileFields> {
  let envelope: RecordEnvelope

  try {
    envelope = RecordEnvelope.createFromProtobuf(data)
  } catch (err) {
    throw new InvalidProfileError('profile envelope malformed', { cause: err })
  }

  let signer: PeerId

  try {
    signer = peerIdFromPublicKey(envelope.publicKey)
  } catch (err) {
    throw new InvalidProfileError('profile envelope key unusable', { cause: err })
  }

  if (!signer.equals(remotePeer)) {
    throw new UnexpectedProfileSignerError()
  }

  if (!uint8ArrayEquals(envelope.payloadType, PROFILE_CODEC)) {
    throw new InvalidProfileError('profile envelope carries another record type')
  }

  let valid: boolean

  try {
    valid = await envelope.validate(PROFILE_DOMAIN, options)
  } catch (err) {
    options.signal?.throwIfAborted()
    throw new InvalidProfileSignatureError(undefined, { cause: err })
  }

  if (!valid) {
    throw new InvalidProfileSignatureError()
  }

  let profile: Profile

  try {
    profile = Profile.decode(envelope.payload)
  } catch (err) {
    throw new InvalidProfileError('profile record malformed', { cause: err })
  }

  const problem = nicknameProblem(profile.nickname)

  if (problem != null) {
    throw new InvalidProfileError(`profile nickname ${problem}`)
  }

  return { nickname: profile.nickname, seq: profile.seq }
}
