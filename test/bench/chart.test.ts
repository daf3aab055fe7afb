/**
 * The charts (bench/chart.ts): fixture results in a temp dir become
 * well-formed SVG files (checked by an XML validator) that carry each
 * series' label, only the newest result of each benchmark is drawn, a
 * benchmark without a renderer of its own is drawn from its parts or rates,
 * and a result with nothing to draw is skipped with a reason.
 */
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { XMLValidator } from 'fast-xml-parser'
import { formatCharts, newestResults, renderCharts } from '../../bench/chart.ts'
import { createTempDir } from '../helpers/tmp.ts'

const machine = { os: 'Linux 6.1', arch: 'x64', cpus: 2, cpuModel: 'Test CPU', memoryGiB: 24, node: 'v24.21.0' }
const pct = (p50: number, p99: number): Record<string, number> => ({ count: 100, p50, p99, max: p99 * 2, mean: p50 * 1.1 })

const LATENCY = {
  date: '2026-12-01T13:30:29.060Z',
  machine,
  options: { messages: 2000, rounds: 5000, warmup: 200, bytes: 200 },
  parts: { echo: pct(0.369, 3.633), put: pct(0.342, 4.858), floor: { p50: 1.053, p99: 13.349 }, securechat: pct(8.217, 22.512) },
  ratios: { p50: 7.8, p99: 1.69 },
  file: 'bench/results/latency-2026-12-01T13-30-29.060Z.json'
}

const count = { sent: 300, queued: 300, received: 300, acked: 300, lost: 0, duplicated: 0, outOfOrder: 0, duplicateAcks: 0, unacked: 0 }
const series = (base: number): Array<{ t: number, mb: number }> => Array.from({ length: 13 }, (_, i) => ({ t: i * 5, mb: base + (i % 3) }))
const SOAK = {
  date: '2026-12-01T15:00:00.000Z',
  machine,
  options: { peers: 5, duration: 60, rate: 0.5, bytes: 200, sampleInterval: 5, drain: 60 },
  messages: { toHub: count, fromHub: count },
  exactlyOnce: true,
  latency: { toHub: pct(10, 40), fromHub: pct(12, 45) },
  progress: [0, 5, 10].map(t => ({ t, toHub: t % 2, fromHub: 1, hubCpu: t / 10 })),
  memory: {
    rss: series(150),
    heap: series(30),
    external: series(10),
    trends: {
      rss: { start: 150, peak: 152, end: 150, mean: 151, slope: 0.1, flat: true },
      heap: { start: 30, peak: 32, end: 30, mean: 31, slope: -0.05, flat: true }
    },
    hwm: 160,
    flat: true
  },
  file: 'soak.json'
}

const THROUGHPUT = {
  date: '2026-12-01T16:30:00.000Z',
  machine,
  options: { messages: 5000, senders: 10, bytes: 200, rounds: 50000 },
  rates: { pipelined: 35000, sequential: 5000, securechat: 11000, fanIn: 14000, aesGcm: 90000, sessionCipher: 80000 },
  ratios: { securechatToPipelined: 0.314, securechatToSequential: 2.2, fanInToSingle: 1.27, sessionCipherToAesGcm: 0.89 }
}
const timing = (p50: number): Record<string, unknown> => ({ ready: pct(p50, p50 * 1.5), cpuMs: p50 })
const STARTUP = {
  date: '2026-12-01T16:00:00.000Z',
  machine,
  baselines: { node: timing(40), importLibp2p: timing(150), bareLibp2p: timing(200) },
  cases: [{ launcher: 'built', state: 'existing', passphrase: false, ...timing(400) }, { launcher: 'npx', state: 'fresh', passphrase: true, ...timing(900) }],
  ratios: { built: 2, npx: 4.5 }
}
const FANOUT = {
  date: '2026-12-01T17:00:00.000Z',
  machine,
  options: { members: 50, posts: 200, messages: 500, warmup: 20, throughputPosts: 400, throughputMessages: 2000, inFlight: 16, bytes: 200, workers: 5, timeout: 30 },
  parts: { direct: pct(4, 9), fanoutFirst: pct(6, 14), fanout: pct(60, 120) },
  rates: { direct: 700, posts: 20, memberDeliveries: 1000 },
  ratios: { latencyP50ToDirect: 15, latencyP99ToDirect: 13.3, latencyP50ToSerial: 0.3, latencyP99ToSerial: 0.267, deliveriesToDirect: 1.43, postsToDirect: 0.029 },
  ok: true
}
const FILES = {
  date: '2026-12-01T17:20:00.000Z',
  machine,
  options: { sizeMib: 256, repetitions: 5, warmup: 1, timeout: 300, writeBytes: 61440 },
  rates: { bare: 100, bareReceived: 101, fileStreaming: 60, fileFromAccept: 55, fileWhole: 50 },
  ratios: { streamingToBare: 0.6, fromAcceptToBare: 0.55, wholeToBare: 0.5 },
  goal: { ratio: 0.8, met: false, metWhole: false },
  stages: { hash: 700, offer: 20, accept: 30, streaming: 4000, check: 800, done: 30 },
  runs: { bare: [], file: [{ gets: 1 }, { gets: 3 }] },
  ok: true
}
/** a benchmark without a chart of its own: drawn from its parts' percentiles */
const EXAMPLE = { date: '2026-12-01T17:10:00.000Z', machine, parts: { 'one to 50 members': pct(30, 60), 'one to one': pct(8, 20) }, ratios: { fanout: 3.75 } }
/** nor this one, without percentiles: drawn from its rates */
const FAULTS = { date: '2026-12-01T17:30:00.000Z', machine, crash: { rate: 20, messages: 5000 }, cut: { rate: 23, messages: 1000 }, ok: true }

const dir = await createTempDir('securechat-bench-chart-')
after(async () => { await dir.remove() })

async function put (name: string, date: string, result: unknown): Promise<void> {
  await writeFile(join(dir.path, `${name}-${date.replaceAll(':', '-')}.json`), JSON.stringify(result))
}

void describe('benchmark charts', () => {
  void it('draws the newest result of each benchmark as well-formed SVG with every series labelled', async () => {
    await put('latency', '2026-11-30T09:00:00.000Z', { ...LATENCY, parts: {} }) // older, not drawn
    await put('latency', LATENCY.date, LATENCY)
    await put('soak', SOAK.date, SOAK)
    await put('startup', STARTUP.date, STARTUP)
    await put('throughput', THROUGHPUT.date, THROUGHPUT)
    await put('fanout', FANOUT.date, FANOUT)
    await put('files', FILES.date, FILES)
    await put('example', EXAMPLE.date, EXAMPLE)
    await put('faults', FAULTS.date, FAULTS)
    await put('relay', '2026-12-01T18:00:00.000Z', { date: '2026-12-01T18:00:00.000Z', machine, levels: [] })
    await writeFile(join(dir.path, 'notes.txt'), 'not a result')

    const newest = await newestResults(dir.path)
    assert.equal(newest.get('latency'), join(dir.path, 'latency-2026-12-01T13-30-29.060Z.json'))

    const out = join(dir.path, 'svg')
    const charts = await renderCharts({ resultsDir: dir.path, outDir: out })
    assert.deepEqual(charts.map(c => c.name).sort(), ['example', 'fanout', 'faults', 'files', 'latency', 'relay', 'soak', 'startup', 'throughput'])
    assert.deepEqual((await readdir(out)).sort(), ['example.svg', 'fanout.svg', 'faults.svg', 'files.svg', 'latency.svg', 'soak.svg', 'startup.svg', 'throughput.svg'])
    const relay = charts.find(c => c.name === 'relay')
    assert.equal(relay?.file, undefined)
    assert.equal(relay?.skipped, 'no client levels')
    assert.match(formatCharts(charts), /relay\s+no chart: no client levels/)

    const labels: Record<string, string[]> = {
      latency: ['echo round trip (TCP+Noise+Yamux)', 'synced LevelDB put, sender', 'synced LevelDB put, receiver', 'securechat send → delivered', 'p50', 'p99', '7.80×', 'Test CPU'],
      soak: ['hub RSS (VmRSS)', 'hub heap used after GC', 'RSS trend, second half', 'heap trend, second half', 'hub Buffers (V8 external)', '600 messages, every message exactly once', 'memory flat', 'sent to the hub, not yet received', 'sent by the hub, not yet received'],
      startup: ['baseline: node -e', 'baseline: a bare libp2p node started', 'built, existing data dir', 'npx, fresh data dir, passphrase', 'npx 4.50×'],
      throughput: ['bare stream, pipelined', 'bare stream, one at a time', 'securechat, durable', 'securechat, fan-in', 'bare AES-256-GCM', 'SessionCipher', '0.314 (goal ≥ 0.3)'],
      fanout: ['direct: send() → delivered', 'post() → first member delivered', 'post() → last member delivered', '50 × direct (one member after another)', 'member deliveries/s (posts × 50)', 'room posts/s', 'p50 0.300×', '1.43×', 'every post reached every member exactly once'],
      files: ['bare stream, same connection', 'file service: first → last progress', 'file service: accept() → complete', 'file service: offer() → complete', 'goal: 0.8 × bare', 'streaming 0.600', 'streaming NOT met', 'final sync + SHA-256 + rename', 'cut and resumed 2 times'],
      example: ['one to 50 members', 'one to one', 'fanout 3.75×'],
      faults: ['crash rate', 'cut rate', 'per second']
    }
    for (const [name, expected] of Object.entries(labels)) {
      const svg = await readFile(join(out, `${name}.svg`), 'utf8')
      assert.equal(XMLValidator.validate(svg), true, `${name}.svg is well-formed XML`)
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      for (const label of expected) assert.ok(svg.includes(label), `${name}.svg shows "${label}"`)
    }
  })

  void it('renders nothing, and says so, when there are no results', async () => {
    const empty = join(dir.path, 'none')
    assert.deepEqual(await renderCharts({ resultsDir: empty }), [])
    assert.equal(formatCharts([]), 'no results to chart')
  })
})
