/**
 * Signed peer records (libp2p RFC 0002 envelope, RFC 0003 peer record),
 * pure: seal ours for a REGISTER, and open and check one, which the server
 * does for every REGISTER and the client for every registration a
 * DISCOVER returns. No I/O, no state.
 *
 * Only Ed25519 signers: securechat identities are Ed25519, and an RSA key
 * costs what its owner likes to verify (a 3072-bit one with a 3064-bit
 * public exponent, which libp2p and Noise accept, ~11.5 ms a verification,
 * synchronous: a security review's rsa-verify-cost.ts). Every check that
 * costs nothing comes before the signature's.
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { MAX_SIGNED_PEER_RECORD_BYTES } from './constants.ts'
import { InvalidSignedPeerRecordError } from './errors.ts'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What a signed peer record says, once every check passed */
export interface CheckedPeerRecord {
  peerId: PeerId
  multiaddrs: Multiaddr[]
}

/** The check that failed is the statusText the server answers with, and part of the message */
function refused (check: string, cause?: unknown): InvalidSignedPeerRecordError {
  return new InvalidSignedPeerRecordError(check, `signed peer record refused: ${check}`, cause === undefined ? undefined : { cause })
}

/** Our peer record listing `multiaddrs` (without /p2p/<us>), signed by our identity key */
export async function sealPeerRecord (privateKey: PrivateKey, multiaddrs: Multiaddr[], options: AbortOptions = {}): Promise<Uint8Array> {
  const record = new PeerRecord({ peerId: peerIdFromPublicKey(privateKey.publicKey), multiaddrs })
  const envelope = await RecordEnvelope.seal(record, privateKey, options)
  return envelope.marshal()
}

export interface OpenPeerRecordOptions extends AbortOptions {
  /** the peer that must have signed it (the server: the sender), checked before the signature */
  signer?: PeerId
}

/**
 * Opens a signed peer record and checks, in this order: its size; it
 * parses as an envelope with a usable key; that key is Ed25519; it is
 * `options.signer`'s, if given; its payload type is the libp2p peer
 * record's; the signature verifies for the peer record domain; the
 * payload parses as a peer record (addresses included); the record names
 * the peer whose key signed it. The first failure throws an
 * InvalidSignedPeerRecordError saying which check failed (its statusText),
 * never what the record held.
 */
export async function openPeerRecord (data: Uint8Array, options: OpenPeerRecordOptions = {}): Promise<CheckedPeerRecord> {
  if (data.byteLength === 0) {
    throw refused('no signed peer record')
  }

  if (data.byteLength > MAX_SIGNED_PEER_RECORD_BYTES) {
    throw refused(`signed peer record longer than ${MAX_SIGNED_PEER_RECORD_BYTES} bytes`)
  }

  let envelope: RecordEnvelope
  let signer: PeerId

  try {
    envelope = RecordEnvelope.createFromProtobuf(data)
    signer = peerIdFromPublicKey(envelope.publicKey)
  } catch (err) {
    throw refused('envelope malformed', err)
  }

  if (envelope.publicKey.type !== 'Ed25519') {
    throw refused('signer key not Ed25519')
  }

  if (options.signer != null && !signer.equals(options.signer)) {
    throw refused('peer record not signed by the sender')
  }

  if (!uint8ArrayEquals(envelope.payloadType, PeerRecord.CODEC)) {
    throw refused('envelope carries no peer record')
  }

  let valid: boolean

  try {
    valid = await envelope.validate(PeerRecord.DOMAIN, options)
  } catch (err) {
    options.signal?.throwIfAborted()
    throw refused('signature verification failed', err)
  }

  if (!valid) {
    throw refused('signature verification failed')
  }

  let record: PeerRecord

  try {
    record = PeerRecord.createFromProtobuf(envelope.payload)
  } catch (err) {
    throw refused('peer record malformed', err)
  }

  if (!record.peerId.equals(signer)) {
    throw refused('peer record not signed by the peer it names')
  }

  return { peerId: record.peerId, multiaddrs: record.multiaddrs }
}
