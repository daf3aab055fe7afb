/**
 * Throughput benchmark, reported as ratios against baselines measured in the
 * same run (absolute numbers on a shared 2-core machine mean little):
 *
 * 1. cipher: SessionCipher seal+open of 1 KiB envelopes vs bare AES-256-GCM
 *    seal+open of the same bytes: the cost of counters, nonces and AAD.
 * 2. delivery: messages/s from node A to node B through the whole stack
 *    (outbox, /securechat/1.0.0, ack after B's synced LevelDB write) vs a
 *    plain length-prefixed echo between two bare libp2p nodes with the same
 *    transport stack (TCP, Noise, Yamux) on loopback.
 *
 * Run: npm run bench [-- --messages N]
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { open, seal } from '../src/crypto/aead.ts'
import { createChatNode } from '../src/node/index.ts'
import { SessionCipher } from '../src/protocol/session.ts'
import { createTempDir } from '../test/helpers/tmp.ts'
import type { ChatNode } from '../src/types.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } })
const MESSAGES = Number(values.messages)

function rate (count: number, ms: number): number {
  return count / (ms / 1000)
}

function benchCipher (): void {
  const rounds = 50_000
  const payload = new Uint8Array(randomBytes(1024))
  const key = new Uint8Array(randomBytes(32))
  const nonce = new Uint8Array(12)
  const aad = new Uint8Array(20)

  const i2r = new Uint8Array(randomBytes(32))
  const r2i = new Uint8Array(randomBytes(32))
  const a = new SessionCipher({ role: 'initiator', sendKey: i2r, recvKey: r2i })
  const b = new SessionCipher({ role: 'responder', sendKey: new Uint8Array(r2i), recvKey: new Uint8Array(i2r) })
  const runBare = (n: number): void => {
    for (let i = 0; i < n; i++) open(key, nonce, seal(key, nonce, payload, aad), aad)
  }
  const runSession = (n: number): void => {
    for (let i = 0; i < n; i++) b.open(a.seal(payload))
  }
  const timed = (run: (n: number) => void): number => {
    const start = performance.now()
    run(rounds)
    return rate(rounds, performance.now() - start)
  }

  // warm both up first, then alternate, so neither pays for the JIT or the other's garbage
  runBare(rounds / 5)
  runSession(rounds / 5)
  const bare = Math.max(timed(runBare), timed(runBare))
  const session = Math.max(timed(runSession), timed(runSession))

  console.log(`cipher   bare AES-GCM ${bare.toFixed(0)} op/s, SessionCipher ${session.toFixed(0)} op/s, ratio ${(session / bare).toFixed(2)}`)
}

const ECHO = '/securechat-bench/echo/1.0.0'

/** Baseline: one lp-framed message and its echo at a time, bare libp2p, same stack */
async function benchEcho (payload: Uint8Array): Promise<number> {
  const make = async (): Promise<Awaited<ReturnType<typeof createLibp2p>>> => createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  const [server, client] = [await make(), await make()]

  try {
    await server.handle(ECHO, async (stream) => {
      const lp = lpStream(stream)
      for (let i = 0; i < MESSAGES; i++) await lp.write(await lp.read())
      await stream.close()
    })
    const stream = await client.dialProtocol(server.getMultiaddrs(), ECHO)
    const lp = lpStream(stream)
    const start = performance.now()
    for (let i = 0; i < MESSAGES; i++) {
      await lp.write(payload)
      await lp.read()
    }
    const result = rate(MESSAGES, performance.now() - start)
    await stream.close()
    return result
  } finally {
    await Promise.allSettled([server.stop(), client.stop()])
  }
}

async function benchDelivery (): Promise<void> {
  const dirs = await Promise.all([0, 1].map(async () => createTempDir('securechat-bench-')))
  const nodes: ChatNode[] = []

  try {
    const [alice, bob] = await Promise.all(dirs.map(async (dir, i) => createChatNode({ name: i === 0 ? 'alice' : 'bob', dataDir: dir.path, host: '127.0.0.1', mdns: false })))
    nodes.push(alice as ChatNode, bob as ChatNode)
    const a = alice as ChatNode
    const b = bob as ChatNode
    await a.connect(b.addrs()[0] ?? '')
    // bob makes alice a contact first: a stranger's messages past the quarantine bound (100) are never acknowledged
    const first = Promise.withResolvers<void>()
    a.addEventListener('delivered', () => { first.resolve() }, { once: true })
    await a.send(b.peerId, 'hello')
    await first.promise
    await b.accept(a.peerId)

    const text = 'x'.repeat(200)
    const echo = await benchEcho(new TextEncoder().encode(text))

    // securechat: queue everything, wait until every message is acknowledged
    let delivered = 0
    const done = Promise.withResolvers<void>()
    a.addEventListener('delivered', () => { if (++delivered === MESSAGES) done.resolve() })
    const start = performance.now()
    for (let i = 0; i < MESSAGES; i++) await a.send(b.peerId, text)
    await done.promise
    const chat = rate(MESSAGES, performance.now() - start)

    console.log(`delivery plain echo ${echo.toFixed(0)} msg/s, securechat ${chat.toFixed(0)} msg/s (durable, acked), ratio ${(chat / echo).toFixed(2)}`)
  } finally {
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await Promise.all(dirs.map(async d => d.remove()))
  }
}

benchCipher()
await benchDelivery()
