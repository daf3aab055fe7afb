/**
 * The order of reads and writes of the /securechat/1.0.0 handshake on one
 * stream, and frame I/O. The crypto is in handshake.ts and session.ts.
 *
 * Both sides write their Hello at once and then read the other's: one round
 * trip. A failure aborts the stream with the typed error and rethrows.
 */
import { pbStream } from '@libp2p/utils'
import { Frame, Hello } from './pb/securechat.ts'
import { createHello, decodeHello, deriveSessionKeys, verifyHello } from './handshake.ts'
import { decodeFrame, SessionCipher } from './session.ts'
import { lengthDecoder } from './framing.ts'
import { MAX_FRAME_BYTES, MAX_READ_BUFFER_BYTES } from './constants.ts'
import type { ProtobufStream } from '@libp2p/utils'
import type { Role } from './handshake.ts'
import type { AbortOptions, PeerId, PrivateKey, Stream } from '@libp2p/interface'

export interface HandshakeInit {
  /** the protocol the stream speaks, bound into both Hellos and the keys @default PROTOCOL_ID */
  protocol?: string
  role: Role
  localPeer: PeerId
  remotePeer: PeerId
  privateKey: PrivateKey
  nickname: string
  maxClockSkew?: number
  maxFrameBytes?: number
  /** bytes read ahead and held before a read takes them: past it the stream is aborted @default MAX_READ_BUFFER_BYTES */
  maxReadBufferBytes?: number
  /** for tests */
  maxFrames?: bigint
  now?: () => number
}

export interface SecureSession {
  cipher: SessionCipher
  /** the nickname the remote peer announced, signed by its identity key */
  remoteNickname: string
  pb: ProtobufStream<Stream>
}

export async function performHandshake (stream: Stream, init: HandshakeInit, options: AbortOptions): Promise<SecureSession> {
  // pbStream reads eagerly into its own buffer: that buffer is the bound on what a peer can make us hold,
  // and lengthDecoder the bound on a length prefix (framing.ts)
  const maxDataLength = init.maxFrameBytes ?? MAX_FRAME_BYTES
  const pb = pbStream(stream, { maxDataLength, maxBufferSize: init.maxReadBufferBytes ?? MAX_READ_BUFFER_BYTES, lengthDecoder: lengthDecoder(maxDataLength) })
  const now = init.now ?? Date.now
  const initiator = init.role === 'initiator' ? init.localPeer : init.remotePeer
  const responder = init.role === 'initiator' ? init.remotePeer : init.localPeer
  const remoteRole: Role = init.role === 'initiator' ? 'responder' : 'initiator'

  const local = await createHello({
    protocol: init.protocol,
    role: init.role,
    initiator,
    responder,
    privateKey: init.privateKey,
    nickname: init.nickname,
    now: now()
  })

  await pb.write(local.hello, Hello, options)
  // decodeHello, decodeFrame: a malformed message is our typed error, not protons' RangeError
  const remote = await pb.read({ decode: decodeHello }, options)
  const remotePayload = await verifyHello(remote, {
    protocol: init.protocol,
    role: remoteRole,
    initiator,
    responder,
    remotePeer: init.remotePeer,
    now: now(),
    maxClockSkew: init.maxClockSkew
  })

  const keys = init.role === 'initiator'
    ? deriveSessionKeys('initiator', local.ephemeral, remote.ephemeralKey, local.payload, remotePayload, init.protocol)
    : deriveSessionKeys('responder', local.ephemeral, remote.ephemeralKey, remotePayload, local.payload, init.protocol)

  return {
    cipher: new SessionCipher({ ...keys, role: init.role, maxFrames: init.maxFrames }),
    remoteNickname: remote.nickname,
    pb
  }
}

export async function writeFrame (session: SecureSession, plaintext: Uint8Array, options: AbortOptions): Promise<void> {
  await session.pb.write(session.cipher.seal(plaintext), Frame, options)
}

export async function readFrame (session: SecureSession, options: AbortOptions): Promise<Uint8Array> {
  const frame = await session.pb.read({ decode: decodeFrame }, options)
  return session.cipher.open(frame)
}
