/**
 * Calm under attack. On a fake clock (SessionErrors): once per peer per
 * window, and a few lines per window in all, however many fresh peer ids
 * come, the rest as one summary line with no peer. With a real node on
 * loopback: a peer that breaks the protocol on session after session (an
 * oversized frame each time) makes the node show one `error` event for it,
 * not one per session (the rest of the window comes as one summary at its
 * end: test/util/throttle.test.ts).
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createChatNode } from '../../src/node/index.ts'
import { SessionErrors } from '../../src/node/session-errors.ts'
import { MAX_FRAME_BYTES, PROTOCOL_ID } from '../../src/protocol/constants.ts'
import { FakeClock } from '../helpers/clock.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { ChatNode, ChatNodeEvents } from '../../src/types.ts'
import type { TempDir } from '../helpers/tmp.ts'
import type { Libp2p } from '@libp2p/interface'

const SESSIONS = 20

const cleanup: Array<() => Promise<void>> = []

after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {})
})

/** a varint length prefix announcing a frame far over MAX_FRAME_BYTES */
function oversizedPrefix (): Uint8Array {
  const bytes: number[] = []
  let n = MAX_FRAME_BYTES * 16

  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80)
    n >>>= 7
  }

  bytes.push(n)
  return Uint8Array.from(bytes)
}

type Line = ChatNodeEvents['error']['detail']

function rejection (name: string): Error {
  const err = new Error(`bad ${name}`)
  err.name = name
  return err
}

function setup (maxLines = 5): { clock: FakeClock, errors: SessionErrors, lines: Array<Line & { at: number }> } {
  const clock = new FakeClock()
  const lines: Array<Line & { at: number }> = []
  const errors = new SessionErrors((line) => { lines.push({ ...line, at: clock.now() - 1_000_000 }) }, { window: 10_000, maxLines, clock })
  return { clock, errors, lines }
}

void describe('SessionErrors', () => {
  void it('shows 5 lines for 30 fresh peer ids with one bad session each, then one summary with no peer', () => {
    const { clock, errors, lines } = setup()

    for (let i = 1; i <= 30; i++) {
      errors.push(`peer${i}`, rejection(i === 30 ? 'InvalidDataLengthError' : 'InvalidSignatureError'))
      clock.advance(250)
    }

    assert.deepEqual(lines.map(l => l.peer), ['peer1', 'peer2', 'peer3', 'peer4', 'peer5'])
    assert.deepEqual(lines[0], { code: 'InvalidSignatureError', message: 'session from peer1 rejected: bad InvalidSignatureError', peer: 'peer1', at: 0 })
    clock.advance(10_000 - 30 * 250)
    assert.equal(lines.length, 6)
    assert.deepEqual(lines[5], { code: 'InvalidDataLengthError', message: '… and 25 sessions from 25 peers rejected in the last 10 s', at: 10_000 })
    clock.advance(60_000)
    assert.equal(lines.length, 6, 'nothing more once every window is over')
  })

  void it('counts the sessions a held-back peer summary stands for, and says so in the singular too', () => {
    const { clock, errors, lines } = setup(1)
    errors.push('p0', rejection('A')) // window A of the cap, 0..10 s: p0's line
    clock.advance(5_000)
    errors.push('p1', rejection('B')) // held back in A
    for (let i = 0; i < 4; i++) errors.push('p1', rejection('B')) // p1's own window, until 15 s
    clock.advance(5_000)
    assert.deepEqual(lines.map(l => [l.at, l.message]), [[0, 'session from p0 rejected: bad A'], [10_000, '… and 1 session from 1 peer rejected in the last 10 s']])

    clock.advance(2_000)
    errors.push('p2', rejection('C')) // window B of the cap, 12..22 s: p2's line
    clock.advance(3_000) // 15 s: p1's summary of 4, held back in B
    errors.push('p3', rejection('D'))
    clock.advance(7_000)
    assert.deepEqual(lines.slice(2).map(l => [l.at, l.code, l.peer, l.message]), [
      [12_000, 'C', 'p2', 'session from p2 rejected: bad C'],
      [22_000, 'D', undefined, '… and 5 sessions from 2 peers rejected in the last 10 s']
    ])
  })

  void it('lets a peer\'s own summary through while the cap has room', () => {
    const { clock, errors, lines } = setup()
    for (let i = 0; i < 20; i++) errors.push('mallory', rejection('A'))
    clock.advance(10_000)
    assert.deepEqual(lines.map(l => [l.peer, l.message]), [
      ['mallory', 'session from mallory rejected: bad A'],
      ['mallory', '… and 19 more sessions from mallory rejected in the last 10 s']
    ])
  })

  void it('shows nothing more after stop(), and leaves no timer', () => {
    const { clock, errors, lines } = setup(1)
    errors.push('p1', rejection('A'))
    errors.push('p1', rejection('A'))
    errors.push('p2', rejection('A'))
    errors.stop()
    assert.equal(clock.pending, 0)
    clock.advance(60_000)
    assert.equal(lines.length, 1)
  })
})

void describe('rejected sessions on loopback', () => {
  it('shows one error for a peer that breaks the protocol on every session', async () => {
    const dir: TempDir = await createTempDir('securechat-session-errors-')
    cleanup.push(dir.remove)
    const alice: ChatNode = await createChatNode({ name: 'alice', dataDir: dir.path, host: '127.0.0.1', mdns: false })
    cleanup.push(async () => alice.stop())
    const errors: Array<ChatNodeEvents['error']['detail']> = []
    alice.addEventListener('error', (evt) => { errors.push(evt.detail) })

    const mallory: Libp2p = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    cleanup.push(async () => mallory.stop())
    const target = multiaddr(alice.addrs()[0] ?? '')

    for (let i = 0; i < SESSIONS; i++) {
      const stream = await mallory.dialProtocol(target, PROTOCOL_ID, { signal: AbortSignal.timeout(5_000) })
      stream.send(oversizedPrefix())
      // alice resets the stream once she has read the prefix
      await new Promise(resolve => { stream.addEventListener('close', resolve, { once: true }) })
    }

    await sleep(500)
    const mine = errors.filter(e => e.peer === mallory.peerId.toString())
    assert.equal(mine.length, 1, `one error event for ${SESSIONS} rejected sessions: ${JSON.stringify(mine)}`)
    assert.equal(mine[0]?.code, 'InvalidDataLengthError')
    assert.match(mine[0]?.message ?? '', /rejected/)
  })
})
