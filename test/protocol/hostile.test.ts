/**
 * Hostile bytes on real /securechat/1.0.0 streams. A securechat node (alice)
 * on loopback; mallory, a plain libp2p node (TCP, Noise, Yamux) that opens
 * raw streams to the protocol and writes what fast-check gives it: garbage
 * instead of a Hello, a mutated Hello, oversized, lying and endless length
 * prefixes, and, after a real handshake, the same garbage, mutated,
 * replayed and skipped frames, and real frames sealing bad envelopes. For
 * every stream: alice ends it within a bound (her handshake
 * and idle timeouts are short here, so a peer that goes silent mid-frame is
 * cut off quickly too), the session:error she reports names one of the
 * documented errors, and afterwards bob, a well-behaved securechat node,
 * still gets a message through.
 *
 * Alice's session:error events are read from her /securechat service: the
 * node's own `error` event shows only the first rejection per peer per
 * window (src/node/session-errors.ts), which the first test checks.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { MAX_FRAME_BYTES, PROTOCOL_ID } from '../../src/protocol/constants.ts'
import { encodeEnvelope, newMessageId } from '../../src/protocol/envelope.ts'
import { decodeHello, verifyHello } from '../../src/protocol/handshake.ts'
import { Frame } from '../../src/protocol/pb/securechat.ts'
import { concat, mutate, mutations, varint } from '../fuzz/mutations.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import { chatFrame, endlessPrefix, framed, garbage, handshake as initiatorHandshake, hello, lyingPrefix, newAttacker, oversized, refusable } from './attacks.ts'
import type { Mutation } from '../fuzz/mutations.ts'
import type { Attacker } from './attacks.ts'
import type { ChatServices } from '../../src/node/config.ts'
import type { SecureChat } from '../../src/protocol/index.ts'
import type { SecureSession } from '../../src/protocol/wire.ts'
import type { ChatNode, ChatNodeEvents } from '../../src/types.ts'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** alice's bounds: a stream that stalls is cut off after these */
const HANDSHAKE_TIMEOUT = 1_000
/** a session stream is read with twice this as its timeout */
const IDLE_TIMEOUT = 250
/** what alice may take to end a stream, at most: her longest timeout and a margin for a loaded machine */
const BOUND = HANDSHAKE_TIMEOUT + 3_000

/** libp2p's framing errors (src/protocol/errors.ts, FRAMING_VIOLATIONS) */
const FRAMING = ['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError']
/** the peer went away or went quiet: not a violation, but still a typed end */
const ENDED = ['UnexpectedEOFError', 'TimeoutError', 'AbortError']
const HANDSHAKE_ERRORS = new Set(['InvalidHandshakeError', 'UnsupportedPeerKeyError', 'InvalidSignatureError', 'StaleHandshakeError', ...FRAMING, ...ENDED])
const SESSION_ERRORS = new Set(['DecryptionError', 'ReplayError', 'OutOfOrderError', 'InvalidEnvelopeError', ...FRAMING, ...ENDED])

const loopback = new LoopbackNodes('securechat-hostile-')
const mallories: Libp2p[] = []

after(async () => {
  await Promise.allSettled(mallories.map(async m => m.stop()))
  await loopback.cleanup()
})

let alice: ChatNode
let aliceLibp2p: Libp2p<ChatServices>
let target: Multiaddr
/** every session:error alice's service dispatched, by peer */
const sessionErrors = new Map<string, Error[]>()
/** the error lines alice's node showed its user */
const shown: Array<ChatNodeEvents['error']['detail']> = []

type Mallory = Attacker

async function newMallory (): Promise<Mallory> {
  const m = await newAttacker()
  mallories.push(m.node)
  return m
}

function errorsOf (peer: PeerId): Error[] {
  return sessionErrors.get(peer.toString()) ?? []
}

/** alice's side of mallory's /securechat streams that are still open */
function aliceStreams (peer: PeerId): Stream[] {
  return aliceLibp2p.getConnections(peer).flatMap(c => c.streams).filter(s => s.protocol === PROTOCOL_ID && s.direction === 'inbound')
}

/** resolves once `stream` is closed or reset; rejects if that takes longer than `ms` */
async function ended (stream: Stream, ms: number): Promise<void> {
  const signal = AbortSignal.timeout(ms)
  await new Promise<void>((resolve, reject) => {
    const done = (): void => { signal.removeEventListener('abort', timedOut); resolve() }
    const timedOut = (): void => { stream.removeEventListener('close', done); reject(new Error(`the stream is still ${stream.status} after ${ms} ms: the node hung on it`)) }
    stream.addEventListener('close', done, { once: true })
    signal.addEventListener('abort', timedOut, { once: true })
    if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') done()
  })
}

/**
 * Opens a raw stream, lets `act` write to it, closes mallory's side if
 * `close`, and waits for both ends to be gone. Resolves with the errors
 * alice reported meanwhile.
 */
async function hostileStream (m: Mallory, act: (stream: Stream) => Promise<void>, close: boolean): Promise<Error[]> {
  const before = errorsOf(m.peer.id).length
  const started = Date.now()
  const stream = await m.node.dialProtocol(target, PROTOCOL_ID, { signal: AbortSignal.timeout(BOUND) })

  try {
    await act(stream)
    if (close) await stream.close({ signal: AbortSignal.timeout(BOUND) })
  } catch {
    // alice may reset the stream before mallory is done writing: that is what is being tested
  }

  await ended(stream, BOUND - (Date.now() - started))
  await until('alice to let go of the stream', () => aliceStreams(m.peer.id).length === 0, Math.max(BOUND - (Date.now() - started), 100))
  return errorsOf(m.peer.id).slice(before)
}

function send (stream: Stream, bytes: Uint8Array): void {
  stream.send(bytes)
}

/** A Hello mallory signs for a session with alice, as the initiator */
async function malloryHello (m: Mallory): Promise<Uint8Array> {
  return hello({ from: m.peer, to: peerIdFromString(alice.peerId) })
}

/** Whether alice would accept these Hello bytes from mallory (the unit under test in decoders.property.test.ts, as the oracle) */
async function acceptable (m: Mallory, hello: Uint8Array): Promise<boolean> {
  try {
    await verifyHello(decodeHello(hello), { role: 'initiator', initiator: m.peer.id, responder: peerIdFromString(alice.peerId), remotePeer: m.peer.id, now: Date.now() })
    return true
  } catch {
    return false
  }
}

async function handshake (m: Mallory, stream: Stream): Promise<SecureSession> {
  return initiatorHandshake(stream, m.peer, peerIdFromString(alice.peerId), AbortSignal.timeout(BOUND))
}

function assertTyped (errors: Error[], allowed: ReadonlySet<string>, exactlyOne: boolean): void {
  assert.ok(errors.length <= 1, `one stream, ${errors.length} errors: ${errors.map(e => e.name).join(', ')}`)
  if (exactlyOne) assert.equal(errors.length, 1, 'the stream ended without an error')
  for (const err of errors) {
    assert.ok(allowed.has(err.name), `untyped failure ${err.name}: ${err.message}`)
  }
}

/** Closing our side after the bytes, mostly: a peer that goes silent instead costs the test a timeout */
const closeAfter = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })

void describe('hostile streams to a node on loopback', () => {
  before(async () => {
    alice = await loopback.start({ name: 'alice', chat: { handshakeTimeout: HANDSHAKE_TIMEOUT, idleTimeout: IDLE_TIMEOUT } })
    // the node does not expose its services: read them off the instance, and fail loudly should that change
    aliceLibp2p = (alice as unknown as { libp2p: Libp2p<ChatServices> }).libp2p
    const chat: SecureChat | undefined = aliceLibp2p?.services?.chat
    assert.ok(chat != null, 'alice\'s /securechat service not found on the node')
    chat.addEventListener('session:error', (evt) => {
      const key = evt.detail.peer.toString()
      sessionErrors.set(key, [...(sessionErrors.get(key) ?? []), evt.detail.error])
    })
    target = multiaddr(alice.addrs()[0] ?? '')
    alice.addEventListener('error', (evt) => { shown.push(evt.detail) })
  })

  void it('a Hello that is no protobuf message: InvalidHandshakeError, shown to the user (was a RangeError, only logged)', async () => {
    const m = await newMallory()
    const userSees = nextEvent(alice, 'error', d => d.peer === m.peer.id.toString(), BOUND)
    // field 2 (ephemeral_key), length 80, then nothing
    const errors = await hostileStream(m, async s => { send(s, framed(Uint8Array.of(0x12, 0x50))) }, false)
    assert.deepEqual(errors.map(e => e.name), ['InvalidHandshakeError'])
    const line: ChatNodeEvents['error']['detail'] = await userSees
    assert.equal(line.code, 'InvalidHandshakeError')
  })

  void it('a Frame that is no protobuf message after a valid handshake: DecryptionError (was a RangeError)', async () => {
    const m = await newMallory()
    const errors = await hostileStream(m, async s => {
      await handshake(m, s)
      // field 2 (ciphertext), length 5, then nothing
      send(s, framed(Uint8Array.of(0x12, 0x05)))
    }, false)
    assert.deepEqual(errors.map(e => e.name), ['DecryptionError'])
  })

  void it('an oversized length prefix, before and after the handshake: InvalidDataLengthError at once', async () => {
    const m = await newMallory()
    const t0 = Date.now()
    assert.deepEqual((await hostileStream(m, async s => { send(s, varint(MAX_FRAME_BYTES + 1)) }, false)).map(e => e.name), ['InvalidDataLengthError'])
    assert.deepEqual((await hostileStream(m, async s => { await handshake(m, s); send(s, varint(MAX_FRAME_BYTES + 1)) }, false)).map(e => e.name), ['InvalidDataLengthError'])
    // a prefix longer than 3 bytes (a length of 2^21 or more) is refused by its length, whatever it says
    assert.deepEqual((await hostileStream(m, async s => { await handshake(m, s); send(s, varint(2 ** 53)) }, false)).map(e => e.name), ['InvalidDataLengthLengthError'])
    assert.ok(Date.now() - t0 < HANDSHAKE_TIMEOUT, 'refused on the prefix, not after a timeout')
  })

  void it('a length prefix that never ends, before and after the handshake: InvalidDataLengthLengthError at once (was read byte by byte, every byte kept, until the timeout)', async () => {
    const m = await newMallory()
    const endless = new Uint8Array(4096).fill(0x80)
    const t0 = Date.now()
    assert.deepEqual((await hostileStream(m, async s => { send(s, endless) }, false)).map(e => e.name), ['InvalidDataLengthLengthError'])
    assert.deepEqual((await hostileStream(m, async s => { await handshake(m, s); send(s, endless) }, false)).map(e => e.name), ['InvalidDataLengthLengthError'])
    assert.ok(Date.now() - t0 < HANDSHAKE_TIMEOUT, 'refused on the prefix, not after a timeout')
  })

  void it('garbage, oversized or lying prefixes and mutated Hellos instead of a Hello: a Hello or framing error each time, within the bound (property)', async () => {
    const m = await newMallory()
    const hello = await malloryHello(m)
    /** the bytes mallory sends, and the Hello in them if they are a mutated Hello */
    const input: fc.Arbitrary<{ bytes: Uint8Array, hello?: Uint8Array }> = fc.oneof(
      fc.oneof(garbage, oversized, lyingPrefix, endlessPrefix).map(bytes => ({ bytes })),
      mutations.map(ms => mutate(hello, ms)).map(h => ({ bytes: framed(h), hello: h }))
    )
    await fc.assert(fc.asyncProperty(input, closeAfter, async (i, close) => {
      // a mutation that leaves the Hello valid opens a session: it then ends cleanly on our close, or by alice's idle timeout
      const valid = i.hello != null && await acceptable(m, i.hello)
      const errors = await hostileStream(m, async s => { send(s, i.bytes) }, close)
      assertTyped(errors, valid ? SESSION_ERRORS : HANDSHAKE_ERRORS, !valid || !close)
    }), { numRuns: 60 })
  })

  void it('after a valid handshake: garbage, mutated, replayed and skipped frames and bad prefixes each end the stream with a frame or framing error (property)', async () => {
    const m = await newMallory()
    /** raw bytes; a real frame mutated; a real frame sealing a bad envelope (mallory has the keys); a replay; a skipped counter */
    type Attack = { kind: 'bytes', bytes: Uint8Array } | { kind: 'mutated', mutations: Mutation[] } | { kind: 'sealed', plaintext: Uint8Array, bad: boolean } | { kind: 'replay' } | { kind: 'skip' }
    const chat = encodeEnvelope({ type: 'chat', id: newMessageId(), timestamp: Date.now(), text: 'hi' })
    const attack: fc.Arbitrary<Attack> = fc.oneof(
      fc.oneof(garbage, oversized, lyingPrefix, endlessPrefix).map(bytes => ({ kind: 'bytes' as const, bytes })),
      mutations.map(ms => ({ kind: 'mutated' as const, mutations: ms })),
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map(plaintext => ({ kind: 'sealed' as const, plaintext, bad: false })),
        mutations.map(ms => ({ kind: 'sealed' as const, plaintext: mutate(chat, ms), bad: false })),
        // an ack on the receiving side of a session
        fc.constant({ kind: 'sealed' as const, plaintext: encodeEnvelope({ type: 'ack', id: newMessageId() }), bad: true })
      ),
      fc.constantFrom({ kind: 'replay' as const }, { kind: 'skip' as const })
    )
    await fc.assert(fc.asyncProperty(attack, closeAfter, async (a, close) => {
      // alice must report: whatever does not end by our close (the idle timeout ends it, if nothing else);
      // replays and skips; and bytes she can refuse as they are. A partial frame and our close is a
      // peer that went away; a mutated frame may still be valid (then alice acks it)
      const mustFail = !close || a.kind === 'replay' || a.kind === 'skip' || (a.kind === 'bytes' && refusable(a.bytes)) || (a.kind === 'sealed' && a.bad)
      const errors = await hostileStream(m, async s => {
        const session = await handshake(m, s)

        if (a.kind === 'bytes') {
          send(s, a.bytes)
        } else if (a.kind === 'mutated') {
          send(s, framed(mutate(chatFrame(session), a.mutations)))
        } else if (a.kind === 'sealed') {
          send(s, framed(Frame.encode(session.cipher.seal(a.plaintext))))
        } else if (a.kind === 'replay') {
          const frame = framed(chatFrame(session))
          send(s, concat(frame, frame))
        } else {
          chatFrame(session)
          send(s, framed(chatFrame(session)))
        }
      }, close)
      assertTyped(errors, SESSION_ERRORS, mustFail)
    }), { numRuns: 100 })
  })

  void it('still serves a well-behaved peer: a message from bob arrives', async () => {
    const bob = await loopback.start({ name: 'bob' })
    await bob.connect(alice.addrs()[0] ?? '')
    const message = nextEvent(alice, 'message', d => d.from === bob.peerId, 10_000)
    await bob.send(alice.peerId, 'still here?')
    assert.equal((await message).text, 'still here?')
    // and every hostile stream is gone from alice's side
    for (const m of mallories) {
      assert.equal(aliceStreams(m.peerId).length, 0)
    }
    // what the user was shown: violations only, each by its documented name
    assert.ok(shown.length > 0)
    for (const line of shown) {
      assert.ok(HANDSHAKE_ERRORS.has(line.code) || SESSION_ERRORS.has(line.code), `shown: ${line.code}`)
      assert.ok(!ENDED.includes(line.code), `a peer that went away was shown as an attack: ${line.code}`)
    }
  })
})
