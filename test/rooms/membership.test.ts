/**
 * /securechat/room-membership/1.0.0 between two real libp2p nodes on
 * loopback: members find exactly the rooms they share; a non-member learns
 * nothing and proves nothing; guessed, replayed, reflected and malformed
 * proofs are refused with InvalidMembershipError.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { MAX_JOINED_ROOMS, MAX_MEMBERSHIP_FRAME_BYTES, MEMBERSHIP_PROTOCOL_ID, PROOF_FRAME_BYTES, proofFrame, proveAsInitiator, proveAsResponder } from '../../src/rooms/membership.ts'
import { MembershipHello } from '../../src/rooms/pb/rooms.ts'
import { deriveRoomKeys, membershipTag } from '../../src/rooms/room-keys.ts'
import { signalWithTimeout } from '../../src/util/abort.ts'
import { bareNode } from '../helpers/libp2p.ts'
import type { MembershipResult } from '../../src/rooms/membership.ts'
import type { RoomKeys } from '../../src/rooms/room-keys.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

const CHEAP = { N: 2 ** 10, r: 8, p: 1 }
const room = async (name: string, key?: string): Promise<RoomKeys> => deriveRoomKeys(name, key, { params: CHEAP })
const signal = (): AbortSignal => signalWithTimeout(5_000)

void describe('room membership', () => {
  let responder: Libp2p
  let opener: Libp2p
  let demo: RoomKeys, other: RoomKeys, onlyR: RoomKeys, onlyO: RoomKeys, demoWithKey: RoomKeys
  /** the rooms the responder is in, and what each meeting it answered ended with */
  let responderRooms: RoomKeys[] = []
  let outcomes: Array<Promise<MembershipResult>> = []
  /** how long the responder waits for the whole exchange */
  let responderTimeout = 5_000

  before(async () => {
    [demo, other, onlyR, onlyO, demoWithKey] = await Promise.all([room('demo'), room('other'), room('only-r'), room('only-o'), room('demo', 'k')])
    ;[responder, opener] = await Promise.all([bareNode(), bareNode()])
    await responder.handle(MEMBERSHIP_PROTOCOL_ID, (stream, connection) => {
      const outcome = proveAsResponder(stream, { local: responder.peerId, remote: connection.remotePeer }, responderRooms, { signal: signalWithTimeout(responderTimeout) })
      outcome.catch((err: Error) => { stream.abort(err) })
      outcomes.push(outcome)
    })
  })

  after(async () => {
    await Promise.allSettled([responder?.stop(), opener?.stop()])
  })

  async function open (): Promise<Stream> {
    outcomes = []
    return opener.dialProtocol(responder.getMultiaddrs(), MEMBERSHIP_PROTOCOL_ID, { signal: signal() })
  }

  async function meet (openerRooms: RoomKeys[]): Promise<{ opener: MembershipResult, responder: MembershipResult }> {
    const stream = await open()
    const mine = await proveAsInitiator(stream, { local: opener.peerId, remote: responder.peerId }, openerRooms, { signal: signal() })
    const theirs = await outcomes[0]
    assert.ok(theirs != null)
    return { opener: mine, responder: theirs }
  }

  /** an opener that writes what it likes: its nonce, then whatever `proof` makes of the responder's hello */
  async function forge (proof: (reply: MembershipHello, nonce: Uint8Array) => Uint8Array): Promise<{ reply: MembershipHello, error: unknown }> {
    const stream = await open()
    const lp = lpStream(stream, { maxDataLength: 4 * MAX_MEMBERSHIP_FRAME_BYTES })
    const nonce = new Uint8Array(randomBytes(32))
    await lp.write(MembershipHello.encode({ nonce, tags: [] }))
    const reply = MembershipHello.decode(await lp.read())
    await lp.write(proof(reply, nonce)).catch(() => {})
    const error = await (outcomes[0] as Promise<MembershipResult>).then(() => undefined, (err: unknown) => err)
    stream.abort(new Error('done'))
    return { reply, error }
  }

  void it('two members find exactly the rooms they share, on both sides', async () => {
    responderRooms = [demo, other, onlyR]
    const { opener: o, responder: r } = await meet([onlyO, other, demo])
    assert.deepEqual(o.proven.sort(), [demo.id, other.id].sort())
    assert.deepEqual(r.proven.sort(), [demo.id, other.id].sort())
  })

  void it('a room name with another key is another room: nothing shared, nothing proven', async () => {
    responderRooms = [demo]
    const { opener: o, responder: r } = await meet([demoWithKey])
    assert.deepEqual(o.proven, [])
    assert.deepEqual(r.proven, [])
  })

  void it('the responder always sends MAX_JOINED_ROOMS distinct tags, whatever it is in', async () => {
    for (const rooms of [[], [demo], [demo, other, onlyR]]) {
      responderRooms = rooms
      const { reply } = await forge(() => MembershipHello.encode({ nonce: new Uint8Array(0), tags: [] }))
      assert.equal(reply.tags.length, MAX_JOINED_ROOMS)
      assert.equal(new Set(reply.tags.map(t => Buffer.from(t).toString('hex'))).size, MAX_JOINED_ROOMS)
    }
  })

  void it('refuses a guessed tag, a replayed proof and a reflected tag', async () => {
    responderRooms = [demo]
    // guessed
    const guessed = await forge(() => MembershipHello.encode({ nonce: new Uint8Array(0), tags: [new Uint8Array(randomBytes(16))] }))
    assert.equal((guessed.error as Error)?.name, 'InvalidMembershipError')

    // a member's real proof from one meeting, replayed in the next
    let replayed: Uint8Array = new Uint8Array(0)
    await forge((reply, nonce) => {
      const context = { initiator: opener.peerId.toMultihash().bytes, responder: responder.peerId.toMultihash().bytes, initiatorNonce: nonce, responderNonce: reply.nonce }
      replayed = MembershipHello.encode({ nonce: new Uint8Array(0), tags: [membershipTag(demo.proofKey, context, 'initiator')] })
      return replayed
    }).then(({ error }) => { assert.equal(error, undefined, 'the honest proof passes') })
    const replay = await forge(() => replayed)
    assert.equal((replay.error as Error)?.name, 'InvalidMembershipError')

    // the responder's own tags sent back (a non-member reflecting them)
    const reflected = await forge(reply => MembershipHello.encode({ nonce: new Uint8Array(0), tags: reply.tags.slice(0, 1) }))
    assert.equal((reflected.error as Error)?.name, 'InvalidMembershipError')
  })

  void it('refuses malformed hellos with InvalidMembershipError: a nonce where none belongs, short tags, more tags than its rooms', async () => {
    responderRooms = [demo]
    for (const bad of [
      MembershipHello.encode({ nonce: new Uint8Array(32), tags: [] }),
      MembershipHello.encode({ nonce: new Uint8Array(0), tags: [new Uint8Array(15)] }),
      MembershipHello.encode({ nonce: new Uint8Array(0), tags: [new Uint8Array(16), new Uint8Array(16)] }),
      new Uint8Array([0xff, 0xff, 0xff])
    ]) {
      const { error } = await forge(() => bad)
      assert.equal((error as Error)?.name, 'InvalidMembershipError', Buffer.from(bad).toString('hex'))
    }

    // the opener's first hello: a short nonce
    const stream = await open()
    const lp = lpStream(stream)
    await lp.write(MembershipHello.encode({ nonce: new Uint8Array(8), tags: [] }))
    const error = await (outcomes[0] as Promise<MembershipResult>).then(() => undefined, (err: unknown) => err)
    assert.equal((error as Error)?.name, 'InvalidMembershipError')
    stream.abort(new Error('done'))
  })

  void it('an opener that never answers is cut off by the timeout, proving nothing', async () => {
    responderRooms = [demo]
    responderTimeout = 300
    const stream = await open()
    const lp = lpStream(stream)
    await lp.write(MembershipHello.encode({ nonce: new Uint8Array(randomBytes(32)), tags: [] }))
    await lp.read()
    const error = await (outcomes[0] as Promise<MembershipResult>).then(() => undefined, (err: unknown) => err)
    assert.equal((error as Error)?.name, 'TimeoutError')
    responderTimeout = 5_000
    stream.abort(new Error('done'))
  })

  void it('the opener\'s proof has one length whatever it proves, within the frame bound', () => {
    for (let k = 0; k <= MAX_JOINED_ROOMS; k++) {
      const frame = proofFrame(Array.from({ length: k }, () => new Uint8Array(randomBytes(16))))
      assert.equal(frame.byteLength, PROOF_FRAME_BYTES, `${k} tags`)
      assert.ok(frame.byteLength <= MAX_MEMBERSHIP_FRAME_BYTES)
      assert.equal(MembershipHello.decode(frame).tags.length, k)
    }
  })

  void it('a peer that sends on after the exchange has its stream aborted, not buffered', async () => {
    responderRooms = [demo]
    const stream = await open()
    const lp = lpStream(stream, { maxDataLength: 4 * MAX_MEMBERSHIP_FRAME_BYTES })
    await lp.write(MembershipHello.encode({ nonce: new Uint8Array(randomBytes(32)), tags: [], padding: new Uint8Array(0) }))
    await lp.read()
    await lp.write(proofFrame([]))
    assert.deepEqual(await outcomes[0], { proven: [] })
    // 1 MiB of junk where nothing more is read: the responder resets the stream
    const junk = new Uint8Array(64 * 1024)
    const reset = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
    for (let i = 0; i < 16 && stream.status === 'open'; i++) {
      if (!stream.send(junk)) await stream.onDrain().catch(() => {})
    }
    await reset
    assert.notEqual(stream.status, 'open')
  })
})
