/**
 * The pieces of a hostile /securechat/1.0.0 peer, shared by the tests that
 * attack a node: a plain libp2p node (TCP, Noise, Yamux, ping; no securechat
 * code) that dials from a source address of its choice, Hellos it signs with any
 * key it likes, the initiator's real handshake (so that it holds the session
 * keys and can seal, replay and skip frames), bytes behind a lying or
 * oversized length prefix, and a wait for the node to end a stream.
 *
 * The same attacks as test/protocol/hostile.test.ts, which has its own
 * copies of framed(), the Hello and handshake helpers, the byte arbitraries
 * and refusable(): that file can import them from here instead.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import fc from 'fast-check'
import { createLibp2p } from 'libp2p'
import { MAX_FRAME_BYTES } from '../../src/protocol/constants.ts'
import { encodeEnvelope, newMessageId } from '../../src/protocol/envelope.ts'
import { createHello } from '../../src/protocol/handshake.ts'
import { Frame, Hello } from '../../src/protocol/pb/securechat.ts'
import { performHandshake } from '../../src/protocol/wire.ts'
import { concat, varint } from '../fuzz/mutations.ts'
import { newPeer } from '../helpers/peers.ts'
import type { SecureSession } from '../../src/protocol/wire.ts'
import type { TestPeer } from '../helpers/peers.ts'
import type { Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

/** A hostile peer: a bare libp2p node and the identity it dials with */
export interface Attacker {
  node: Libp2p
  peer: TestPeer
}

export interface AttackerInit {
  /** the local IPv4 address its TCP dials bind to, so that one host can look like several (any of 127.0.0.0/8 on loopback) */
  source?: string
  /** yamux streams it may open per connection; libp2p's default (1,000) is lower than a stream flood needs */
  maxOutboundStreams?: number
}

/** A new identity on a bare libp2p node that only dials; the caller stops it */
export async function newAttacker (init: AttackerInit = {}): Promise<Attacker> {
  const peer = await newPeer()
  // net.connect takes a localAddress; @libp2p/tcp passes dialOpts through to it (as in test/net/fixtures/flooder.ts)
  const dialOpts: TCPSocketOptions & { localAddress?: string } = init.source != null ? { localAddress: init.source } : {}
  const node = await createLibp2p({
    privateKey: peer.key,
    addresses: { listen: [] },
    transports: [tcp({ dialOpts })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxOutboundStreams: init.maxOutboundStreams })],
    // answers the node's connection monitor, which closes a connection whose peer does not answer its pings;
    // and opens two ping streams per connection, the node's inbound limit
    services: { ping: ping({ maxOutboundStreams: 2 }) }
  })
  return { node, peer }
}

/** `bytes` behind a varint length prefix, as lpStream writes it */
export function framed (bytes: Uint8Array): Uint8Array {
  return concat(varint(bytes.byteLength), bytes)
}

export interface HelloInit {
  /** the peer the connection is authenticated as: the Hello claims to open its session */
  from: TestPeer
  /** the node attacked (the responder) */
  to: PeerId
  /** the key that signs; `from.key` for an honest signature */
  signer?: PrivateKey
  /** the responder the signed transcript names; `to` for an honest one */
  responder?: PeerId
  nickname?: string
  now?: number
}

/** An initiator's Hello, encoded: honest by default, signed by another key or for another responder if asked */
export async function hello (init: HelloInit): Promise<Uint8Array> {
  const local = await createHello({
    role: 'initiator',
    initiator: init.from.id,
    responder: init.responder ?? init.to,
    privateKey: init.signer ?? init.from.key,
    nickname: init.nickname ?? 'mallory',
    now: init.now ?? Date.now()
  })
  return Hello.encode(local.hello)
}

/** The initiator's side of a real handshake on `stream`: the attacker then holds the session keys */
export async function handshake (stream: Stream, from: TestPeer, to: PeerId, signal: AbortSignal): Promise<SecureSession> {
  return performHandshake(stream, { role: 'initiator', localPeer: from.id, remotePeer: to, privateKey: from.key, nickname: 'mallory' }, { signal })
}

/** The next well-formed chat frame of `session`, encoded (its counter advances); `framed()` it to send it */
export function chatFrame (session: SecureSession, text = 'hi'): Uint8Array {
  return Frame.encode(session.cipher.seal(encodeEnvelope({ type: 'chat', id: newMessageId(), timestamp: Date.now(), text })))
}

/** A varint length over MAX_FRAME_BYTES, up to 2^53, and the (short) body that may follow it */
export const oversized: fc.Arbitrary<Uint8Array> = fc.tuple(fc.integer({ min: MAX_FRAME_BYTES + 1, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ maxLength: 64 }))
  .map(([length, body]) => concat(varint(length), body))
/** A length prefix that promises more than follows, or less (the rest is read as the next frame) */
export const lyingPrefix: fc.Arbitrary<Uint8Array> = fc.tuple(fc.integer({ min: 0, max: MAX_FRAME_BYTES }), fc.uint8Array({ maxLength: 64 }))
  .map(([length, body]) => concat(varint(length), body))
/** A length prefix of continuation bytes only: it never ends */
export const endlessPrefix: fc.Arbitrary<Uint8Array> = fc.integer({ min: 1, max: 2_000 }).map(n => new Uint8Array(n).fill(0x80))
/** Random bytes with no framing, and random bytes in a frame */
export const garbage: fc.Arbitrary<Uint8Array> = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map(framed))

/**
 * Whether a node has all it needs to refuse `bytes` as the next frame: a
 * length prefix too long or too large, or a whole frame (random bytes
 * never authenticate). Bytes that are not refusable leave the node waiting
 * for the rest of a frame, until the peer closes or a timeout.
 */
export function refusable (bytes: Uint8Array): boolean {
  const maxLengthLength = varint(MAX_FRAME_BYTES).byteLength
  let length = 0

  for (let i = 0; i < bytes.byteLength; i++) {
    if (i >= maxLengthLength) return true
    const b = bytes[i] ?? 0
    length += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return length > MAX_FRAME_BYTES || bytes.byteLength - (i + 1) >= length
  }

  return false
}

/** How a stream ended, seen from the attacker's side */
export type StreamEnd = 'reset' | 'closed' | 'aborted' | 'timeout'

/**
 * Resolves once `stream` has ended, with how: `reset` when the node reset it
 * (what a node does to a stream it refuses), `closed` when both sides closed
 * it, `aborted` when the attacker's own side gave up (a write to a dead
 * connection), `timeout` if it is still open after `ms`.
 */
export async function ended (stream: Stream, ms: number): Promise<StreamEnd> {
  const now = (): StreamEnd | undefined => stream.status === 'reset' || stream.status === 'closed' || stream.status === 'aborted' ? stream.status : undefined

  return new Promise<StreamEnd>(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      stream.removeEventListener('close', done)
      resolve(now() ?? 'closed')
    }
    const timer = setTimeout(() => {
      stream.removeEventListener('close', done)
      resolve(now() ?? 'timeout')
    }, ms)
    stream.addEventListener('close', done, { once: true })
    if (now() != null) done()
  })
}
