/**
 * Latency of one message against its physical floor, both measured in the
 * same run, in one process, on loopback (issue 10):
 *
 * - echo: one 200-byte lp-framed message and its echo over one stream
 *   between two bare libp2p nodes on the same stack (TCP, Noise, Yamux).
 * - put: one synced LevelDB write of 200 bytes (`batch(..., { sync: true })`,
 *   the way src/store writes).
 * - floor = echo + 2 × put, per percentile: the round trip plus the sender's
 *   and the receiver's durable write.
 * - securechat: two real nodes (contacts), one message at a time, from
 *   `send()` to its `delivered` event.
 *
 * Every sample goes into an HDR histogram; warm-up samples are discarded.
 * The result is a table on stdout and a JSON file under bench/results/.
 *
 * Run: LATENCY_MESSAGES=N LATENCY_ROUNDS=N LATENCY_WARMUP=N npm run bench
 * (npm run bench runs this, then bench/throughput.ts, which takes the
 * arguments after `--`), or alone:
 * node --experimental-transform-types bench/latency.ts [--messages N --rounds N --warmup N]
 */
import { randomBytes } from 'node:crypto'
import { Level } from 'level'
import { LoopbackNodes } from '../test/helpers/nodes.ts'
import { createTempDir } from '../test/helpers/tmp.ts'
import { cell, cliOptions, machineLine, printResult, ratioCell } from './cli.ts'
import { countOptions, echoStream, sample, saveResult } from './common.ts'
import type { Machine, Percentiles } from './common.ts'

export type { Percentiles } from './common.ts'

export interface LatencyOptions {
  /** securechat messages measured; @default 2000 */
  messages?: number
  /** echo round trips and synced puts measured; @default 5000 */
  rounds?: number
  /** samples of each part run first and discarded; @default 200 */
  warmup?: number
  /** payload size in bytes; @default 200 */
  bytes?: number
  /** where `latency-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
}

export interface LatencyResult {
  date: string
  machine: Machine
  options: Required<Omit<LatencyOptions, 'resultsDir'>>
  parts: {
    echo: Percentiles
    put: Percentiles
    /** echo + 2 × put, per percentile */
    floor: { p50: number, p99: number }
    securechat: Percentiles
  }
  /** securechat / floor */
  ratios: { p50: number, p99: number }
  /** the JSON file written */
  file: string
}

const ECHO = '/securechat-bench/latency-echo/1.0.0'

/** bare libp2p, same stack, one stream, one message and its echo at a time */
async function echoPart (count: number, warmup: number, payload: Uint8Array): Promise<Percentiles> {
  return echoStream(ECHO, warmup + count, payload.byteLength, async lp => sample(count, warmup, async () => {
    await lp.write(payload)
    await lp.read()
  }))
}

/** one synced LevelDB batch of one put, sortable keys */
async function putPart (count: number, warmup: number, payload: Uint8Array): Promise<Percentiles> {
  const dir = await createTempDir('securechat-bench-level-')
  const db = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
  try {
    await db.open()
    return await sample(count, warmup, async (i) => {
      await db.batch([{ type: 'put', key: String(i).padStart(10, '0'), value: payload }], { sync: true })
    })
  } finally {
    await db.close()
    await dir.remove()
  }
}

/** two real nodes, contacts; send() to `delivered`, one message at a time */
async function securechatPart (count: number, warmup: number, text: string): Promise<Percentiles> {
  const loopback = new LoopbackNodes('securechat-bench-latency-')
  try {
    const alice = await loopback.start({ name: 'alice' })
    const bob = await loopback.start({ name: 'bob' })
    await alice.connect(bob.addrs()[0] ?? '')

    // one message at a time, so the next `delivered` is the one just sent
    const nextDelivered = async (): Promise<string> => new Promise(resolve => {
      alice.addEventListener('delivered', (evt) => { resolve(evt.detail.id) }, { once: true })
    })
    const deliver = async (): Promise<void> => {
      const delivered = nextDelivered()
      const { id } = await alice.send(bob.peerId, text)
      const got = await delivered
      if (got !== id) throw new Error(`delivered ${got}, expected ${id}`)
    }

    // a stranger's first message is a request: bob accepts, then alice is a contact
    await deliver()
    await bob.accept(alice.peerId)
    return await sample(count, warmup, deliver)
  } finally {
    await loopback.cleanup()
  }
}

/** runs the four parts in turn and writes `latency-<ISO date>.json` */
export async function runLatency (init: LatencyOptions = {}): Promise<LatencyResult> {
  const options = countOptions(init, { messages: 2000, rounds: 5000, warmup: 200, bytes: 200 }, ['warmup'])
  const payload = new Uint8Array(randomBytes(options.bytes))

  const echo = await echoPart(options.rounds, options.warmup, payload)
  const put = await putPart(options.rounds, options.warmup, payload)
  const securechat = await securechatPart(options.messages, options.warmup, 'x'.repeat(options.bytes))
  const floor = { p50: echo.p50 + 2 * put.p50, p99: echo.p99 + 2 * put.p99 }

  const parts = { echo, put, floor, securechat }
  const ratios = { p50: securechat.p50 / floor.p50, p99: securechat.p99 / floor.p99 }
  return saveResult('latency', { options, parts, ratios }, init.resultsDir)
}

/** the stdout table: p50 and p99 in ms per part, then the ratios */
export function formatLatency (r: LatencyResult): string {
  const ms = (v: number): string => cell(v, 3, 9)
  const row = (name: string, p: { p50: number, p99: number }, n = ''): string => `${name.padEnd(28)}${ms(p.p50)}${ms(p.p99)}  ${n}`
  const { echo, put, floor, securechat } = r.parts
  return [
    `latency, ${r.options.bytes}-byte messages, loopback, one process (${machineLine(r.machine)})`,
    `${'part'.padEnd(28)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}  samples`,
    row('echo (TCP+Noise+Yamux RTT)', echo, String(echo.count)),
    row('synced LevelDB put', put, String(put.count)),
    row('floor = echo + 2 × put', floor),
    row('securechat send→delivered', securechat, String(securechat.count)),
    `${'ratio securechat / floor'.padEnd(28)}${ratioCell(r.ratios.p50, 2, 8)}${ratioCell(r.ratios.p99, 2, 8)}`,
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  await printResult(runLatency(cliOptions({ messages: 'number', rounds: 'number', warmup: 'number' }, { env: 'LATENCY' })), formatLatency)
}
