/**
 * Charts of the benchmark results (issue 10): the newest JSON of each
 * benchmark under bench/results/ (`<name>-<ISO date>.json`, bench/common.ts)
 * becomes `<name>.svg` in the same folder.
 *
 * - Vega-Lite specs compiled to Vega and rendered by `View.toSVG()` with no
 *   renderer attached (`renderer: 'none'`): headless, in node, with neither a
 *   browser nor a native canvas (text widths are estimated).
 * - The SVGs go beside the JSON they are drawn from, under stable names
 *   (latency.svg, not latency-<date>.svg): bench/ holds the benchmarks and
 *   their results (STYLE.md), a fresh run replaces the picture the README
 *   links to by a relative path, and each chart names its result's date and
 *   machine in its subtitle, so a chart and its numbers cannot drift apart
 *   unnoticed.
 * - latency, throughput, fanout, files, history, startup, relay and soak
 *   have charts of their own. Any other result (faults, a new benchmark) is
 *   drawn from its `parts`: p50 and p99 of each part when they are
 *   percentiles, else every numeric field naming a rate (`rate`,
 *   `…PerSecond`), so a new benchmark gets a chart before it gets a
 *   renderer.
 *
 * Run: npm run bench -- chart, or node --experimental-transform-types bench/chart.ts
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parse, View } from 'vega'
import { compile } from 'vega-lite'
import { DEFAULT_RESULTS_DIR } from './common.ts'
import type { TopLevelSpec } from 'vega-lite'

export interface ChartOptions {
  /** where the JSON results are read; @default bench/results */
  resultsDir?: string
  /** where `<name>.svg` go; @default resultsDir */
  outDir?: string
}

export interface Chart {
  /** the benchmark */
  name: string
  /** the JSON it was drawn from */
  source: string
  /** the SVG written, or undefined when the result has nothing to draw */
  file?: string
  /** why there is no chart */
  skipped?: string
}

type Json = Record<string, unknown>
type Row = Record<string, string | number>

const RESULT = /^(?<name>[a-z][a-z0-9-]*?)-(?<date>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d+)?Z)\.json$/
const WIDTH = 280
const HEIGHT = 220
const RATE = /(^rate$|PerSecond$|PerSec$|^perSecond$|^opsPerSecond$)/

/** the newest result file of each benchmark in `dir`, by name (ISO dates sort as text) */
export async function newestResults (dir: string): Promise<Map<string, string>> {
  const newest = new Map<string, string>()
  const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  for (const file of files.sort()) {
    const name = RESULT.exec(file)?.groups?.name
    if (name !== undefined) newest.set(name, join(dir, file))
  }
  return newest
}

function isObject (v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function num (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function isPercentiles (v: unknown): v is { p50: number, p99: number } {
  return isObject(v) && num(v.p50) !== undefined && num(v.p99) !== undefined
}

function fixed (v: unknown, digits = 2): string {
  return num(v)?.toFixed(digits) ?? '?'
}

/** "2026-12-01 13:30 UTC · Linux …, 2 × AMD EPYC, node v24.21.0" */
function provenance (r: Json): string {
  const date = typeof r.date === 'string' ? r.date.slice(0, 16).replace('T', ' ') + ' UTC' : 'undated'
  const m = isObject(r.machine) ? r.machine : {}
  const machine = typeof m.os === 'string' ? `${m.os}, ${String(m.cpus)} × ${String(m.cpuModel)}, node ${String(m.node)}` : 'unknown machine'
  return `${date} · ${machine}`
}

function titled (text: string, r: Json, detail?: string): { text: string, subtitle: string[], anchor: 'start' } {
  return { text, subtitle: [...(detail !== undefined ? [detail] : []), provenance(r)], anchor: 'start' }
}

/** "k 1.23×, …" of the numeric ratios of a result, '' without any */
function ratioList (r: Json): string {
  return isObject(r.ratios) ? Object.entries(r.ratios).filter(([, v]) => num(v) !== undefined).map(([k, v]) => `${k} ${fixed(v)}×`).join(', ') : ''
}

/** percentileBars()' rows, p50 and p99 of each named part that has percentiles, and the parts in that order */
function percentileRows (parts: Array<[string, unknown]>): { rows: Row[], order: string[] } {
  const rows: Row[] = []
  const order: string[] = []
  for (const [part, value] of parts) {
    if (!isPercentiles(value)) continue
    order.push(part)
    for (const p of ['p50', 'p99'] as const) rows.push({ part, percentile: p, ms: value[p] })
  }
  return { rows, order }
}

/** more parts than this get one bar each with its name beside it, not a colour of a legend (the palette has 10) */
const MAX_COLOURS = 10

/** p50 and p99 side by side for each part, ms; each percentile on its own scale */
function percentileBars (title: ReturnType<typeof titled>, rows: Row[], order: string[]): TopLevelSpec {
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'percentile', type: 'nominal', title: null, header: { labelFontSize: 13 } } }
  } as const
  if (order.length > MAX_COLOURS) {
    return {
      ...base,
      spec: {
        width: WIDTH,
        height: { step: 14 },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'part', type: 'nominal', sort: order, title: null, axis: { labelLimit: 320 } },
          x: { field: 'ms', type: 'quantitative', title: 'ms' }
        }
      },
      resolve: { scale: { x: 'independent' } }
    }
  }
  return {
    ...base,
    spec: {
      width: WIDTH,
      height: HEIGHT,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        // the legend names the parts; labels under the bars would repeat it, cut short
        x: { field: 'part', type: 'nominal', sort: order, title: null, axis: { labels: false, ticks: false } },
        y: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: { field: 'part', type: 'nominal', sort: order, title: 'part', legend: { labelLimit: 320 } }
      }
    },
    resolve: { scale: { y: 'independent' } }
  }
}

/** latency: securechat against its floor, the floor stacked from its parts */
function latencySpec (r: Json): TopLevelSpec | string {
  const parts = isObject(r.parts) ? r.parts : {}
  const { echo, put, securechat } = parts
  if (!isPercentiles(echo) || !isPercentiles(put) || !isPercentiles(securechat)) return 'no echo, put and securechat percentiles'
  const ratios = isObject(r.ratios) ? r.ratios : {}
  const bytes = isObject(r.options) ? num(r.options.bytes) : undefined
  const labels = ['echo round trip (TCP+Noise+Yamux)', 'synced LevelDB put, sender', 'synced LevelDB put, receiver', 'securechat send → delivered']
  const rows: Row[] = []
  for (const p of ['p50', 'p99'] as const) {
    rows.push(
      { percentile: p, bar: 'floor', part: labels[0] ?? '', ms: echo[p] },
      { percentile: p, bar: 'floor', part: labels[1] ?? '', ms: put[p] },
      { percentile: p, bar: 'floor', part: labels[2] ?? '', ms: put[p] },
      { percentile: p, bar: 'securechat', part: labels[3] ?? '', ms: securechat[p] }
    )
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titled(`Latency of one ${bytes ?? 200}-byte message: securechat vs its floor`, r,
      `securechat / floor: p50 ${fixed(ratios.p50)}×, p99 ${fixed(ratios.p99)}× (floor = echo + 2 × synced put, same run)`),
    data: { values: rows.map((row, i) => ({ ...row, order: i % 4 })) },
    facet: { column: { field: 'percentile', type: 'nominal', title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: 160,
      height: HEIGHT,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'bar', type: 'nominal', sort: ['floor', 'securechat'], title: null, axis: { labelAngle: 0 } },
        y: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'ms' },
        color: { field: 'part', type: 'nominal', sort: labels, title: 'part', legend: { labelLimit: 320 } },
        order: { field: 'order', type: 'quantitative' }
      }
    },
    resolve: { scale: { y: 'independent' } }
  }
}

interface Point { t: number, mb: number }

function points (v: unknown): Point[] {
  return Array.isArray(v) ? v.filter((p): p is Point => isObject(p) && num(p.t) !== undefined && num(p.mb) !== undefined) : []
}

/** soak: the hub's RSS and heap over time, with the fitted line over the second half */
function soakSpec (r: Json): TopLevelSpec | string {
  const memory = isObject(r.memory) ? r.memory : {}
  const rss = points(memory.rss)
  const heap = points(memory.heap)
  if (rss.length === 0) return 'no memory samples'
  const options = isObject(r.options) ? r.options : {}
  const duration = num(options.duration) ?? Math.max(...rss.map(p => p.t))
  const trends = isObject(memory.trends) ? memory.trends : {}
  const rows: Row[] = [
    ...rss.map(p => ({ series: 'hub RSS (VmRSS)', minutes: p.t / 60, mb: p.mb })),
    ...heap.map(p => ({ series: 'hub heap used after GC', minutes: p.t / 60, mb: p.mb })),
    ...points(memory.external).map(p => ({ series: 'hub Buffers (V8 external)', minutes: p.t / 60, mb: p.mb }))
  ]
  const fits: Row[] = []
  for (const [key, series, samples] of [['rss', 'RSS trend, second half', rss], ['heap', 'heap trend, second half', heap]] as const) {
    const trend = isObject(trends[key]) ? trends[key] : {}
    const slope = num(trend.slope)
    const half = samples.filter(p => p.t >= duration / 2 && p.t <= duration)
    if (slope === undefined || half.length === 0) continue
    const mt = half.reduce((s, p) => s + p.t, 0) / half.length / 60
    const mm = half.reduce((s, p) => s + p.mb, 0) / half.length
    for (const minutes of [duration / 120, duration / 60]) fits.push({ series, minutes, mb: mm + slope * (minutes - mt) })
  }
  const messages = isObject(r.messages) ? r.messages : {}
  const sent = (d: unknown): number => isObject(d) ? num(d.sent) ?? 0 : 0
  const total = sent(messages.toHub) + sent(messages.fromHub)
  const verdict = r.exactlyOnce === true ? 'every message exactly once, in order' : 'NOT exactly once'
  const flat = memory.flat === true ? 'memory flat' : memory.flat === false ? 'memory GROWING' : 'too few samples to judge memory'
  const rssTrend = isObject(trends.rss) ? trends.rss : {}
  const heapTrend = isObject(trends.heap) ? trends.heap : {}
  const series = ['hub RSS (VmRSS)', 'RSS trend, second half', 'hub heap used after GC', 'heap trend, second half', 'hub Buffers (V8 external)']
  const legend = { labelLimit: 320, orient: 'bottom', columns: 2, symbolType: 'stroke', symbolSize: 400 } as const
  const inFlight: Row[] = (Array.isArray(r.progress) ? r.progress.filter(isObject) : []).flatMap(p => {
    const t = num(p.t)
    if (t === undefined) return []
    return ([['toHub', DIRECTIONS[0]], ['fromHub', DIRECTIONS[1]]] as const).map(([key, direction]) => ({ minutes: t / 60, direction, messages: num(p[key]) ?? 0 }))
  })
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Soak: one hub process, ${num(options.peers) ?? '?'} peers, ${Math.round(duration / 60 * 10) / 10} min`,
      subtitle: [
        `${total} messages, ${verdict}`,
        `${flat}: second half RSS ${fixed(rssTrend.slope)} MB/min, heap ${fixed(heapTrend.slope)} MB/min`,
        provenance(r)
      ],
      anchor: 'start'
    },
    vconcat: [
      {
        width: 560,
        height: HEIGHT,
        data: { values: [...rows, ...fits] },
        mark: { type: 'line', point: false, tooltip: true },
        encoding: {
          x: { field: 'minutes', type: 'quantitative', title: 'minutes' },
          y: { field: 'mb', type: 'quantitative', title: 'hub memory, MB' },
          // one legend for both channels (same field, title and options), so it shows the dashes too
          color: { field: 'series', type: 'nominal', sort: series, title: null, scale: { domain: series, range: ['#4c78a8', '#4c78a8', '#f58518', '#f58518', '#72b7b2'] }, legend },
          strokeDash: { field: 'series', type: 'nominal', sort: series, title: null, scale: { domain: series, range: [[1, 0], [6, 4], [1, 0], [6, 4], [1, 0]] }, legend }
        }
      },
      ...inFlight.length === 0 ? [] : [{
        width: 560,
        height: HEIGHT / 2,
        data: { values: inFlight },
        mark: { type: 'line' as const, interpolate: 'step-after' as const, tooltip: true },
        encoding: {
          x: { field: 'minutes', type: 'quantitative' as const, title: 'minutes' },
          y: { field: 'messages', type: 'quantitative' as const, title: 'in flight' },
          color: { field: 'direction', type: 'nominal' as const, sort: [...DIRECTIONS], title: null, scale: { domain: [...DIRECTIONS], range: ['#54a24b', '#b279a2'] }, legend: { orient: 'bottom' as const, labelLimit: 320 } }
        }
      }]
    ],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } }
  }
}

const DIRECTIONS = ['sent to the hub, not yet received', 'sent by the hub, not yet received'] as const

const HISTORY_LABELS: Record<string, string> = {
  raw: 'bare LevelDB iterator, limit',
  rawNoLimit: 'bare LevelDB iterator, no limit',
  decode: 'open + decode of the records',
  store: 'store.history()',
  storePassphrase: 'store.history(), passphrase set'
}

/** history: the read against the bare iterator and the decoding */
function historySpec (r: Json): TopLevelSpec | string {
  const parts = isObject(r.parts) ? r.parts : {}
  const { rows, order } = percentileRows(Object.entries(parts).map(([key, value]) => [HISTORY_LABELS[key] ?? key, value]))
  if (rows.length === 0) return 'no parts with percentiles'
  const options = isObject(r.options) ? r.options : {}
  const goal = isObject(r.goal) ? r.goal : {}
  const ratios = isObject(r.ratios) ? r.ratios : {}
  return percentileBars(titled(`History: the latest ${num(options.limit) ?? 100} of ${num(options.messages)?.toLocaleString('en') ?? '?'} messages`, r,
    `store / bare iterator: p50 ${fixed(ratios.p50)}×, p99 ${fixed(ratios.p99)}×; goal ≤ ${num(goal.ms) ?? 5} ms ${goal.met === true ? 'met' : goal.met === false ? 'NOT met' : ''}`), rows, order)
}

/** relay: resident memory at each client count, and set-up times per part */
function relaySpec (r: Json): TopLevelSpec | string {
  const levels = Array.isArray(r.levels) ? r.levels.filter(isObject) : []
  if (levels.length === 0) return 'no client levels'
  const mem: Row[] = []
  const setup: Row[] = []
  const parts = ['echo', 'directSetup', 'relayedEcho', 'relayedConnect', 'relayedSetup']
  for (const level of levels) {
    const clients = num(level.clients) ?? 0
    const memory = isObject(level.memory) ? level.memory : {}
    const rss = num(memory.rssKiB)
    if (rss !== undefined) mem.push({ clients: String(clients), series: 'relay RSS, all reserved', mb: rss / 1024 })
    const p = isObject(level.parts) ? level.parts : {}
    for (const part of parts) {
      const v = p[part]
      if (isPercentiles(v)) setup.push({ clients: String(clients), part, ms: v.p50 })
    }
  }
  const idle = isObject(r.idle) ? num(r.idle.rssKiB) : undefined
  const goal = isObject(r.goal) ? num(r.goal.rssBytes) : undefined
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titled('Relay: memory and connection set-up by client count', r,
      `idle RSS ${idle === undefined ? '?' : (idle / 1024).toFixed(1)} MB; goal ≤ ${goal === undefined ? '?' : Math.round(goal / 1e6)} MB at 1,000 reservations`),
    hconcat: [
      {
        width: 220,
        height: HEIGHT,
        data: { values: mem },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients (one reservation each)', axis: { labelAngle: 0 } },
          y: { field: 'mb', type: 'quantitative', title: 'relay RSS, MB' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 320 } }
        }
      },
      {
        width: 320,
        height: HEIGHT,
        data: { values: setup },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients', axis: { labelAngle: 0 } },
          xOffset: { field: 'part', type: 'nominal', sort: parts },
          y: { field: 'ms', type: 'quantitative', title: 'p50 ms' },
          color: { field: 'part', type: 'nominal', sort: parts, title: 'p50 of', legend: { orient: 'bottom', columns: 3 } }
        }
      }
    ],
    resolve: { scale: { color: 'independent' } }
  }
}

const STARTUP_BASELINES: Record<string, string> = {
  node: 'baseline: node -e',
  importLibp2p: 'baseline: node importing libp2p',
  bareLibp2p: 'baseline: a bare libp2p node started'
}

/** startup: spawn to `ready` of each launcher and data dir, beside the baselines */
function startupSpec (r: Json): TopLevelSpec | string {
  const baselines = isObject(r.baselines) ? r.baselines : {}
  const { rows, order } = percentileRows([
    ...Object.entries(STARTUP_BASELINES).map(([key, label]): [string, unknown] => [label, isObject(baselines[key]) ? baselines[key].ready : undefined]),
    ...(Array.isArray(r.cases) ? r.cases.filter(isObject) : []).map((c): [string, unknown] => [`${String(c.launcher)}, ${String(c.state)} data dir${c.passphrase === true ? ', passphrase' : ''}`, c.ready])
  ])
  if (rows.length === 0) return 'no cases with percentiles'
  const ratios = ratioList(r)
  return percentileBars(titled('Start-up: spawn to ready', r, ratios === '' ? undefined : `existing data dir / bare libp2p node: ${ratios}`), rows, order)
}

const THROUGHPUT_LABELS: Record<string, string> = {
  pipelined: 'bare stream, pipelined',
  sequential: 'bare stream, one at a time',
  securechat: 'securechat, durable',
  fanIn: 'securechat, fan-in',
  aesGcm: 'bare AES-256-GCM',
  sessionCipher: 'SessionCipher'
}

/** throughput: messages/s against the bare stream, and the cipher against bare AES-GCM */
function throughputSpec (r: Json): TopLevelSpec | string {
  const rates = isObject(r.rates) ? r.rates : {}
  const bar = (keys: string[]): Row[] => keys.flatMap(k => {
    const v = num(rates[k])
    return v === undefined ? [] : [{ part: THROUGHPUT_LABELS[k] ?? k, perSecond: v }]
  })
  const messages = bar(['pipelined', 'sequential', 'securechat', 'fanIn'])
  const cipher = bar(['aesGcm', 'sessionCipher'])
  if (messages.length === 0) return 'no rates'
  const ratios = isObject(r.ratios) ? r.ratios : {}
  const options = isObject(r.options) ? r.options : {}
  const panels: Array<[Row[], string]> = [[messages, 'messages/s'], [cipher, 'seal + open per second']]
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titled(`Throughput of ${num(options.bytes) ?? 200}-byte messages into one conversation`, r,
      `securechat / pipelined stream ${fixed(ratios.securechatToPipelined, 3)} (goal ≥ 0.3), / one-at-a-time ${fixed(ratios.securechatToSequential)}; fan-in of ${num(options.senders) ?? '?'} / one sender ${fixed(ratios.fanInToSingle)}`),
    hconcat: panels.filter(([rows]) => rows.length > 0).map(([rows, y]) => ({
      width: 60 * rows.length + 60,
      height: HEIGHT,
      data: { values: rows },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'part', type: 'nominal', sort: rows.map(row => String(row.part)), title: null, axis: { labels: false, ticks: false } },
        y: { field: 'perSecond', type: 'quantitative', title: y },
        color: { field: 'part', type: 'nominal', sort: rows.map(row => String(row.part)), title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 320 } }
      }
    })),
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } }
  }
}

const FANOUT_LATENCY_LABELS: Record<string, string> = {
  direct: 'direct: send() → delivered',
  fanoutFirst: 'post() → first member delivered',
  fanout: 'post() → last member delivered'
}

/** fanout: post → every member delivered against one direct message, and member deliveries/s against direct msg/s */
function fanoutSpec (r: Json): TopLevelSpec | string {
  const parts = isObject(r.parts) ? r.parts : {}
  const rates = isObject(r.rates) ? r.rates : {}
  const ratios = isObject(r.ratios) ? r.ratios : {}
  const options = isObject(r.options) ? r.options : {}
  const members = num(options.members) ?? 50
  const latency: Row[] = []
  // the fan-out against the members served one after another at the direct latency
  const serial = `${members} × direct (one member after another)`
  const order = [...Object.values(FANOUT_LATENCY_LABELS), serial]
  for (const [key, label] of Object.entries(FANOUT_LATENCY_LABELS)) {
    const v = parts[key]
    if (isPercentiles(v)) for (const p of ['p50', 'p99'] as const) latency.push({ part: label, percentile: p, ms: v[p] })
  }
  if (latency.length === 0) return 'no direct and fan-out percentiles'
  const { direct } = parts
  if (isPercentiles(direct)) for (const p of ['p50', 'p99'] as const) latency.push({ part: serial, percentile: p, ms: members * direct[p] })
  const throughputLabels: Array<[string, string]> = [['direct', 'direct msg/s, 1 peer'], ['posts', 'room posts/s'], ['memberDeliveries', `member deliveries/s (posts × ${members})`]]
  const throughput: Row[] = throughputLabels.flatMap(([key, label]) => {
    const v = num(rates[key])
    return v === undefined ? [] : [{ part: label, perSecond: v }]
  })
  const verdict = r.ok === true ? 'every post reached every member exactly once' : 'NOT every delivery'
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Fan-out: one post to a room of ${members} members, against one direct message`,
      subtitle: [
        `latency / (${members} × direct): p50 ${fixed(ratios.latencyP50ToSerial, 3)}×, p99 ${fixed(ratios.latencyP99ToSerial, 3)}×; / direct: p50 ${fixed(ratios.latencyP50ToDirect)}×`,
        `member deliveries/s / direct msg/s ${fixed(ratios.deliveriesToDirect)}× (${num(options.inFlight) ?? '?'} in flight); ${verdict}`,
        provenance(r)
      ],
      anchor: 'start'
    },
    hconcat: [
      {
        width: 260,
        height: HEIGHT,
        data: { values: latency },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'percentile', type: 'nominal', title: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'part', type: 'nominal', sort: order },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: { field: 'part', type: 'nominal', sort: order, title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 320 } }
        }
      },
      ...throughput.length === 0 ? [] : [{
        width: 60 * throughput.length + 60,
        height: HEIGHT,
        data: { values: throughput },
        mark: { type: 'bar' as const, tooltip: true },
        encoding: {
          x: { field: 'part', type: 'nominal' as const, sort: throughput.map(row => String(row.part)), title: null, axis: { labels: false, ticks: false } },
          y: { field: 'perSecond', type: 'quantitative' as const, title: 'per second' },
          color: { field: 'part', type: 'nominal' as const, sort: throughput.map(row => String(row.part)), title: null, legend: { orient: 'bottom' as const, columns: 1, labelLimit: 320 } }
        }
      }]
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } }
  }
}

const FILES_RATES: Array<[string, string]> = [
  ['bare', 'bare stream, same connection'],
  ['fileStreaming', 'file service: first → last progress'],
  ['fileFromAccept', 'file service: accept() → complete'],
  ['fileWhole', 'file service: offer() → complete']
]

const FILES_STAGES: Array<[string, string]> = [
  ['hash', 'offer(): SHA-256 + store'],
  ['offer', 'offer delivered'],
  ['accept', 'accept() → first chunk'],
  ['streaming', 'streaming'],
  ['check', 'final sync + SHA-256 + rename'],
  ['done', 'DONE to the sender']
]

/** files: MiB/s of the file service against the bare stream with the goal, and where one transfer's time goes */
function filesSpec (r: Json): TopLevelSpec | string {
  const rates = isObject(r.rates) ? r.rates : {}
  const bars: Row[] = FILES_RATES.flatMap(([key, part]) => {
    const v = num(rates[key])
    return v === undefined ? [] : [{ part, mibPerSecond: v }]
  })
  if (bars.length === 0) return 'no rates'
  const order = bars.map(row => String(row.part))
  const stages = isObject(r.stages) ? r.stages : {}
  const stageRows: Row[] = FILES_STAGES.flatMap(([key, stage], i) => {
    const v = num(stages[key])
    return v === undefined ? [] : [{ transfer: 'median transfer', stage, seconds: v / 1000, order: i }]
  })
  const stageOrder = FILES_STAGES.map(([, stage]) => stage)
  const ratios = isObject(r.ratios) ? r.ratios : {}
  const goal = isObject(r.goal) ? r.goal : {}
  const options = isObject(r.options) ? r.options : {}
  const goalRatio = num(goal.ratio) ?? 0.8
  const bare = num(rates.bare)
  const runs = isObject(r.runs) && Array.isArray(r.runs.file) ? r.runs.file.filter(isObject) : []
  const cuts = runs.reduce((n, f) => n + Math.max(0, (num(f.gets) ?? 1) - 1), 0)
  const met = (v: unknown): string => v === true ? 'met' : v === false ? 'NOT met' : '?'
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Files: ${num(options.sizeMib) ?? '?'} MiB through the file service, against a bare stream on the same connection`,
      subtitle: [
        `file / bare: streaming ${fixed(ratios.streamingToBare, 3)}, from accept() ${fixed(ratios.fromAcceptToBare, 3)}, whole ${fixed(ratios.wholeToBare, 3)}; goal ≥ ${goalRatio}: streaming ${met(goal.met)}, whole ${met(goal.metWhole)}`,
        `medians of ${num(options.repetitions) ?? '?'} runs, sender and receiver in two processes; downloads cut and resumed ${cuts} times in all`,
        provenance(r)
      ],
      anchor: 'start'
    },
    hconcat: [
      {
        width: 60 * bars.length + 60,
        height: HEIGHT,
        layer: [
          {
            data: { values: bars },
            mark: { type: 'bar', tooltip: true },
            encoding: {
              x: { field: 'part', type: 'nominal', sort: order, title: null, axis: { labels: false, ticks: false } },
              y: { field: 'mibPerSecond', type: 'quantitative', title: 'MiB/s' },
              color: { field: 'part', type: 'nominal', sort: order, title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 320 } }
            }
          },
          ...bare === undefined ? [] : [{
            data: { values: [{ goal: goalRatio * bare, label: `goal: ${goalRatio} × bare` }] },
            layer: [
              { mark: { type: 'rule' as const, strokeDash: [6, 4], color: '#e45756' }, encoding: { y: { field: 'goal', type: 'quantitative' as const } } },
              { mark: { type: 'text' as const, align: 'right' as const, baseline: 'bottom' as const, dy: -2, color: '#e45756', x: 'width' as const }, encoding: { y: { field: 'goal', type: 'quantitative' as const }, text: { field: 'label', type: 'nominal' as const } } }
            ]
          }]
        ]
      },
      ...stageRows.length === 0 ? [] : [{
        width: 320,
        height: 40,
        data: { values: stageRows },
        mark: { type: 'bar' as const, tooltip: true },
        encoding: {
          y: { field: 'transfer', type: 'nominal' as const, title: null },
          x: { field: 'seconds', type: 'quantitative' as const, stack: 'zero' as const, title: 'seconds, offer() to the sender\'s complete' },
          color: { field: 'stage', type: 'nominal' as const, sort: stageOrder, title: 'stage', legend: { orient: 'bottom' as const, columns: 2, labelLimit: 320 } },
          order: { field: 'order', type: 'quantitative' as const }
        }
      }]
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } }
  }
}

/** numeric leaves whose key names a rate, labelled by their path */
function rates (v: unknown, path: string[] = [], out: Row[] = []): Row[] {
  if (!isObject(v)) return out
  for (const [key, value] of Object.entries(v)) {
    if (key === 'machine' || key === 'options') continue
    const n = num(value)
    if (n !== undefined && RATE.test(key)) out.push({ part: [...path, key].join(' '), perSecond: n })
    else if (isObject(value)) rates(value, [...path, key], out)
  }
  return out
}

/** any other benchmark: its parts' percentiles, else its rates */
function genericSpec (name: string, r: Json): TopLevelSpec | string {
  const { rows, order } = percentileRows(Object.entries(isObject(r.parts) ? r.parts : {}))
  const ratios = ratioList(r)
  const detail = ratios === '' ? undefined : `ratios: ${ratios}`
  if (rows.length > 0) return percentileBars(titled(name, r, detail), rows, order)
  const found = rates(isObject(r.parts) ? r.parts : r)
  if (found.length === 0) return 'neither parts with percentiles nor rates'
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titled(name, r, detail),
    width: Math.max(WIDTH, found.length * 60),
    height: HEIGHT,
    data: { values: found },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'part', type: 'nominal', sort: found.map(f => String(f.part)), title: null, axis: { labelAngle: -30, labelLimit: 240 } },
      y: { field: 'perSecond', type: 'quantitative', title: 'per second' },
      color: { field: 'part', type: 'nominal', sort: found.map(f => String(f.part)), title: null, legend: { labelLimit: 320 } }
    }
  }
}

const SPECS: Record<string, (r: Json) => TopLevelSpec | string> = {
  latency: latencySpec,
  soak: soakSpec,
  history: historySpec,
  relay: relaySpec,
  startup: startupSpec,
  throughput: throughputSpec,
  fanout: fanoutSpec,
  files: filesSpec
}

/** the Vega-Lite spec for one result, or why there is none */
function chartSpec (name: string, result: unknown): TopLevelSpec | string {
  if (!isObject(result)) return 'not a JSON object'
  return (SPECS[name] ?? ((r: Json) => genericSpec(name, r)))(result)
}

/** a Vega-Lite spec as an SVG document, rendered headless */
async function toSVG (spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** renders the newest result of each benchmark to `<outDir>/<name>.svg` */
export async function renderCharts (options: ChartOptions = {}): Promise<Chart[]> {
  const resultsDir = options.resultsDir ?? DEFAULT_RESULTS_DIR
  const outDir = options.outDir ?? resultsDir
  const charts: Chart[] = []
  for (const [name, source] of await newestResults(resultsDir)) {
    let spec: TopLevelSpec | string
    try {
      spec = chartSpec(name, JSON.parse(await readFile(source, 'utf8')))
    } catch (err) {
      spec = `unreadable: ${(err as Error).message}`
    }
    if (typeof spec === 'string') {
      charts.push({ name, source, skipped: spec })
      continue
    }
    const file = join(outDir, `${name}.svg`)
    await mkdir(outDir, { recursive: true })
    await writeFile(file, await toSVG(spec) + '\n')
    charts.push({ name, source, file })
  }
  return charts
}

/** one line per chart: written, or skipped and why */
export function formatCharts (charts: Chart[]): string {
  if (charts.length === 0) return 'no results to chart'
  return charts.map(c => c.file !== undefined
    ? `${c.name.padEnd(12)}${c.file} (from ${c.source})`
    : `${c.name.padEnd(12)}no chart: ${c.skipped ?? ''} (${c.source})`).join('\n')
}

if (import.meta.main) {
  process.stdout.write(formatCharts(await renderCharts()) + '\n')
}
