/**
 * Soak (issue 10): one securechat node, the hub, chatting with `peers` others
 * for `duration` seconds, messages both ways at a steady rate. Afterwards
 * every message must have arrived exactly once and in order in its
 * conversation, and the hub's memory must be flat.
 *
 * - The hub is a real `securechat --json` process (test/helpers/process.ts)
 *   driven by `/connect` and `/msg` on its stdin, so the memory measured is
 *   its own: RSS from /proc/<pid>/status (VmRSS; VmHWM for the kernel's
 *   peak), and the heap after a full GC from bench/soak-probe.ts, which the
 *   hub loads with `--import`.
 * - The peers are real securechat nodes (LoopbackNodes: 127.0.0.1, no mDNS)
 *   in `workers` processes (bench/soak-peers.ts), ten or so each: one event
 *   loop with 50 nodes falls seconds behind on a small machine, and this
 *   process must read the hub's stdout promptly (a full pipe blocks the
 *   hub). The hub dials each peer, since 50 peers dialling it from one IP
 *   would meet its limit of 5 new connections per second, and writes first;
 *   each peer accepts that request, so every pair are contacts both ways.
 * - Traffic: each peer sends `rate` messages per second to the hub and gets
 *   as many from it, on one timeline spread evenly over all conversations
 *   and both directions. Each text carries its conversation's sequence
 *   number; a peer's sends are chained, so their order is the sequence.
 * - Then the senders stop and the run drains (at most `drain` seconds) until
 *   every message is received and acknowledged, waits a second more for
 *   late duplicates, and checks each conversation: received = [0, sent) in
 *   order, and one `delivered` per message. A message still missing then
 *   is counted `missing`: lost, or so far behind that the drain ended first
 *   (`progress`, the messages in flight over time, tells which).
 * - Memory: the linear-regression slope of each series over the second half
 *   of the traffic, in MB per minute. Flat means the fitted line rises by at
 *   most 5 % of the series' mean over that half (a leak of 1 KB per message
 *   at the default 10 messages/s would be 0.6 MB/min, 3 MB over the half).
 *
 * Latency under load, as side figures: peer `send()` to its `delivered`
 * event, and hub `/msg` written to the peer's `message` event.
 *
 * Run: npm run bench -- soak (SOAK_PEERS, SOAK_DURATION, SOAK_RATE, ...), or
 * node --experimental-transform-types bench/soak.ts [--peers N --duration S --rate R]
 */
import { fork } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { onExit } from '../test/helpers/cleanup.ts'
import { is } from '../test/helpers/events.ts'
import { BIN, NODE_BIN, NODE_FLAGS, spawnChat } from '../test/helpers/process.ts'
import { createTempDir } from '../test/helpers/tmp.ts'
import { cliOptions, machineLine, printResult } from './cli.ts'
import { checkCounts, histogram, loadAverage, percentiles, processCpuSeconds, processMemory, saveResult } from './common.ts'
import { wallClock } from './soak-peers.ts'
import type { PeerCommand, PeerEvent } from './soak-peers.ts'
import type { ChatEvent } from '../test/helpers/events.ts'
import type { ChatProcess } from '../test/helpers/process.ts'
import type { Machine, Percentiles } from './common.ts'
import type { Histogram } from 'hdr-histogram-js'
import type { ChildProcess } from 'node:child_process'

export interface SoakOptions {
  /** peers chatting with the hub; @default 50 */
  peers?: number
  /** seconds of steady traffic; @default 600 */
  duration?: number
  /**
   * messages per second from each peer to the hub, and as many back: 0.1 is
   * a message every 10 s each way in each of the 50 conversations, 10 a
   * second at the hub; @default 0.1
   */
  rate?: number
  /** text size in bytes; @default 200 */
  bytes?: number
  /** seconds between memory samples; @default 5 */
  sampleInterval?: number
  /** seconds to wait after the traffic for the last messages and acks; @default 60 */
  drain?: number
  /** worker processes the peers are spread over; @default one per 10 peers */
  workers?: number
  /** where `soak-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
}

/** One direction, summed over every conversation */
export interface DirectionCount {
  /** messages the timeline asked the sender to send */
  sent: number
  /** stored in the sender's outbox: peer send() resolved, or the hub printed `pending` */
  queued: number
  /** distinct sequence numbers received */
  received: number
  /** distinct messages with a `delivered` event at the sender */
  acked: number
  /** sent and not received when the drain ended: lost, or still on the way */
  missing: number
  /** received more than once (extra copies) */
  duplicated: number
  /** received after a later message of its conversation */
  outOfOrder: number
  /** `delivered` events beyond the first of a message */
  duplicateAcks: number
  /** sent and not acknowledged when the drain ended */
  unacked: number
}

export interface MemoryPoint {
  /** seconds since the traffic started */
  t: number
  mb: number
}

/** messages sent and not yet received, per direction, at time t, and the hub's CPU time so far */
export interface ProgressPoint {
  t: number
  toHub: number
  fromHub: number
  /** the hub's user + system CPU seconds since it started (/proc/<pid>/stat) */
  hubCpu: number
}

export interface MemoryTrend {
  start: number
  peak: number
  end: number
  /** mean over the second half of the traffic */
  mean: number
  /** linear-regression slope over the second half, MB per minute; null with fewer than 3 samples */
  slope: number | null
  /** the fitted line rises by at most 5 % of `mean` over the second half; null without a slope */
  flat: boolean | null
}

interface Delay { p50: number, p99: number, max: number }

export interface SoakResult {
  date: string
  machine: Machine
  /** the machine's 1-minute load average at the start and the end (other work skews every figure) */
  load: { start: number, end: number }
  options: Required<Omit<SoakOptions, 'resultsDir'>>
  messages: { toHub: DirectionCount, fromHub: DirectionCount }
  /** every message received exactly once, in order, and acknowledged once */
  exactlyOnce: boolean
  /** peer send() → delivered; hub /msg → the peer's message event */
  latency: { toHub: Percentiles, fromHub: Percentiles }
  /** in flight over time, sampled with the RSS */
  progress: ProgressPoint[]
  memory: {
    /** every sample, drain included; the trends use those of the traffic only */
    rss: MemoryPoint[]
    /** V8 heap used after a full GC */
    heap: MemoryPoint[]
    /** Buffers and ArrayBuffers (V8's `external`), after the same GC: part of the RSS that is not heap */
    external: MemoryPoint[]
    trends: { rss: MemoryTrend, heap: MemoryTrend, external: MemoryTrend }
    /** the kernel's peak RSS of the hub (VmHWM), start-up included */
    hwm: number
    flat: boolean | null
  }
  /** `error` events by code: the hub's, and the peers' together */
  errors: { hub: Record<string, number>, peers: Record<string, number> }
  /** event-loop delay during the traffic, ms: this process, and the worst of the peers' workers */
  eventLoopDelay: { runner: Delay, peers: Delay }
  /** seconds: the setup (start, connect, contacts), the traffic, the drain */
  timings: { setup: number, traffic: number, drain: number }
  /** the JSON file written */
  file: string
}

const PROBE = pathToFileURL(fileURLToPath(new URL('./soak-probe.ts', import.meta.url))).href
const WORKER = fileURLToPath(new URL('./soak-peers.ts', import.meta.url))
const HELLO = 'soak hello'
const TEXT = /^soak (\d+) (\d+) /
const MB = 2 ** 20
/** a fitted rise over the second half within this share of the mean is flat */
const FLAT_SHARE = 0.05
const PEERS_PER_WORKER = 10
const START_TIMEOUT = 120_000
const STOP_TIMEOUT = 30_000

/** One conversation in one direction */
class Conversation {
  sent = 0
  queued = 0
  readonly received: number[] = []
  readonly acks = new Map<number, number>()

  count (): DirectionCount {
    const seen = new Set<number>()
    let outOfOrder = 0
    let last = -1
    for (const seq of this.received) {
      if (!seen.has(seq) && seq < last) outOfOrder++
      seen.add(seq)
      last = Math.max(last, seq)
    }
    let missing = 0
    for (let seq = 0; seq < this.sent; seq++) if (!seen.has(seq)) missing++
    const acked = [...this.acks.keys()].filter(seq => seq < this.sent).length
    const duplicateAcks = [...this.acks.values()].reduce((sum, n) => sum + n - 1, 0)
    return {
      sent: this.sent,
      queued: this.queued,
      received: seen.size,
      acked,
      missing,
      duplicated: this.received.length - seen.size,
      outOfOrder,
      duplicateAcks,
      unacked: this.sent - acked
    }
  }

  inFlight (): number {
    return Math.max(0, this.sent - this.received.length)
  }

  settled (): boolean {
    return this.received.length >= this.sent && this.acks.size >= this.sent
  }

  ack (seq: number): void {
    this.acks.set(seq, (this.acks.get(seq) ?? 0) + 1)
  }
}

function sum (counts: DirectionCount[]): DirectionCount {
  const total: DirectionCount = { sent: 0, queued: 0, received: 0, acked: 0, missing: 0, duplicated: 0, outOfOrder: 0, duplicateAcks: 0, unacked: 0 }
  for (const c of counts) {
    for (const key of Object.keys(total) as Array<keyof DirectionCount>) total[key] += c[key]
  }
  return total
}

function text (peer: number, seq: number, bytes: number): string {
  return `soak ${peer} ${seq} `.padEnd(bytes, 'x')
}

function parse (t: string): { peer: number, seq: number } | undefined {
  const m = TEXT.exec(t)
  return m == null ? undefined : { peer: Number(m[1]), seq: Number(m[2]) }
}

function tally (counts: Record<string, number>, code: string): void {
  counts[code] = (counts[code] ?? 0) + 1
}

/** MB per minute: least squares over the points (t in seconds); null below 3 points */
export function slope (points: MemoryPoint[]): number | null {
  if (points.length < 3) return null
  const n = points.length
  const mt = points.reduce((s, p) => s + p.t, 0) / n
  const mm = points.reduce((s, p) => s + p.mb, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.t - mt) * (p.mb - mm)
    den += (p.t - mt) ** 2
  }
  return den === 0 ? null : num / den * 60
}

/** start, peak, end, and the slope over the second half of [0, duration] */
export function trend (points: MemoryPoint[], duration: number): MemoryTrend {
  const during = points.filter(p => p.t <= duration)
  const half = during.filter(p => p.t >= duration / 2)
  const mean = half.length === 0 ? 0 : half.reduce((s, p) => s + p.mb, 0) / half.length
  const s = slope(half)
  return {
    start: during[0]?.mb ?? 0,
    peak: during.reduce((m, p) => Math.max(m, p.mb), 0),
    end: during.at(-1)?.mb ?? 0,
    mean,
    slope: s,
    flat: s === null ? null : s * (duration / 2) / 60 <= FLAT_SHARE * mean
  }
}

/**
 * The probe's lines in the hub (bench/soak-probe.ts) from `since` (ms since
 * the epoch): the heap used, and the memory outside it that V8 accounts for
 * (`external`: Buffers and ArrayBuffers, such as stream and socket buffers)
 */
async function probePoints (file: string, since: number): Promise<{ heap: MemoryPoint[], external: MemoryPoint[] }> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(l => l !== '')
  const samples = lines
    .map(l => JSON.parse(l) as { t: number, heapUsed: number, external: number })
    .filter(p => p.t >= since)
  const t = (p: { t: number }): number => (p.t - since) / 1000
  return {
    heap: samples.map(p => ({ t: t(p), mb: p.heapUsed / MB })),
    external: samples.map(p => ({ t: t(p), mb: p.external / MB }))
  }
}

function round (v: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

/** What every worker posts among its events (its event type lists them too): a command that threw, and its end (after `stop`) */
type WorkerEnd = { type: 'failed', message: string } | { type: 'stopped', delay: Delay }

export interface PeerWorkerInit {
  /** the worker's module, run with an IPC channel; @default bench/soak-peers.ts */
  module?: string
  /** node flags after NODE_FLAGS (e.g. --cpu-prof); @default none */
  execArgv?: string[]
}

/**
 * one worker process (bench/soak-peers.ts by default); bench/fanout.ts's
 * members run in them too, and bench/files.ts's two sides in its own
 * module (bench/files-peer.ts). A worker posts `loaded` first, `failed`
 * {message} for a command that threw, and answers `stop` with `stopped`
 * {delay} before it exits.
 */
export class PeerWorker<C extends { cmd: string } = PeerCommand, E extends { type: string } = PeerEvent> {
  readonly child: ChildProcess
  private readonly module: string
  private stderr = ''
  private readonly unregister: () => void
  private readonly waiters = new Set<{ match: (e: E | WorkerEnd) => boolean, resolve: (e: E | WorkerEnd) => void, reject: (err: Error) => void }>()

  constructor (readonly id: number, onEvent: (e: E) => void, init: PeerWorkerInit = {}) {
    this.module = init.module ?? WORKER
    this.child = fork(this.module, [], { execPath: NODE_BIN, execArgv: [...NODE_FLAGS, ...init.execArgv ?? []], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    this.unregister = onExit(() => { this.child.kill('SIGKILL') })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-16_384) })
    this.child.on('message', (e: E | WorkerEnd) => {
      onEvent(e as E)
      for (const w of [...this.waiters]) if (w.match(e)) { this.waiters.delete(w); w.resolve(e) }
    })
    this.child.once('exit', (code, signal) => {
      this.unregister()
      for (const w of [...this.waiters]) w.reject(this.failure(`exited (code ${code}, signal ${signal})`))
      this.waiters.clear()
    })
  }

  command (c: C | { cmd: 'stop' }): void {
    if (this.child.connected) this.child.send(c)
  }

  async next<K extends E['type']> (type: K, timeout: number): Promise<Extract<E, { type: K }>> {
    return this.wait(type, timeout) as Promise<Extract<E, { type: K }>>
  }

  private async wait (type: string, timeout: number): Promise<E | WorkerEnd> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters.delete(waiter); reject(this.failure(`no ${type} within ${timeout} ms`)) }, timeout)
      const waiter = {
        match: (e: E | WorkerEnd) => e.type === type || e.type === 'failed',
        resolve: (e: E | WorkerEnd) => {
          clearTimeout(timer)
          if (e.type === 'failed') reject(this.failure((e as Extract<WorkerEnd, { type: 'failed' }>).message))
          else resolve(e)
        },
        reject: (err: Error) => { clearTimeout(timer); reject(err) }
      }
      this.waiters.add(waiter)
    })
  }

  /** `stop`, then the worker's event-loop delay; SIGKILL if it does not exit in time */
  async stop (): Promise<Delay | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined
    const exited = new Promise<void>(resolve => { this.child.once('exit', () => { resolve() }) })
    try {
      this.command({ cmd: 'stop' })
      const { delay } = await this.wait('stopped', STOP_TIMEOUT) as Extract<WorkerEnd, { type: 'stopped' }>
      return delay
    } catch {
      return undefined
    } finally {
      const timer = setTimeout(() => { this.child.kill('SIGKILL') }, STOP_TIMEOUT)
      await exited
      clearTimeout(timer)
    }
  }

  kill (): void {
    this.child.kill('SIGKILL')
  }

  private failure (reason: string): Error {
    return new Error(`peer worker ${this.id} (bench/${basename(this.module)}): ${reason}\n  stderr (tail):\n${this.stderr.replace(/^/gm, '    ')}`)
  }
}

interface PeerRef { index: number, peerId: string, addr: string, worker: PeerWorker }

/** the hub, the workers, and the bookkeeping of every conversation */
class Soak {
  readonly toHub: Conversation[]
  readonly fromHub: Conversation[]
  readonly errors = { hub: {} as Record<string, number>, peers: {} as Record<string, number> }
  readonly latency: { toHub: Histogram, fromHub: Histogram } = { toHub: histogram(), fromHub: histogram() }
  readonly workers: PeerWorker[] = []
  readonly peers: PeerRef[] = []
  private readonly peerIndex = new Map<string, number>()
  /** hub → peer: when each /msg line was written (wall clock), by peer then sequence */
  private readonly written: Array<Map<number, number>>
  /** hub → peer: message id → [peer, sequence], from the hub's `pending` events */
  private readonly hubIds = new Map<string, [number, number]>()
  private readonly accepted = new Map<number, PromiseWithResolvers<void>>()
  private cursor = 0

  constructor (readonly hub: ChatProcess, readonly hubId: string, readonly options: Required<Omit<SoakOptions, 'resultsDir'>>) {
    this.toHub = Array.from({ length: options.peers }, () => new Conversation())
    this.fromHub = Array.from({ length: options.peers }, () => new Conversation())
    this.written = Array.from({ length: options.peers }, () => new Map<number, number>())
  }

  /** starts the peers in the workers, once they have loaded */
  async start (workers: PeerWorker[], loaded: Array<Promise<unknown>>): Promise<void> {
    const { peers } = this.options
    const per = Math.ceil(peers / workers.length)
    this.workers.push(...workers)
    const started = workers.map(async (worker, w) => {
      await loaded[w]
      const first = w * per
      const ready = worker.next('started', START_TIMEOUT)
      worker.command({ cmd: 'start', first, count: Math.max(0, Math.min(per, peers - first)), hubId: this.hubId, hello: HELLO })
      return (await ready).peers.map(p => ({ ...p, worker }))
    })
    for (const p of (await Promise.all(started)).flat().sort((a, b) => a.index - b.index)) {
      this.peers.push(p)
      this.peerIndex.set(p.peerId, p.index)
    }
  }

  /** contacts both ways: the hub dials and writes first, each peer accepts the request */
  async befriend (peer: PeerRef): Promise<void> {
    const accepted = Promise.withResolvers<void>()
    this.accepted.set(peer.index, accepted)
    const timer = setTimeout(() => { accepted.reject(new Error(`peer ${peer.index} did not accept the hub within ${START_TIMEOUT} ms`)) }, START_TIMEOUT)
    try {
      await this.hub.request(`/connect ${peer.addr}`, is('connected', { peerId: peer.peerId }))
      const pending = await this.hub.request(`/msg ${peer.peerId} ${HELLO}`, is('pending', { to: peer.peerId }))
      await accepted.promise
      await this.hub.waitFor(is('delivered', { id: pending.id }))
    } finally {
      clearTimeout(timer)
      this.accepted.delete(peer.index)
    }
  }

  onPeerEvent (e: PeerEvent): void {
    if (e.type === 'accepted') {
      this.accepted.get(e.index)?.resolve()
    } else if (e.type === 'failed') {
      for (const a of this.accepted.values()) a.reject(new Error(`a soak peer worker failed: ${e.message}`))
    } else if (e.type === 'received') {
      const m = parse(e.text)
      if (m?.peer !== e.index) { tally(this.errors.peers, 'UnexpectedMessage'); return }
      this.fromHub[e.index]?.received.push(m.seq)
      const at = this.written[e.index]?.get(m.seq)
      if (at !== undefined) {
        this.latency.fromHub.recordValue(Math.max(1, Math.round((e.at - at) * 1e6)))
        this.written[e.index]?.delete(m.seq)
      }
    } else if (e.type === 'queued') {
      const conv = this.toHub[e.index]
      if (conv != null) conv.queued++
    } else if (e.type === 'acked') {
      const conv = this.toHub[e.index]
      if (conv == null) return
      if (!conv.acks.has(e.seq)) this.latency.toHub.recordValue(Math.max(1, Math.round(e.ms * 1e6)))
      conv.ack(e.seq)
    } else if (e.type === 'error') {
      tally(this.errors.peers, e.code)
    }
  }

  /** peer i writes its next message to the hub */
  sendToHub (i: number): void {
    const conv = this.toHub[i]
    const peer = this.peers[i]
    if (conv == null || peer == null) return
    const seq = conv.sent++
    peer.worker.command({ cmd: 'send', index: i, seq, text: text(i, seq, this.options.bytes) })
  }

  /** the hub writes its next message to peer i */
  sendFromHub (i: number): void {
    const conv = this.fromHub[i]
    const peer = this.peers[i]
    if (conv == null || peer == null) return
    const seq = conv.sent++
    this.written[i]?.set(seq, wallClock())
    this.hub.send(`/msg ${peer.peerId} ${text(i, seq, this.options.bytes)}`)
  }

  /** reads the hub's events since the last call */
  pump (): void {
    const events: ChatEvent[] = this.hub.events
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor]
      if (e == null) continue
      if (e.type === 'message') {
        const i = this.peerIndex.get(e.from)
        const m = parse(e.text)
        if (i === undefined || m?.peer !== i) { tally(this.errors.hub, 'UnexpectedMessage'); continue }
        this.toHub[i]?.received.push(m.seq)
      } else if (e.type === 'pending') {
        const i = this.peerIndex.get(e.to)
        const m = parse(e.text)
        if (i === undefined || m?.peer !== i) continue
        this.hubIds.set(e.id, [i, m.seq])
        const conv = this.fromHub[i]
        if (conv != null) conv.queued++
      } else if (e.type === 'delivered') {
        const conv = this.hubIds.get(e.id)
        if (conv != null) this.fromHub[conv[0]]?.ack(conv[1])
      } else if (e.type === 'error') {
        tally(this.errors.hub, e.code)
      }
    }
  }

  inFlight (): { toHub: number, fromHub: number } {
    this.pump()
    return { toHub: this.toHub.reduce((s, c) => s + c.inFlight(), 0), fromHub: this.fromHub.reduce((s, c) => s + c.inFlight(), 0) }
  }

  settled (): boolean {
    this.pump()
    return this.toHub.every(c => c.settled()) && this.fromHub.every(c => c.settled())
  }

  /** stops the workers; the worst event-loop delay of theirs */
  async stop (): Promise<Delay> {
    const delays = (await Promise.all(this.workers.map(async w => w.stop()))).filter(d => d !== undefined)
    const worst = (key: keyof Delay): number => delays.reduce((m, d) => Math.max(m, d[key]), 0)
    return { p50: worst('p50'), p99: worst('p99'), max: worst('max') }
  }

  destroy (): void {
    this.latency.toHub.destroy()
    this.latency.fromHub.destroy()
  }
}

/** runs the soak and writes `soak-<ISO date>.json` */
export async function runSoak (init: SoakOptions = {}): Promise<SoakResult> {
  const peers = init.peers ?? 50
  const options = {
    peers,
    duration: init.duration ?? 600,
    rate: init.rate ?? 0.1,
    bytes: init.bytes ?? 200,
    sampleInterval: init.sampleInterval ?? 5,
    drain: init.drain ?? 60,
    workers: init.workers ?? Math.ceil(peers / PEERS_PER_WORKER)
  }
  checkCounts({ peers: options.peers, duration: options.duration, bytes: options.bytes, drain: options.drain, workers: options.workers })
  for (const name of ['rate', 'sampleInterval'] as const) {
    if (!Number.isFinite(options[name]) || options[name] <= 0) throw new TypeError(`${name} must be a positive number, got ${options[name]}`)
  }
  if (options.bytes < text(options.peers, 0, 0).length + 8) throw new TypeError(`bytes must leave room for the sequence number, got ${options.bytes}`)

  const loadStart = loadAverage()
  const hubDir = await createTempDir('securechat-soak-hub-')
  const probeFile = join(hubDir.path, 'probe.jsonl')
  const dataDir = join(hubDir.path, 'data')
  const hub = spawnChat({
    name: 'hub',
    dataDir,
    argv: ['--expose-gc', '--import', PROBE, BIN, '--json', '--name', 'hub', '--data-dir', dataDir, '--host', '127.0.0.1', '--no-mdns'],
    env: { SECURECHAT_SOAK_PROBE_FILE: probeFile, SECURECHAT_SOAK_PROBE_INTERVAL: String(options.sampleInterval * 1000) }
  })
  // the workers load their modules while the hub starts
  let soak: Soak | undefined
  const workers = Array.from({ length: options.workers }, (_, w) => new PeerWorker(w, (e) => { soak?.onPeerEvent(e) }))
  const loaded = workers.map(async w => w.next('loaded', START_TIMEOUT))
  const timers: Array<ReturnType<typeof setInterval>> = []
  const delay = monitorEventLoopDelay({ resolution: 10 })
  try {
    const setupStart = performance.now()
    const ready = await hub.waitFor(is('ready'), { timeout: START_TIMEOUT })
    const pid = hub.pid
    if (pid === undefined) throw new Error('the hub has no pid')
    soak = new Soak(hub, ready.peerId, options)
    await soak.start(workers, loaded)
    for (const peer of soak.peers) await soak.befriend(peer)
    const setup = (performance.now() - setupStart) / 1000

    // the traffic: one timeline, both directions and every conversation in turn
    const rss: MemoryPoint[] = []
    const progress: ProgressPoint[] = []
    const start = Date.now()
    const sample = async (): Promise<void> => {
      const t = (Date.now() - start) / 1000
      const inFlight = soak?.inFlight() ?? { toHub: 0, fromHub: 0 }
      const [memory, cpu] = await Promise.all([processMemory(pid), processCpuSeconds(pid)])
      progress.push({ t: round(t), ...inFlight, hubCpu: cpu })
      rss.push({ t, mb: memory.rssKiB / 1024 })
    }
    await sample()
    timers.push(setInterval(() => { sample().catch(() => {}) }, options.sampleInterval * 1000))
    timers.push(setInterval(() => { soak?.pump() }, 200))
    delay.enable()
    const perSecond = options.peers * options.rate * 2
    const ticks = Math.round(options.duration * perSecond)
    let exited = false
    void hub.exited.then(() => { exited = true })
    for (let n = 0; n < ticks; n++) {
      const due = start + n * 1000 / perSecond
      if (exited) throw new Error(`the hub exited during the soak\n${hub.diagnostics()}`)
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      const i = Math.floor(n / 2) % options.peers
      if (n % 2 === 0) soak.sendToHub(i)
      else soak.sendFromHub(i)
    }
    delay.disable()
    const traffic = (Date.now() - start) / 1000

    // the drain: every message received and acknowledged, then a second for late duplicates
    const drainStart = Date.now()
    while (!soak.settled() && Date.now() - drainStart < options.drain * 1000) {
      if (exited) throw new Error(`the hub exited while draining\n${hub.diagnostics()}`)
      await sleep(200)
    }
    await sleep(1000)
    await sample()
    const drain = (Date.now() - drainStart) / 1000
    for (const t of timers.splice(0)) clearInterval(t)
    const hwm = (await processMemory(pid)).hwmKiB / 1024
    const { heap, external } = await probePoints(probeFile, start)
    const peersDelay = await soak.stop()
    soak.pump()

    const toHub = sum(soak.toHub.map(c => c.count()))
    const fromHub = sum(soak.fromHub.map(c => c.count()))
    const clean = (c: DirectionCount): boolean => c.sent > 0 && c.missing + c.duplicated + c.outOfOrder + c.duplicateAcks + c.unacked === 0
    const unexpected = (soak.errors.hub.UnexpectedMessage ?? 0) + (soak.errors.peers.UnexpectedMessage ?? 0)
    const trends = { rss: trend(rss, options.duration), heap: trend(heap, options.duration), external: trend(external, options.duration) }
    const lag = (p: number): number => round(delay.percentile(p) / 1e6)

    return await saveResult('soak', {
      load: { start: loadStart, end: loadAverage() },
      options,
      messages: { toHub, fromHub },
      exactlyOnce: clean(toHub) && clean(fromHub) && unexpected === 0,
      latency: { toHub: percentiles(soak.latency.toHub), fromHub: percentiles(soak.latency.fromHub) },
      progress,
      memory: {
        rss: rss.map(p => ({ t: round(p.t), mb: round(p.mb) })),
        heap: heap.map(p => ({ t: round(p.t), mb: round(p.mb) })),
        external: external.map(p => ({ t: round(p.t), mb: round(p.mb) })),
        trends,
        hwm,
        flat: trends.rss.flat === null || trends.heap.flat === null ? null : trends.rss.flat && trends.heap.flat
      },
      errors: soak.errors,
      eventLoopDelay: { runner: { p50: lag(50), p99: lag(99), max: round(delay.max / 1e6) }, peers: peersDelay },
      timings: { setup: round(setup), traffic: round(traffic), drain: round(drain) },
    }, init.resultsDir)
  } finally {
    for (const t of timers) clearInterval(t)
    delay.disable()
    await Promise.allSettled(loaded)
    await Promise.all(workers.map(async w => w.stop()))
    for (const w of workers) w.kill()
    soak?.destroy()
    await hub.stop()
    await hubDir.remove()
  }
}

function mb (v: number | null, sign = false): string {
  if (v === null) return 'n/a'.padStart(9)
  return ((sign && v >= 0 ? '+' : '') + v.toFixed(sign ? 2 : 1)).padStart(9)
}

function verdict (flat: boolean | null): string {
  return flat === null ? 'too few samples' : flat ? 'flat' : 'GROWING'
}

/** the stdout table: messages per direction, the verdict, latency, memory */
export function formatSoak (r: SoakResult): string {
  const o = r.options
  const n = (v: number | string, w = 9): string => String(v).padStart(w)
  const row = (name: string, c: DirectionCount, p: Percentiles): string =>
    `${name.padEnd(14)}${n(c.sent)}${n(c.queued)}${n(c.received)}${n(c.acked)}${n(c.missing, 8)}${n(c.duplicated, 6)}${n(c.outOfOrder, 7)}${n(p.p50.toFixed(1), 10)}${n(p.p99.toFixed(1), 10)}`
  const { toHub, fromHub } = r.messages
  const errors = (e: Record<string, number>): string => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'
  const t = r.memory.trends
  const trendRow = (name: string, tr: MemoryTrend): string =>
    `${name.padEnd(18)}${mb(tr.start)}${mb(tr.peak)}${mb(tr.end)}${mb(tr.slope, true)} MB/min  ${verdict(tr.flat)}`
  const peak = r.progress.reduce((p, x) => Math.max(p, x.toHub + x.fromHub), 0)
  const during = r.progress.filter(x => x.t <= o.duration)
  const first = during[0]
  const last = during.at(-1)
  const cpu = first != null && last != null && last.t > first.t ? (last.hubCpu - first.hubCpu) / (last.t - first.t) * 100 : 0
  const d = r.eventLoopDelay
  return [
    `soak: hub process + ${o.peers} peers in ${o.workers} process${o.workers === 1 ? '' : 'es'}, ${o.duration} s at ${o.rate} msg/s per peer each way, ${o.bytes}-byte messages`,
    `(${machineLine(r.machine)}; load average ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end)`,
    `${'direction'.padEnd(14)}${n('sent')}${n('queued')}${n('received')}${n('acked')}${n('missing', 8)}${n('dup', 6)}${n('order', 7)}${n('p50 ms', 10)}${n('p99 ms', 10)}`,
    row('peers → hub', toHub, r.latency.toHub),
    row('hub → peers', fromHub, r.latency.fromHub),
    r.exactlyOnce
      ? 'every message delivered exactly once, in order, acknowledged once'
      : `NOT exactly once: missing ${toHub.missing + fromHub.missing}, duplicated ${toHub.duplicated + fromHub.duplicated}, out of order ${toHub.outOfOrder + fromHub.outOfOrder}, unacknowledged ${toHub.unacked + fromHub.unacked}, duplicate acks ${toHub.duplicateAcks + fromHub.duplicateAcks}`,
    `in flight: at most ${peak} messages, ${(r.progress.at(-1)?.toHub ?? 0) + (r.progress.at(-1)?.fromHub ?? 0)} at the end; the hub used ${cpu.toFixed(0)} % of a core during the traffic`,
    `${'hub memory, MB'.padEnd(18)}${'start'.padStart(9)}${'peak'.padStart(9)}${'end'.padStart(9)}${'slope'.padStart(9)} (second half)`,
    trendRow('RSS', t.rss),
    trendRow('heap after GC', t.heap),
    trendRow('external', t.external),
    `kernel peak RSS (VmHWM) ${r.memory.hwm.toFixed(1)} MB; memory ${verdict(r.memory.flat)}`,
    `errors: hub ${errors(r.errors.hub)}; peers ${errors(r.errors.peers)}`,
    `setup ${r.timings.setup.toFixed(1)} s, traffic ${r.timings.traffic.toFixed(1)} s, drain ${r.timings.drain.toFixed(1)} s; event-loop delay p99/max: this process ${d.runner.p99.toFixed(0)}/${d.runner.max.toFixed(0)} ms, peers ${d.peers.p99.toFixed(0)}/${d.peers.max.toFixed(0)} ms`,
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  await printResult(runSoak(cliOptions({ peers: 'number', duration: 'number', rate: 'number' })), formatSoak)
}
