/**
 * Connection fairness with real nodes on loopback: a securechat node A
 * under a flood of strangers (plain libp2p nodes, 40 identities wanting 4
 * connections each and one wanting 10, redialling for as long as the flood
 * lasts) holds at most the strangers' share of its budget and at most the
 * per-peer cap per identity, and its contact C still connects and gets a
 * message through during the flood.
 *
 * Everyone here comes from 127.0.0.1, so A's per-IP limits for direct
 * connections (the rate, and the handshakes in flight, which would refuse C
 * along with the flood, as designed: they cannot tell them apart) are
 * raised out of the way; test/net/gater.test.ts and handshakes.test.ts
 * cover them, and test/net/flood.nettest.ts the real thing from many IPs.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { MAX_CONNECTIONS_PER_PEER, MAX_STRANGER_CONNECTIONS } from '../../src/net/constants.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { ChatNodeInit } from '../../src/node/index.ts'
import type { ChatNode } from '../../src/types.ts'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const IDENTITIES = 40
const GREEDY_WANTS = 10
/**
 * A flooder's connection younger than this may be one A has not decided on
 * yet: Noise's initiator finishes (and, the muxer chosen inside the
 * handshake, counts the connection as open) one message before A does, and
 * with every node in this one process A's side can lag by a few hundred ms.
 */
const SETTLED_MS = 1_000

const loopback = new LoopbackNodes('securechat-fairness-')
const flooders: Libp2p[] = []
/** when each flooder connection (by id) opened on the flooder's side */
const openedAt = new Map<string, number>()

after(async () => {
  await Promise.allSettled(flooders.map(async f => f.stop()))
  await loopback.cleanup()
})

const newDataDir = async (): Promise<string> => loopback.dataDir()
const start = async (init: Partial<ChatNodeInit> & { name: string }): Promise<ChatNode> => loopback.start(init)

async function newFlooder (): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  node.addEventListener('connection:open', (evt) => { openedAt.set(evt.detail.id, Date.now()) })
  flooders.push(node)
  return node
}

/** Keeps `wants` connections to `target` open, redialling whatever fails or closes, until `signal` aborts */
async function flood (node: Libp2p, target: Multiaddr, peer: PeerId, wants: number, signal: AbortSignal): Promise<{ attempts: number }> {
  let attempts = 0

  while (!signal.aborted) {
    if (node.getConnections(peer).filter(c => c.status === 'open').length >= wants) {
      await sleep(50)
      continue
    }

    attempts++
    await node.dial(target, { force: true, signal }).catch(() => {})
    await sleep(100)
  }

  return { attempts }
}

/** the open connections each flooder holds to `peer`, opened at least `settled` ms ago */
function held (peer: PeerId, settled = SETTLED_MS): number[] {
  const now = Date.now()
  return flooders.map(f => f.getConnections(peer).filter(c => c.status === 'open' && now - (openedAt.get(c.id) ?? now) >= settled).length)
}

void describe('connection fairness on loopback', () => {
  it('keeps strangers to their share and to the per-peer cap, and lets a contact in during the flood', async () => {
    const began = Date.now()
    const alice = await start({ name: 'alice', connections: { inboundConnectionsPerIp: 1_000_000, pendingHandshakesPerIp: 1_000_000 } })
    const alicePeer = peerIdFromString(alice.peerId)
    const target = multiaddr(alice.addrs()[0] ?? '')
    const carolDir = await newDataDir()
    let carol = await start({ name: 'carol', dataDir: carolDir })

    // alice writes to carol: carol is a contact of alice's from now on
    await alice.connect(carol.addrs()[0] ?? '')
    const delivered = nextEvent(alice, 'delivered')
    await alice.send(carol.peerId, 'hello carol')
    await delivered
    await carol.stop()

    // what the flooders hold, sampled for as long as the flood lasts
    let most = 0
    let mostPerPeer = 0
    const sample = (): number => {
      const counts = held(alicePeer)
      const total = counts.reduce((a, b) => a + b, 0)
      most = Math.max(most, total)
      mostPerPeer = Math.max(mostPerPeer, ...counts)
      return total
    }
    const sampling = setInterval(sample, 50)
    const stopFlood = new AbortController()
    const flooding: Array<Promise<{ attempts: number }>> = []

    try {
      // the greedy identity first, so that it meets the per-peer cap before the budget fills
      flooding.push(flood(await newFlooder(), target, alicePeer, GREEDY_WANTS, stopFlood.signal))
      await until('the greedy identity to fill its cap', () => (held(alicePeer)[0] ?? 0) >= MAX_CONNECTIONS_PER_PEER)

      for (let i = 0; i < IDENTITIES; i++) {
        flooding.push(flood(await newFlooder(), target, alicePeer, 4, stopFlood.signal))
      }

      await until('the flood to take every stranger slot', () => sample() >= MAX_STRANGER_CONNECTIONS, 10_000)
      const filled = Date.now() - began

      // carol comes back during the flood: she gets in, and her message through
      carol = await start({ name: 'carol', dataDir: carolDir })
      const message = nextEvent(alice, 'message', m => m.from === carol.peerId)
      await carol.connect(alice.addrs()[0] ?? '')
      await carol.send(alice.peerId, 'through the flood')
      const got = await message
      assert.equal(got.text, 'through the flood')
      assert.equal((got as { request?: boolean }).request, undefined, 'from a contact, not a request')
      console.log(`flood: share filled after ${filled} ms, carol's message in after ${Date.now() - began} ms`)
    } finally {
      clearInterval(sampling)
      stopFlood.abort()
    }

    const attempts = (await Promise.all(flooding)).map(r => r.attempts)
    console.log(`flood: ${attempts.reduce((a, b) => a + b, 0)} dials, ${attempts[0]} by the greedy identity; most held ${most}, by one identity ${mostPerPeer}`)
    assert.ok(most <= MAX_STRANGER_CONNECTIONS, `strangers held ${most} > ${MAX_STRANGER_CONNECTIONS}`)
    assert.ok(mostPerPeer <= MAX_CONNECTIONS_PER_PEER, `one identity held ${mostPerPeer} > ${MAX_CONNECTIONS_PER_PEER}`)
    assert.ok((attempts[0] ?? 0) > MAX_CONNECTIONS_PER_PEER, 'the greedy identity tried past the cap')

    // the flood over and every handshake decided, what the flooders still
    // hold is exactly what alice holds: she closes what she refuses
    await sleep(SETTLED_MS)
    const end = held(alicePeer, 0)
    assert.ok(end.reduce((a, b) => a + b, 0) <= MAX_STRANGER_CONNECTIONS, `strangers hold ${end.reduce((a, b) => a + b, 0)} at the end`)
    assert.ok(end.every(n => n <= MAX_CONNECTIONS_PER_PEER), `per identity at the end: ${end.join(',')}`)
  })
})
