/**
 * Random and mutated /rendezvous/1.0.0 requests against a real server on
 * loopback (property): whatever mallory writes (garbage, lying length
 * prefixes, valid requests mutated at the top level or inside their
 * REGISTER or DISCOVER, random well-formed messages, several frames at
 * once, a stream she leaves open) ends within a bound in responses of a
 * request's response type or in a closed or reset stream; never a crash
 * (an unhandled rejection fails the run), never a hang. Afterwards the
 * server still serves a well-behaved client.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_REQUEST_BYTES, MAX_TTL_S } from '../../src/rendezvous/constants.ts'
import { Message } from '../../src/rendezvous/pb/rendezvous.ts'
import { concat, mutate, mutations, varint } from '../fuzz/mutations.ts'
import { newPeer } from '../helpers/peers.ts'
import { clientNode, discoverRequest, framed, peerRecord, rawExchange, registerRequest, serverNode, stopAll } from './helpers.ts'
import type { RendezvousClient, RendezvousServer } from '../../src/rendezvous/index.ts'
import type { Libp2p } from '@libp2p/interface'

/** the server's bound on each read; a stream mallory leaves open ends after it */
const SERVER_TIMEOUT = 200
/** the most one exchange may take: the server's timeout, and room for the event loop of a loaded machine */
const EXCHANGE_BOUND = SERVER_TIMEOUT + 1_500

const { MessageType } = Message

after(stopAll)

/** field `number` of wire type 2 holding `bytes` */
function lengthDelimited (number: number, bytes: Uint8Array): Uint8Array {
  return concat(varint(number * 8 + 2), varint(bytes.byteLength), bytes)
}

/** a Message of `type` whose sub-message `field` is `inner`, whatever `inner` is */
function wrap (type: number, field: number, inner: Uint8Array): Uint8Array {
  return concat(type === 0 ? new Uint8Array(0) : Uint8Array.from([0x08, type]), lengthDelimited(field, inner))
}

void describe('hostile rendezvous requests (property)', () => {
  let server: Libp2p<{ rendezvous: RendezvousServer }>
  let mallory: Libp2p<{ rendezvous: RendezvousClient }>
  /** requests and sub-messages to mutate: each valid as it is */
  let requests: Uint8Array[]
  let inners: Array<{ type: number, field: number, bytes: Uint8Array }>

  before(async () => {
    // request rates out of the way: hundreds of requests on one connection, each to reach the checks behind the rate
    server = await serverNode({ timeout: SERVER_TIMEOUT, maxInboundStreams: 32, minTtl: 1, requestBurst: 100_000, addressRequestBurst: 100_000 })
    const me = await newPeer()
    const other = await newPeer()
    mallory = await clientNode(server, {}, me.key)
    await mallory.services.rendezvous.register(server.peerId, 'room')
    const { cookie } = await mallory.services.rendezvous.discover(server.peerId, 'room')
    assert.ok(cookie != null)
    const own = await peerRecord(me.key, mallory.peerId, mallory.getMultiaddrs())
    const forged = await peerRecord(other.key, other.id)
    const register = Message.Register.encode({ ns: 'room', signedPeerRecord: own as Uint8Array<ArrayBuffer>, ttl: 600n })
    const discover = Message.Discover.encode({ ns: 'room', limit: 5n, cookie: cookie as Uint8Array<ArrayBuffer> })
    requests = [
      registerRequest('room', own, 600n),
      registerRequest('room', forged),
      discoverRequest('room'),
      discoverRequest('room', 3n, cookie),
      Message.encode({ type: MessageType.UNREGISTER, unregister: { ns: 'room' } })
    ]
    inners = [
      { type: 0, field: 2, bytes: register },
      { type: 3, field: 5, bytes: discover }
    ]
  })

  void it('only ever answers with a response, or ends the stream, within a bound', async () => {
    const anyMessage = fc.record({
      type: fc.constantFrom(MessageType.REGISTER, MessageType.REGISTER_RESPONSE, MessageType.UNREGISTER, MessageType.DISCOVER, MessageType.DISCOVER_RESPONSE),
      ns: fc.oneof(fc.constant('room'), fc.string({ maxLength: 300 })),
      signedPeerRecord: fc.uint8Array({ maxLength: 300 }),
      // below 2^31: protons-runtime 7.1.2 writes [2^31, 2^32) as a broken varint
      ttl: fc.bigInt({ min: 0n, max: 2n ** 31n - 1n }),
      limit: fc.bigInt({ min: 0n, max: 2n ** 31n - 1n }),
      cookie: fc.uint8Array({ maxLength: 40 })
    }).map(m => Message.encode({
      type: m.type,
      register: { ns: m.ns, signedPeerRecord: m.signedPeerRecord, ttl: m.ttl },
      discover: { ns: m.ns, limit: m.limit, cookie: m.cookie },
      unregister: { ns: m.ns }
    }))
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map(framed),
      fc.integer({ min: 0, max: requests.length - 1 }).chain(i => mutations.map(ms => framed(mutate(requests[i] ?? new Uint8Array(0), ms)))),
      fc.integer({ min: 0, max: inners.length - 1 }).chain(i => mutations.map(ms => {
        const inner = inners[i] ?? { type: 0, field: 2, bytes: new Uint8Array(0) }
        return framed(wrap(inner.type, inner.field, mutate(inner.bytes, ms)))
      })),
      anyMessage.map(framed),
      fc.constantFrom(...requests).map(framed)
    )
    const input = fc.oneof(
      { weight: 6, arbitrary: fc.array(frames, { minLength: 1, maxLength: 3 }).map(fs => concat(...fs)) },
      // not frames: garbage, a prefix past the limit, a prefix that never ends
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: MAX_REQUEST_BYTES + 1, max: Number.MAX_SAFE_INTEGER }).map(n => concat(varint(n), new Uint8Array(8))) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map(n => new Uint8Array(n).fill(0x80)) }
    )
    const keepOpen = fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
    const ends = { closed: 0, reset: 0, responses: 0 }

    await fc.assert(fc.asyncProperty(input, keepOpen, async (bytes, open) => {
      const t0 = Date.now()
      const result = await rawExchange(mallory, server, bytes, { keepOpen: open, signal: AbortSignal.timeout(EXCHANGE_BOUND * 2) })
      const took = Date.now() - t0
      assert.ok(took < EXCHANGE_BOUND, `the exchange took ${took} ms`)
      assert.ok(result.error == null || result.error.name !== 'TimeoutError', 'the server neither answered nor ended the stream')
      ends[result.end]++
      ends.responses += result.responses.length

      for (const response of result.responses) {
        assert.ok(response.type === MessageType.REGISTER_RESPONSE || response.type === MessageType.DISCOVER_RESPONSE, `answered with ${response.type}`)
        // a refusal names what was wrong with the request; E_INTERNAL_ERROR would be a failure of ours
        const status = response.registerResponse?.status ?? response.discoverResponse?.status
        assert.notEqual(status, Message.ResponseStatus.E_INTERNAL_ERROR)

        if (response.registerResponse?.status === Message.ResponseStatus.OK) {
          assert.ok(response.registerResponse.ttl >= 1n && response.registerResponse.ttl <= BigInt(MAX_TTL_S))
        }
      }
    }), { numRuns: 300 })

    // the generators reach every way an exchange can end
    assert.ok(ends.closed > 0 && ends.reset > 0 && ends.responses > 0, JSON.stringify(ends))
  })

  void it('still serves a well-behaved client afterwards', async () => {
    const bob = await clientNode(server)
    assert.equal(await bob.services.rendezvous.register(server.peerId, 'after', { ttl: 600 }), 600)
    const { registrations } = await bob.services.rendezvous.discover(server.peerId, 'after')
    assert.deepEqual(registrations.map(r => r.peerId.toString()), [bob.peerId.toString()])
  })
})
