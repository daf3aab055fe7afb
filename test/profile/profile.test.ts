/**
 * The profile service over in-memory stream pairs, with stubs of exactly the
 * components it uses. Bad profiles are served by a hand-driven responder
 * that writes whatever frame the test gives it.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { start, stop, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { RecordEnvelope } from '@libp2p/peer-record'
import { lpStream, streamPair } from '@libp2p/utils'
import fc from 'fast-check'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { profile } from '../../src/profile/index.ts'
import { PROFILE_CODEC, PROFILE_DOMAIN, PROFILE_PROTOCOL_ID } from '../../src/profile/constants.ts'
import { Profile as ProfileMessage } from '../../src/profile/pb/profile.ts'
import { openProfile, ProfileRecord, sealProfile } from '../../src/profile/record.ts'
import { isProtocolViolation, ProtocolViolationError } from '../../src/protocol/errors.ts'
import { nicknameProblem } from '../../src/protocol/nickname.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import type { Profile, ProfileComponents, ProfileEvents, ProfileInit } from '../../src/profile/index.ts'
import type { RelayKeeper } from '../../src/relay/keeper/index.ts'
import type { TestPeer } from '../helpers/peers.ts'
import type { Connection, IdentifyResult, Libp2pEvents, PeerId, PrivateKey, Startable, Stream, StreamHandler } from '@libp2p/interface'

type ProfileEvent = ProfileEvents['profile']['detail']

/** A network of stubbed components: a connection's newStream hands the other end to the remote's handler */
class Net {
  readonly handlers = new Map<string, StreamHandler>()
  /** every stream we opened, in order */
  readonly opened: Stream[] = []
  readonly relays: PeerId[] = []

  components (self: TestPeer, events: TypedEventEmitter<Libp2pEvents>): ProfileComponents {
    return {
      peerId: self.id,
      privateKey: self.key,
      logger: defaultLogger(),
      events,
      registrar: {
        handle: async (_protocol: string, handler: StreamHandler) => { this.handlers.set(self.id.toString(), handler) },
        unhandle: async () => { this.handlers.delete(self.id.toString()) }
      } as unknown as ProfileComponents['registrar'],
      relayKeeper: { isRelay: (peer: PeerId) => this.relays.some(r => r.equals(peer)) } as unknown as RelayKeeper
    }
  }

  /** `from`'s connection to `to` */
  connection (from: TestPeer, to: PeerId): Connection {
    return {
      remotePeer: to,
      status: 'open',
      newStream: async (protocol: string) => {
        assert.equal(protocol, PROFILE_PROTOCOL_ID)
        const handler = this.handlers.get(to.toString())
        if (handler == null) throw new Error('protocol selection failed')
        const [outbound, inbound] = await streamPair({ protocol })
        this.opened.push(outbound)
        void handler(inbound, { remotePeer: from.id } as unknown as Connection)
        return outbound
      }
    } as unknown as Connection
  }

  /** `peer` answers every profile stream with `frame`, whatever it is */
  serve (peer: PeerId, frame: Uint8Array): void {
    this.handlers.set(peer.toString(), async (stream: Stream) => {
      await lpStream(stream, { maxDataLength: 1 << 20 }).write(frame)
      await stream.close()
    })
  }
}

interface Node {
  service: Profile & Startable
  events: TypedEventEmitter<Libp2pEvents>
  /** the profile events it dispatched */
  seen: ProfileEvent[]
}

const started: Array<Profile & Startable> = []

afterEach(async () => {
  await Promise.all(started.splice(0).map(async s => stop(s)))
})

async function node (net: Net, self: TestPeer, init: ProfileInit = {}): Promise<Node> {
  const events = new TypedEventEmitter<Libp2pEvents>()
  const service = profile(init)(net.components(self, events)) as Profile & Startable
  const seen: ProfileEvent[] = []
  service.addEventListener('profile', evt => { seen.push(evt.detail) })
  await start(service)
  started.push(service)
  return { service, events, seen }
}

/** An envelope signed by `key` over any domain, payload type and payload */
async function seal (key: PrivateKey, { domain = PROFILE_DOMAIN, codec = PROFILE_CODEC, payload }: { domain?: string, codec?: Uint8Array, payload: Uint8Array }): Promise<Uint8Array> {
  const record = { domain, codec, marshal: () => payload, equals: () => false }
  return (await RecordEnvelope.seal(record, key)).marshal()
}

/** A profile signed by `key` with any nickname, valid or not */
async function signed (key: PrivateKey, nickname: string, seq = BigInt(Date.now())): Promise<Uint8Array> {
  return (await RecordEnvelope.seal(new ProfileRecord({ nickname, seq }), key)).marshal()
}

const identify = (n: Node, connection: Connection, protocols = [PROFILE_PROTOCOL_ID]): void => {
  const result = { peerId: connection.remotePeer, protocols, listenAddrs: [], connection } as unknown as IdentifyResult
  n.events.safeDispatchEvent('peer:identify', { detail: result })
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describe('profile service', () => {
  it('round trip: reads, verifies and announces the remote\'s signed nickname', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const na = await node(net, a, { nickname: 'alice' })
    await node(net, b, { nickname: 'bob' })
    const before = BigInt(Date.now())

    const got = await na.service.fetch(net.connection(a, b.id))
    assert.equal(got.nickname, 'bob')
    assert.ok(got.peer.equals(b.id))
    assert.ok(got.seq <= before && got.seq > before - 60_000n, 'seq: when bob made its profile')
    assert.deepEqual(na.seen.map(e => [e.peer.toString(), e.nickname]), [[b.id.toString(), 'bob']])
    assert.equal(net.opened[0]?.status, 'closed', 'the stream is closed, not left half-open')
  })

  it('fetches after identify of a securechat peer; never of a peer without the protocol, a relay or itself', async () => {
    const net = new Net()
    const [a, b, relay] = [await newPeer(), await newPeer(), await newPeer()]
    net.relays.push(relay.id)
    const na = await node(net, a, { nickname: 'alice' })
    await node(net, b, { nickname: 'bob' })
    await node(net, relay, { nickname: 'relay' })

    identify(na, net.connection(a, b.id), ['/ipfs/id/1.0.0'])
    identify(na, net.connection(a, relay.id))
    identify(na, net.connection(a, a.id))
    await sleep(50)
    assert.equal(net.opened.length, 0, 'no stream to anyone who is not a securechat peer')

    identify(na, net.connection(a, b.id))
    await until('bob\'s profile', () => na.seen.length === 1, 2_000)
    assert.equal(na.seen[0]?.nickname, 'bob')
  })

  it('an identify push during a fetch is fetched once more after it, not in parallel', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const na = await node(net, a, { nickname: 'alice' })
    await node(net, b, { nickname: 'bob' })
    const connection = net.connection(a, b.id)
    identify(na, connection)
    identify(na, connection)
    identify(na, connection)
    await until('two profiles', () => na.seen.length === 2, 2_000)
    await sleep(50)
    assert.equal(net.opened.length, 2)
    assert.equal(na.seen.length, 2)
  })

  it('serves no profile without a valid nickname', async () => {
    const net = new Net()
    const a = await newPeer()
    await node(net, a)
    assert.equal(net.handlers.size, 0)
    await assert.rejects(sealProfile({ nickname: '', seq: 1n }, a.key), TypeError)
  })

  describe('refuses, with a typed error, no event and the stream aborted', () => {
    async function refuses (frame: (b: TestPeer) => Promise<Uint8Array>, name: string, init: ProfileInit = {}): Promise<void> {
      const net = new Net()
      const [a, b] = [await newPeer(), await newPeer()]
      const na = await node(net, a, { nickname: 'alice', ...init })
      net.serve(b.id, await frame(b))
      await assert.rejects(na.service.fetch(net.connection(a, b.id)), (err: Error) => {
        assert.equal(err.name, name)
        assert.ok(isProtocolViolation(err), 'the peer misbehaved')
        return true
      })
      assert.deepEqual(na.seen, [])
      assert.equal(net.opened[0]?.status, 'aborted')
    }

    it('a profile signed by another key than the connection\'s peer', async () => {
      const mallory = await newPeer()
      await refuses(async () => sealProfile({ nickname: 'bob', seq: 1n }, mallory.key), 'UnexpectedProfileSignerError')
    })

    it('a malformed envelope', async () => {
      await refuses(async () => Uint8Array.of(0xff, 0xff, 0xff, 0x01), 'InvalidProfileError')
      await refuses(async () => new Uint8Array(0), 'InvalidProfileError')
    })

    it('a malformed record in a well-signed envelope', async () => {
      // field 1, length 80, then nothing
      await refuses(async b => seal(b.key, { payload: Uint8Array.of(0x0a, 0x50) }), 'InvalidProfileError')
    })

    it('a record of another type', async () => {
      const payload = ProfileMessage.encode({ nickname: 'bob', seq: 1n })
      await refuses(async b => seal(b.key, { codec: uint8ArrayFromString('/libp2p/peer-record'), payload }), 'InvalidProfileError')
    })

    it('a signature for another domain, or tampered', async () => {
      const payload = ProfileMessage.encode({ nickname: 'bob', seq: 1n })
      await refuses(async b => seal(b.key, { domain: 'libp2p-peer-record', payload }), 'InvalidProfileSignatureError')
      await refuses(async b => {
        const envelope = RecordEnvelope.createFromProtobuf(await sealProfile({ nickname: 'bob', seq: 1n }, b.key))
        envelope.signature[0] = (envelope.signature[0] ?? 0) ^ 1
        return envelope.marshal()
      }, 'InvalidProfileSignatureError')
    })

    it('an oversized frame, before its body is buffered', async () => {
      await refuses(async () => new Uint8Array(2048), 'InvalidDataLengthError')
      // the bound is an init option (past 127 bytes: a 2-byte length prefix, as an honest profile has)
      await refuses(async b => sealProfile({ nickname: 'bob', seq: 1n }, b.key), 'InvalidDataLengthError', { maxProfileBytes: 128 })
    })

    it('a nickname with control characters, blank, or too long', async () => {
      await refuses(async b => signed(b.key, 'bo\u0007b'), 'InvalidProfileError')
      await refuses(async b => signed(b.key, 'line\nbreak'), 'InvalidProfileError')
      await refuses(async b => signed(b.key, '   '), 'InvalidProfileError')
      await refuses(async b => signed(b.key, 'x'.repeat(65)), 'InvalidProfileError')
    })

    it('a nickname that is a peer id (the nickname rule\'s, src/protocol/nickname.ts)', async () => {
      await refuses(async b => signed(b.key, b.id.toString()), 'InvalidProfileError')
      const other = await newPeer()
      await refuses(async b => signed(b.key, other.id.toString()), 'InvalidProfileError')
    })
  })

  it('refuses a seq older than the last one accepted from that peer; the same seq again is fine', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const na = await node(net, a, { nickname: 'alice' })
    const connection = net.connection(a, b.id)

    net.serve(b.id, await signed(b.key, 'bob', 2_000n))
    await na.service.fetch(connection)
    await na.service.fetch(connection)
    net.serve(b.id, await signed(b.key, 'old bob', 1_000n))
    await assert.rejects(na.service.fetch(connection), { name: 'StaleProfileError' })
    assert.equal(net.opened[2]?.status, 'aborted')
    net.serve(b.id, await signed(b.key, 'new bob', 3_000n))
    await na.service.fetch(connection)
    assert.deepEqual(na.seen.map(e => e.nickname), ['bob', 'bob', 'new bob'])
  })

  it('times out on a responder that never answers, or stops at the caller\'s signal with its reason', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const na = await node(net, a, { nickname: 'alice', timeout: 200 })
    net.handlers.set(b.id.toString(), async () => {})

    const t0 = Date.now()
    await assert.rejects(na.service.fetch(net.connection(a, b.id)), { name: 'TimeoutError' })
    assert.ok(Date.now() - t0 < 2_000)
    assert.equal(net.opened[0]?.status, 'aborted')

    const controller = new AbortController()
    const reason = new Error('user cancelled')
    setTimeout(() => { controller.abort(reason) }, 20)
    await assert.rejects(na.service.fetch(net.connection(a, b.id), { signal: controller.signal }), (err: unknown) => err === reason)
    assert.deepEqual(na.seen, [])
  })

  it('stop() aborts the fetches in flight and stops listening to identify', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const na = await node(net, a, { nickname: 'alice' })
    net.handlers.set(b.id.toString(), async () => {})
    identify(na, net.connection(a, b.id))
    await until('a stream', () => net.opened.length === 1, 2_000)
    const t0 = Date.now()
    await stop(na.service)
    assert.ok(Date.now() - t0 < 1_000, 'did not wait for the fetch timeout')
    assert.equal(net.opened[0]?.status, 'aborted')
    identify(na, net.connection(a, b.id))
    await sleep(30)
    assert.equal(net.opened.length, 1)
  })
})

describe('profile record (property)', () => {
  it('any bytes either open as a profile or throw a ProtocolViolationError', async () => {
    const b = await newPeer()
    const good = await sealProfile({ nickname: 'bob', seq: 1n }, b.key)
    // random bytes, and a real envelope with bytes flipped or cut
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => { const f = good.slice(); f[i] = (f[i] ?? 0) ^ x; return f }),
      fc.nat(good.length - 1).map(n => good.slice(0, n))
    )
    await fc.assert(fc.asyncProperty(frames, async frame => {
      try {
        await openProfile(frame, b.id)
      } catch (err) {
        assert.ok(err instanceof ProtocolViolationError, `not a protocol violation: ${String(err)}`)
      }
    }), { numRuns: 300 })
  })

  it('every valid nickname and seq round-trips', async () => {
    const b = await newPeer()
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter(n => nicknameProblem(n) == null), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (nickname, seq) => {
      assert.deepEqual(await openProfile(await sealProfile({ nickname, seq }, b.key), b.id), { nickname, seq })
    }), { numRuns: 100 })
  })
})
