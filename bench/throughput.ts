/**
 * Durable throughput, against baselines measured in the same run, in one
 * process, on loopback (issue 10):
 *
 * - pipelined: a bare libp2p stream on the same stack (TCP, Noise, Yamux):
 *   the client writes every lp-framed message without waiting and the
 *   server echoes each; messages/s until the last echo is back. What the
 *   transport alone can carry, acknowledged.
 * - sequential: the same, one message and its echo at a time.
 * - securechat: two real nodes (contacts); every send() issued at once and
 *   the rate measured until the last `delivered` event: each message synced
 *   to disk on both sides before its ack (group commit lets many share one
 *   fsync).
 * - fan-in: `senders` nodes send into one node at once, the same count each.
 * - cipher: SessionCipher seal + open against bare AES-256-GCM of the same
 *   bytes: what counters, nonces and AAD cost.
 *
 * Ratios: securechat / pipelined (the goal is ≥ 0.3), fan-in / securechat.
 *
 * Run: npm run bench -- throughput, or alone:
 * node --experimental-transform-types bench/throughput.ts [--messages N --senders N --bytes N]
 */
import { randomBytes } from 'node:crypto'
import { open, seal } from '../src/crypto/aead.ts'
import { SessionCipher } from '../src/protocol/session.ts'
import { LoopbackNodes } from '../test/helpers/nodes.ts'
import { cell, cliOptions, machineLine, printResult } from './cli.ts'
import { countOptions, echoStream, saveResult } from './common.ts'
import type { Machine } from './common.ts'
import type { ChatNode } from '../src/types.ts'

export interface ThroughputOptions {
  /** messages into the one conversation, and per fan-in sender; @default 5000 */
  messages?: number
  /** fan-in senders; @default 10 */
  senders?: number
  /** payload bytes; @default 200 */
  bytes?: number
  /** cipher seal+open rounds; @default 50000 */
  rounds?: number
  /** where `throughput-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
}

export interface ThroughputResult {
  date: string
  machine: Machine
  options: Required<Omit<ThroughputOptions, 'resultsDir'>>
  /** messages (or operations) per second */
  rates: {
    pipelined: number
    sequential: number
    securechat: number
    fanIn: number
    aesGcm: number
    sessionCipher: number
  }
  ratios: {
    /** securechat / pipelined: the goal is ≥ 0.3 */
    securechatToPipelined: number
    securechatToSequential: number
    /** fan-in total / securechat (one sender) */
    fanInToSingle: number
    sessionCipherToAesGcm: number
  }
  file: string
}

const ECHO = '/securechat-bench/throughput-echo/1.0.0'

function rate (count: number, ms: number): number {
  return count / (ms / 1000)
}

/** bare libp2p echo of `count` messages: all written at once (pipelined), or one at a time */
async function echoRate (count: number, payload: Uint8Array, pipelined: boolean): Promise<number> {
  return echoStream(ECHO, count, payload.byteLength, async lp => {
    const start = performance.now()
    if (pipelined) {
      const reading = (async () => { for (let i = 0; i < count; i++) await lp.read() })()
      for (let i = 0; i < count; i++) await lp.write(payload)
      await reading
    } else {
      for (let i = 0; i < count; i++) {
        await lp.write(payload)
        await lp.read()
      }
    }
    return rate(count, performance.now() - start)
  })
}

/** `sender` and `receiver` are contacts of each other; the first message went through */
async function befriend (sender: ChatNode, receiver: ChatNode): Promise<void> {
  await sender.connect(receiver.addrs()[0] ?? '')
  const first = Promise.withResolvers<void>()
  const onDelivered = (): void => { first.resolve() }
  sender.addEventListener('delivered', onDelivered, { once: true })
  await sender.send(receiver.peerId, 'hello')
  await first.promise
  // a stranger's messages past the quarantine bound (100) would never be acked
  await receiver.accept(sender.peerId)
}

/** every sender sends `count` messages to `receiver` at once; messages/s in all, until the last is delivered */
async function deliveryRate (senders: ChatNode[], receiver: ChatNode, count: number, text: string): Promise<number> {
  let delivered = 0
  const total = senders.length * count
  const done = Promise.withResolvers<void>()
  const onDelivered = (): void => { if (++delivered === total) done.resolve() }
  for (const s of senders) s.addEventListener('delivered', onDelivered)
  try {
    const start = performance.now()
    const sends = senders.flatMap(s => Array.from({ length: count }, async () => s.send(receiver.peerId, text)))
    await Promise.all(sends)
    await done.promise
    return rate(total, performance.now() - start)
  } finally {
    for (const s of senders) s.removeEventListener('delivered', onDelivered)
  }
}

function cipherRates (rounds: number, bytes: number): { aesGcm: number, sessionCipher: number } {
  const payload = new Uint8Array(randomBytes(bytes))
  const key = new Uint8Array(randomBytes(32))
  const nonce = new Uint8Array(12)
  const aad = new Uint8Array(20)
  const i2r = new Uint8Array(randomBytes(32))
  const r2i = new Uint8Array(randomBytes(32))
  const a = new SessionCipher({ role: 'initiator', sendKey: i2r, recvKey: r2i })
  const b = new SessionCipher({ role: 'responder', sendKey: new Uint8Array(r2i), recvKey: new Uint8Array(i2r) })
  const runBare = (n: number): void => { for (let i = 0; i < n; i++) open(key, nonce, seal(key, nonce, payload, aad), aad) }
  const runSession = (n: number): void => { for (let i = 0; i < n; i++) b.open(a.seal(payload)) }
  const timed = (run: (n: number) => void): number => {
    const start = performance.now()
    run(rounds)
    return rate(rounds, performance.now() - start)
  }
  // both warmed up first, then each twice, the better kept: neither pays for the JIT or the other's garbage
  runBare(Math.ceil(rounds / 5))
  runSession(Math.ceil(rounds / 5))
  return { aesGcm: Math.max(timed(runBare), timed(runBare)), sessionCipher: Math.max(timed(runSession), timed(runSession)) }
}

export async function runThroughput (init: ThroughputOptions = {}): Promise<ThroughputResult> {
  const options = countOptions(init, { messages: 5000, senders: 10, bytes: 200, rounds: 50_000 })
  const text = 'x'.repeat(options.bytes)
  const payload = new TextEncoder().encode(text)

  const { aesGcm, sessionCipher } = cipherRates(options.rounds, options.bytes)
  const pipelined = await echoRate(options.messages, payload, true)
  const sequential = await echoRate(options.messages, payload, false)

  const loopback = new LoopbackNodes('securechat-bench-throughput-')
  let securechat: number
  let fanIn: number
  try {
    // every sender dials from 127.0.0.1: lift the receiver's per-IP rate of new
    // connections (5/s), meant for one host, not for ten peers sharing one address
    const receiver = await loopback.start({ name: 'receiver', connections: { inboundConnectionsPerIp: 1_000 } })
    const senders: ChatNode[] = []
    for (let i = 0; i < options.senders; i++) {
      const sender = await loopback.start({ name: `sender${i}` })
      await befriend(sender, receiver)
      senders.push(sender)
    }
    securechat = await deliveryRate(senders.slice(0, 1), receiver, options.messages, text)
    fanIn = await deliveryRate(senders, receiver, Math.ceil(options.messages / options.senders), text)
  } finally {
    await loopback.cleanup()
  }

  return saveResult('throughput', {
    options,
    rates: { pipelined, sequential, securechat, fanIn, aesGcm, sessionCipher },
    ratios: {
      securechatToPipelined: securechat / pipelined,
      securechatToSequential: securechat / sequential,
      fanInToSingle: fanIn / securechat,
      sessionCipherToAesGcm: sessionCipher / aesGcm
    },
  }, init.resultsDir)
}

export function formatThroughput (r: ThroughputResult): string {
  const n = (v: number): string => cell(v, 0, 10)
  const x = (v: number): string => `${cell(v, 3, 8)} ×`
  return [
    `throughput, ${r.options.bytes}-byte messages, loopback, one process (${machineLine(r.machine)})`,
    `${'part'.padEnd(44)}${'msg/s'.padStart(10)}`,
    `${'bare stream, pipelined, echoed'.padEnd(44)}${n(r.rates.pipelined)}`,
    `${'bare stream, one echo at a time'.padEnd(44)}${n(r.rates.sequential)}`,
    `${'securechat, durable and acked, 1 sender'.padEnd(44)}${n(r.rates.securechat)}`,
    `${`securechat fan-in, ${r.options.senders} senders, in all`.padEnd(44)}${n(r.rates.fanIn)}`,
    `${'AES-256-GCM seal+open (op/s)'.padEnd(44)}${n(r.rates.aesGcm)}`,
    `${'SessionCipher seal+open (op/s)'.padEnd(44)}${n(r.rates.sessionCipher)}`,
    `${'ratio securechat / pipelined (goal ≥ 0.3)'.padEnd(44)}${x(r.ratios.securechatToPipelined)}`,
    `${'ratio securechat / one echo at a time'.padEnd(44)}${x(r.ratios.securechatToSequential)}`,
    `${'ratio fan-in / one sender'.padEnd(44)}${x(r.ratios.fanInToSingle)}`,
    `${'ratio SessionCipher / AES-256-GCM'.padEnd(44)}${x(r.ratios.sessionCipherToAesGcm)}`,
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  await printResult(runThroughput(cliOptions({ messages: 'number', senders: 'number', bytes: 'number', rounds: 'number' })), formatThroughput)
}
