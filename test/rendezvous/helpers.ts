/**
 * Bare libp2p nodes on loopback for the rendezvous tests (TCP, Noise,
 * Yamux, nothing else: no identify, no store), a rendezvous server or
 * client on each, and a raw side that writes whatever bytes a test gives it
 * on a /rendezvous/1.0.0 stream and reads back whatever comes. Every node
 * is stopped by `stopAll`, which each test file runs in its `after` hook.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { lpStream } from '@libp2p/utils'
import { MAX_RESPONSE_BYTES, RENDEZVOUS_PROTOCOL_ID } from '../../src/rendezvous/constants.ts'
import { rendezvousClient, rendezvousServer } from '../../src/rendezvous/index.ts'
import { Message } from '../../src/rendezvous/pb/rendezvous.ts'
import { concat, varint } from '../fuzz/mutations.ts'
import { bareNode as sharedBareNode } from '../helpers/libp2p.ts'
import type { RendezvousClient, RendezvousClientInit, RendezvousServer, RendezvousServerInit } from '../../src/rendezvous/index.ts'
import type { Libp2p, PeerId, PrivateKey, Record as SignedRecord, ServiceMap } from '@libp2p/interface'
import type { ServiceFactoryMap } from 'libp2p'
import type { Multiaddr } from '@multiformats/multiaddr'

const nodes: Libp2p[] = []

export async function stopAll (): Promise<void> {
  await Promise.allSettled(nodes.splice(0).map(async n => n.stop()))
}

/** A bare node listening on loopback, with `services`; stopped by stopAll */
export async function bareNode<S extends ServiceMap> (services: ServiceFactoryMap<S>, privateKey?: PrivateKey): Promise<Libp2p<S>> {
  const node = await sharedBareNode<S>({ services, ...(privateKey == null ? {} : { privateKey }) })
  nodes.push(node)
  return node
}

export async function serverNode (init: RendezvousServerInit = {}): Promise<Libp2p<{ rendezvous: RendezvousServer }>> {
  return bareNode({ rendezvous: rendezvousServer(init) })
}

/** A client node, connected to `point` */
export async function clientNode (point: Libp2p, init: RendezvousClientInit = {}, privateKey?: PrivateKey): Promise<Libp2p<{ rendezvous: RendezvousClient }>> {
  const node = await bareNode({ rendezvous: rendezvousClient(init) }, privateKey)
  await node.dial(point.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
  return node
}

/** `bytes` with a varint length prefix: one frame */
export function framed (bytes: Uint8Array): Uint8Array {
  return concat(varint(bytes.byteLength), bytes)
}

export interface RawResult {
  /** the frames the server wrote, decoded */
  responses: Message[]
  /** how the stream ended: the server closed its side, or it reset the stream (or the open failed) */
  end: 'closed' | 'reset'
  error?: Error
}

/**
 * Opens a /rendezvous/1.0.0 stream from `from` to `point`, writes `bytes`
 * as they are, closes its side unless `keepOpen`, and reads frames until
 * the server ends the stream.
 */
export async function rawExchange (from: Libp2p, point: Libp2p, bytes: Uint8Array, options: { keepOpen?: boolean, signal?: AbortSignal } = {}): Promise<RawResult> {
  const signal = options.signal ?? AbortSignal.timeout(5_000)
  const responses: Message[] = []

  try {
    const stream = await from.dialProtocol(point.peerId, RENDEZVOUS_PROTOCOL_ID, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
    if (bytes.byteLength > 0) stream.send(bytes)
    if (options.keepOpen !== true) await stream.close({ signal })

    for (;;) {
      try {
        responses.push(Message.decode(await lp.read({ signal })))
      } catch (err) {
        if ((err as Error).name === 'UnexpectedEOFError') return { responses, end: 'closed' }
        throw err
      }
    }
  } catch (err) {
    return { responses, end: 'reset', error: err as Error }
  }
}

/** A REGISTER message */
export function registerRequest (ns: string, signedPeerRecord: Uint8Array, ttl = 0n): Uint8Array {
  return Message.encode({ type: Message.MessageType.REGISTER, register: { ns, signedPeerRecord: signedPeerRecord as Uint8Array<ArrayBuffer>, ttl } })
}

/** A DISCOVER message */
export function discoverRequest (ns: string, limit = 0n, cookie: Uint8Array = new Uint8Array(0)): Uint8Array {
  return Message.encode({ type: Message.MessageType.DISCOVER, discover: { ns, limit, cookie: cookie as Uint8Array<ArrayBuffer> } })
}

/** A record of another payload type, or for another domain: for envelopes that are no peer records */
export class OtherRecord implements SignedRecord {
  readonly domain: string
  readonly codec: Uint8Array
  private readonly payload: Uint8Array

  constructor (domain: string, codec: Uint8Array, payload: Uint8Array) {
    this.domain = domain
    this.codec = codec
    this.payload = payload
  }

  marshal (): Uint8Array {
    return this.payload
  }

  equals (): boolean {
    return false
  }
}

/** A peer with a key of another type than Ed25519 (RSA-1024: quick to make), which Noise accepts and a point must not */
export async function otherKeyPeer (type: 'RSA' | 'secp256k1' = 'RSA'): Promise<{ key: PrivateKey, id: PeerId }> {
  const key = type === 'RSA' ? await generateKeyPair('RSA', 1024) : await generateKeyPair('secp256k1')
  return { key, id: peerIdFromPrivateKey(key) }
}

/** A peer record naming `peerId` with `multiaddrs`, sealed by `key` (whoever that is) */
export async function peerRecord (key: PrivateKey, peerId: PeerId, multiaddrs: Multiaddr[] = []): Promise<Uint8Array> {
  return (await RecordEnvelope.seal(new PeerRecord({ peerId, multiaddrs }), key)).marshal()
}
