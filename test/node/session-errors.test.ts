/**
 * Calm under attack, with a real node on loopback: a peer that breaks the
 * protocol on session after session (an oversized frame each time) makes
 * the node show one `error` event for it, not one per session (the rest
 * of the window comes as one summary at its end: test/util/throttle.test.ts).
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
import { MAX_FRAME_BYTES, PROTOCOL_ID } from '../../src/protocol/constants.ts'
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
