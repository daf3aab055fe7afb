/**
 * Hostile profiles on real /securechat/profile/1.0.0 streams. A securechat
 * node (alice) on loopback fetches the profile of mallory, a plain libp2p
 * node (TCP, Noise, Yamux) whose profile handler writes what fast-check
 * gives it: garbage, oversized, lying and endless length prefixes, its own
 * signed profile mutated, profiles signed by another key, an older profile.
 * Every fetch ends within a bound in a profile (mallory's own, unchanged) or
 * in a documented error (docs/PROTOCOL.md, "Profiles", "Checks"); and
 * afterwards alice still learns bob's name, and gets his message.
 *
 * Alice's profile service is read off the node, which does not expose it:
 * its automatic fetches only log their failures.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { createLibp2p } from 'libp2p'
import { MAX_PROFILE_BYTES, PROFILE_PROTOCOL_ID } from '../../src/profile/constants.ts'
import { sealProfile } from '../../src/profile/record.ts'
import { concat, mutate, mutations, varint } from '../fuzz/mutations.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import { newPeer } from '../helpers/peers.ts'
import type { ChatServices } from '../../src/node/config.ts'
import type { Profile } from '../../src/profile/index.ts'
import type { ChatNode } from '../../src/types.ts'
import type { TestPeer } from '../helpers/peers.ts'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

/** a fetch's own bound here; alice's default (PROFILE_TIMEOUT_MS, 5 s) is the caller's signal's to shorten */
const FETCH_TIMEOUT = 1_000
/** the record's checks and the service's seq rule */
const PROFILE_ERRORS = ['InvalidProfileError', 'UnexpectedProfileSignerError', 'InvalidProfileSignatureError', 'StaleProfileError']
/** libp2p's framing errors, and a responder that closed mid-frame */
const FRAMING = ['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError', 'UnexpectedEOFError']

const loopback = new LoopbackNodes('securechat-profile-hostile-')
let mallory: Libp2p | undefined

after(async () => {
  await mallory?.stop()
  await loopback.cleanup()
})

/** what mallory's profile handler writes next, and whether it then closes its side */
let serving: { bytes: Uint8Array, close: boolean } = { bytes: new Uint8Array(0), close: true }

function framed (bytes: Uint8Array): Uint8Array {
  return concat(varint(bytes.byteLength), bytes)
}

void describe('hostile profiles fetched by a node on loopback', () => {
  let alice: ChatNode
  let profile: Profile
  let me: TestPeer
  let connection: Connection
  /** mallory's real profile, and the seq it carries */
  let good: Uint8Array
  const seq = BigInt(Date.now())

  before(async () => {
    alice = await loopback.start({ name: 'alice' })
    const node = (alice as unknown as { libp2p?: Libp2p<ChatServices> }).libp2p
    assert.ok(node?.services?.profile != null, 'alice\'s profile service not found on the node')
    profile = node.services.profile

    me = await newPeer()
    mallory = await createLibp2p({ privateKey: me.key, addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    await mallory.handle(PROFILE_PROTOCOL_ID, async (stream: Stream) => {
      const { bytes, close } = serving
      try {
        stream.send(bytes)
        if (close) await stream.close()
      } catch {
        // alice reset the stream: what is being tested
      }
    })
    await mallory.dial(multiaddr(alice.addrs()[0] ?? ''), { signal: AbortSignal.timeout(5_000) })
    const malloryId = mallory.peerId
    // alice's side of the connection opens a little after mallory's
    await until('alice to see mallory\'s connection', () => node.getConnections(malloryId).length > 0, 5_000)
    const conn = node.getConnections(malloryId)[0]
    assert.ok(conn != null, 'alice has no connection to mallory')
    connection = conn
    good = await sealProfile({ nickname: 'mallory', seq }, me.key)
  })

  /** alice fetches mallory's profile; resolves with its nickname, or the error's name (checked to be typed) */
  async function fetch (bytes: Uint8Array, close = true): Promise<string> {
    serving = { bytes, close }
    const t0 = Date.now()

    try {
      const got = await profile.fetch(connection, { signal: AbortSignal.timeout(FETCH_TIMEOUT) })
      assert.ok(got.peer.equals(me.id))
      return got.nickname
    } catch (err) {
      assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`)
      const typed = [...PROFILE_ERRORS, ...FRAMING, ...(close ? [] : ['TimeoutError'])]
      assert.ok(typed.includes(err.name), `untyped failure ${err.name}: ${err.message}`)
      return err.name
    } finally {
      // a fetch that took longer than its signal's bound hung somewhere the signal did not reach
      assert.ok(Date.now() - t0 < FETCH_TIMEOUT + 1_000, `the fetch took ${Date.now() - t0} ms`)
    }
  }

  void it('its own profile: accepted (the setup works)', async () => {
    assert.equal(await fetch(framed(good)), 'mallory')
  })

  void it('a length prefix that never ends: InvalidDataLengthLengthError at once (was read byte by byte, every byte kept, until the timeout)', async () => {
    const t0 = Date.now()
    assert.equal(await fetch(new Uint8Array(2_000).fill(0x80), false), 'InvalidDataLengthLengthError')
    assert.ok(Date.now() - t0 < FETCH_TIMEOUT / 2, 'refused on the prefix, not at the timeout')
  })

  void it('garbage, bad prefixes, mutated or foreign or older profiles: a profile error or mallory\'s own profile (property)', async () => {
    const other = await newPeer()
    const foreign = await sealProfile({ nickname: 'mallory', seq }, other.key)
    const older = await sealProfile({ nickname: 'old mallory', seq: seq - 1n }, me.key)
    const input = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map(framed),
      fc.tuple(fc.integer({ min: MAX_PROFILE_BYTES + 1, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ maxLength: 32 })).map(([n, b]) => concat(varint(n), b)),
      fc.tuple(fc.nat(MAX_PROFILE_BYTES), fc.uint8Array({ maxLength: 64 })).map(([n, b]) => concat(varint(n), b)),
      fc.integer({ min: 1, max: 2_000 }).map(n => new Uint8Array(n).fill(0x80)),
      mutations.map(ms => framed(mutate(good, ms))),
      fc.constantFrom(framed(foreign), framed(older))
    )
    const close = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
    await fc.assert(fc.asyncProperty(input, close, async (bytes, c) => {
      const result = await fetch(bytes, c)
      // whatever is accepted is mallory's profile, as she signed it
      if (!PROFILE_ERRORS.includes(result) && !FRAMING.includes(result) && result !== 'TimeoutError') {
        assert.equal(result, 'mallory')
      }
    }), { numRuns: 60 })
  })

  void it('still serves well-behaved peers: learns bob\'s name, and gets his message', async () => {
    const bob = await loopback.start({ name: 'bob' })
    await bob.connect(alice.addrs()[0] ?? '')
    await until('alice to know bob\'s name', async () => (await alice.peers()).some(p => p.peerId === bob.peerId && p.name === 'bob'), 10_000)
    const message = nextEvent(alice, 'message', d => d.from === bob.peerId, 10_000)
    await bob.send(alice.peerId, 'hello alice')
    assert.equal((await message).text, 'hello alice')
  })
})
