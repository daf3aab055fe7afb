/**
 * The /securechat/1.0.0 handshake as pure functions: build our Hello, verify
 * theirs, derive the session keys. No I/O: the order of reads and writes on
 * the wire lives in chat.ts. See docs/PROTOCOL.md, "Handshake".
 */
import { generateEphemeralKeyPair, sharedSecret, X25519_KEY_LENGTH } from '../crypto/x25519.ts'
import { hkdfSha256, sha256 } from '../crypto/hkdf.ts'
import { encodeTranscript } from '../crypto/transcript.ts'
import { AES_KEY_LENGTH } from '../crypto/aead.ts'
import {
  EPHEMERAL_KEY_LENGTH, HELLO_VERSION, MAX_CLOCK_SKEW_MS, PROTOCOL_ID
} from './constants.ts'
import { nicknameProblem } from './nickname.ts'
import { InvalidHandshakeError, InvalidSignatureError, StaleHandshakeError, UnsupportedPeerKeyError } from './errors.ts'
import { Hello } from './pb/securechat.ts'
import type { EphemeralKeyPair } from '../crypto/x25519.ts'
import type { PeerId, PrivateKey, PublicKey } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export type Role = 'initiator' | 'responder'

/**
 * The protocol whose streams a handshake secures: its id starts every
 * signed Hello payload and names both HKDF infos, so that a Hello or a key
 * of one protocol (/securechat/1.0.0, /securechat/file/1.0.0) is worth
 * nothing on another. Default PROTOCOL_ID.
 */
function helloContext (protocol: string): string {
  return `${protocol} hello`
}

function directionInfo (protocol: string, direction: 'initiator->responder' | 'responder->initiator'): string {
  return `${protocol} ${direction}`
}

export interface HelloFields {
  /** @default PROTOCOL_ID */
  protocol?: string
  role: Role
  initiator: PeerId
  responder: PeerId
  ephemeralKey: Uint8Array
  nickname: string
  timestamp: bigint
}

/** The bytes a Hello's signature covers */
export function helloPayload (fields: HelloFields): Uint8Array {
  return encodeTranscript([
    helloContext(fields.protocol ?? PROTOCOL_ID),
    fields.role,
    fields.initiator.toMultihash().bytes,
    fields.responder.toMultihash().bytes,
    fields.ephemeralKey,
    fields.nickname,
    fields.timestamp
  ])
}

export interface LocalHello {
  hello: Hello
  payload: Uint8Array
  ephemeral: EphemeralKeyPair
}

export interface CreateHelloInit {
  /** @default PROTOCOL_ID */
  protocol?: string
  role: Role
  initiator: PeerId
  responder: PeerId
  privateKey: PrivateKey
  nickname: string
  now: number
}

export async function createHello (init: CreateHelloInit): Promise<LocalHello> {
  const problem = nicknameProblem(init.nickname)

  if (problem != null) {
    throw new TypeError(`nickname ${problem}`)
  }

  const ephemeral = generateEphemeralKeyPair()
  const timestamp = BigInt(Math.floor(init.now))
  const payload = helloPayload({
    protocol: init.protocol,
    role: init.role,
    initiator: init.initiator,
    responder: init.responder,
    ephemeralKey: ephemeral.publicKey,
    nickname: init.nickname,
    timestamp
  })
  const signature = await init.privateKey.sign(payload)

  return {
    hello: {
      version: HELLO_VERSION,
      ephemeralKey: new Uint8Array(ephemeral.publicKey),
      nickname: init.nickname,
      timestamp,
      signature: new Uint8Array(signature)
    },
    payload,
    ephemeral
  }
}

export interface VerifyHelloInit {
  /** @default PROTOCOL_ID */
  protocol?: string
  /** the role of the peer that sent this Hello */
  role: Role
  initiator: PeerId
  responder: PeerId
  /** the peer the connection is authenticated to (Noise) */
  remotePeer: PeerId
  now: number
  maxClockSkew?: number
}

/**
 * Decodes a received Hello. protons throws a RangeError or a plain Error on
 * bytes that are not a protobuf message (a length past the end, a bad
 * varint, an unknown wire type): a peer's malformed Hello is an
 * InvalidHandshakeError like any other, so that it is reported as one.
 */
export function decodeHello (bytes: Uint8Array | Uint8ArrayList): Hello {
  try {
    return Hello.decode(bytes)
  } catch (err) {
    throw new InvalidHandshakeError('handshake message malformed', { cause: err })
  }
}

function remotePublicKey (peer: PeerId): PublicKey {
  if (peer.publicKey == null || peer.type !== 'Ed25519') {
    throw new UnsupportedPeerKeyError()
  }

  return peer.publicKey
}


/**
 * Checks a received Hello against the connection's remote peer. Returns the
 * signed payload (for the key schedule) or throws a typed error naming the
 * failed stage.
 */
export async function verifyHello (hello: Hello, init: VerifyHelloInit): Promise<Uint8Array> {
  if (hello.version !== HELLO_VERSION) {
    throw new InvalidHandshakeError('handshake version unsupported')
  }

  if (hello.ephemeralKey.byteLength !== EPHEMERAL_KEY_LENGTH) {
    throw new InvalidHandshakeError('handshake ephemeral key has the wrong length')
  }

  if (nicknameProblem(hello.nickname) != null) {
    throw new InvalidHandshakeError('handshake nickname invalid')
  }

  if (hello.signature.byteLength === 0) {
    throw new InvalidHandshakeError('handshake signature missing')
  }

  const publicKey = remotePublicKey(init.remotePeer)
  const payload = helloPayload({
    protocol: init.protocol,
    role: init.role,
    initiator: init.initiator,
    responder: init.responder,
    ephemeralKey: hello.ephemeralKey,
    nickname: hello.nickname,
    timestamp: hello.timestamp
  })

  let valid = false

  try {
    valid = await publicKey.verify(payload, hello.signature)
  } catch {
    valid = false
  }

  if (!valid) {
    throw new InvalidSignatureError()
  }

  const skew = init.maxClockSkew ?? MAX_CLOCK_SKEW_MS

  if (hello.timestamp > BigInt(Number.MAX_SAFE_INTEGER) || Math.abs(Number(hello.timestamp) - init.now) > skew) {
    throw new StaleHandshakeError()
  }

  return payload
}

export interface SessionKeys {
  sendKey: Uint8Array
  recvKey: Uint8Array
}

/**
 * Key schedule: shared = X25519(our ephemeral, their ephemeral);
 * salt = SHA-256(lp(initiator payload) || lp(responder payload));
 * k_i2r = HKDF(shared, salt, "<protocol> initiator->responder");
 * k_r2i = HKDF(shared, salt, "<protocol> responder->initiator").
 */
export function deriveSessionKeys (role: Role, ephemeral: EphemeralKeyPair, remoteEphemeralKey: Uint8Array, initiatorPayload: Uint8Array, responderPayload: Uint8Array, protocol = PROTOCOL_ID): SessionKeys {
  if (remoteEphemeralKey.byteLength !== X25519_KEY_LENGTH) {
    throw new InvalidHandshakeError('handshake ephemeral key has the wrong length')
  }

  const secret = sharedSecret(ephemeral, remoteEphemeralKey)

  if (secret == null) {
    throw new InvalidHandshakeError('handshake key agreement failed')
  }

  const salt = sha256(encodeTranscript([initiatorPayload, responderPayload]))
  const i2r = hkdfSha256(secret, salt, directionInfo(protocol, 'initiator->responder'), AES_KEY_LENGTH)
  const r2i = hkdfSha256(secret, salt, directionInfo(protocol, 'responder->initiator'), AES_KEY_LENGTH)
  secret.fill(0)

  return role === 'initiator'
    ? { sendKey: i2r, recvKey: r2i }
    : { sendKey: r2i, recvKey: i2r }
}
