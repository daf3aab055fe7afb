/**
 * File-transfer throughput (issue 12): one file through the file service
 * (/securechat/file/1.0.0) against a bare libp2p stream on the same
 * connection, both measured in the same run on loopback.
 *
 * - Two real nodes, each in a worker process of its own (bench/files-peer.ts:
 *   a bare libp2p node with the file service and a real store,
 *   test/helpers/file-nodes.ts), so the sender and the receiver each have a
 *   core, as on two machines; this process only directs them. The sender
 *   dials the receiver once: that one connection (TCP, Noise, Yamux) carries
 *   both parts, and a run in which a second one appears fails.
 * - bare: a new stream of a test protocol registered on both nodes, `sizeMib`
 *   MiB in writes of CHUNK_BYTES (60 KiB, the file service's chunk), waiting
 *   for `drain` when the stream asks; the receiver drains it and acks its
 *   last byte. Timed from the first write to the ack.
 * - file: a file of as many random bytes, offered (hashed, stored, sent),
 *   accepted the moment the offer arrives, fetched, checked against its
 *   SHA-256 and moved into place, up to the receiver's `file` event
 *   (`complete`). `streaming` is from the receiver's first progress event to
 *   its last (bytes written to the partial file: no offer, no accept, no
 *   final hash); `fromAccept` from accept() to `complete`; `whole` from
 *   offer() to it. Between them, the stages: `hash` (offer(): the sender's
 *   SHA-256 of the file and the stored offer), `offer` (to the receiver's
 *   `offer` event), `accept` (to the first progress event: accept(), the
 *   GET stream and its handshake, the first chunk), `streaming`, `check`
 *   (the last progress to `complete`: the final sync, the receiver's
 *   SHA-256 of the whole file, the rename), then `done` (to the sender's
 *   own `complete`, the DONE round).
 *
 * Each part runs `warmup` times first (discarded), then `repetitions` times,
 * the two parts alternating which goes first; the medians are reported.
 * Ratios: file MiB/s / bare MiB/s for each of the three, taken per
 * repetition (its two parts run back to back) and then the median; the
 * goal is at least 0.8, on `streaming` (the throughput) and, apart from it,
 * on `whole`.
 * CPU is each process's own (user + system, every thread) over the part, as
 * a share of one core. The run fails (`ok` false) if a transfer does not
 * complete, the bare stream loses a byte, or a second connection appears.
 *
 * Run: npm run bench -- files (FILES_SIZE_MIB, FILES_REPETITIONS, ...), or
 * node --experimental-transform-types bench/files.ts [--size-mib N --repetitions N --warmup N --timeout S --cpu-prof DIR]
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHUNK_BYTES } from '../src/files/constants.ts'
import { cell, cliOptions, machineLine, printResult, ratioCell, toStderr } from './cli.ts'
import { countOptions, loadAverage, median, saveResult } from './common.ts'
import { PeerWorker } from './soak.ts'
import type { Machine } from './common.ts'
import type { FilesPeerCommand, FilesPeerEvent, Mark } from './files-peer.ts'

export interface FilesOptions {
  /** MiB sent by each part, each time; @default 256 */
  sizeMib?: number
  /** times each part is measured, the median reported; @default 5 */
  repetitions?: number
  /** times each part runs first, discarded; @default 1 */
  warmup?: number
  /** seconds one part may take before the run fails; @default 300 */
  timeout?: number
  /** a folder where both workers write a V8 CPU profile (`--cpu-prof`) when they exit; @default none */
  cpuProf?: string
  /** where `files-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
}

/** A part's CPU, as a share of one core over its time (1 = a core busy throughout) */
export interface SidesCpu {
  sender: number
  receiver: number
}

/** One bare-stream run */
export interface BareRun {
  /** MiB/s, the sender's first write to the receiver's ack */
  rate: number
  /** MiB/s, the receiver's first byte read to its last */
  received: number
  ms: number
  cpu: SidesCpu
  /** CPU ms each side spent per MiB (over the same intervals as `cpu`): what load from other work changes least */
  cpuMsPerMib: SidesCpu
}

/** ms of each stage of one transfer through the file service, in order (see the module's comment) */
export interface FileStages {
  hash: number
  offer: number
  accept: number
  streaming: number
  check: number
  done: number
}

/** One file-service run */
export interface FileRun {
  /** MiB/s, the receiver's first progress event to its last */
  streaming: number
  /** MiB/s, accept() to the receiver's `complete` */
  fromAccept: number
  /** MiB/s, offer() to the receiver's `complete` */
  whole: number
  stages: FileStages
  /** over `streaming`: each side between its own first and last progress event */
  cpu: SidesCpu
  /** CPU ms per MiB over the same intervals */
  cpuMsPerMib: SidesCpu
  /** GET streams the download took: 1, or more when it was cut (a reset stream) and resumed from its synced offset */
  gets: number
}

export interface FilesResult {
  date: string
  machine: Machine
  /** the machine's 1-minute load average at the start and the end (other work skews every figure) */
  load: { start: number, end: number }
  options: Required<Omit<FilesOptions, 'resultsDir' | 'cpuProf'>> & { writeBytes: number }
  /** MiB/s, medians */
  rates: {
    bare: number
    /** the bare stream as the receiver saw it: first byte to last */
    bareReceived: number
    fileStreaming: number
    fileFromAccept: number
    fileWhole: number
  }
  /** medians of each repetition's file MiB/s over its bare MiB/s (the two parts run back to back) */
  ratios: {
    /** file streaming / bare: the goal is ≥ 0.8 */
    streamingToBare: number
    fromAcceptToBare: number
    wholeToBare: number
  }
  goal: {
    ratio: number
    /** streamingToBare ≥ ratio */
    met: boolean
    /** wholeToBare ≥ ratio */
    metWhole: boolean
  }
  /** ms of each stage of a transfer, medians */
  stages: FileStages
  /** shares of a core, medians */
  cpu: { bare: SidesCpu, file: SidesCpu }
  /** CPU ms per MiB on each side, medians: the cost that load from other work changes least (the ratio of these bounds the throughput ratio of CPU-bound sides) */
  cpuMsPerMib: { bare: SidesCpu, file: SidesCpu }
  /** every run, in order */
  runs: { bare: BareRun[], file: FileRun[] }
  /** connections between the two nodes, the most seen at the end of any part: 1 */
  connections: number
  /** the connection the file's bytes took, as the progress events say */
  via: string[]
  /** every transfer complete, every bare byte received, one connection throughout */
  ok: boolean
  /** why `ok` is false */
  failures: string[]
  /** seconds: the workers' start-up and the file's making, the parts */
  timings: { setup: number, run: number }
  /** the JSON file written */
  file: string
}

const WORKER = fileURLToPath(new URL('./files-peer.ts', import.meta.url))
const MIB = 1024 * 1024
const MS_PER_S = 1000
const START_TIMEOUT = 120_000
const GOAL_RATIO = 0.8

type Side = PeerWorker<FilesPeerCommand, FilesPeerEvent>

function mibPerSecond (bytes: number, ms: number): number {
  return bytes / MIB / (ms / MS_PER_S)
}

/** the medians of each numeric field of `rows` */
function medians<T extends { [K in keyof T]: number }> (rows: T[]): T {
  const keys = Object.keys(rows[0] ?? {}) as Array<keyof T>
  return Object.fromEntries(keys.map(k => [k, median(rows.map(r => r[k]))])) as T
}

/** The two workers, connected, and the file the sender offers */
class Pair {
  readonly failures: string[] = []
  connections = 0
  readonly via = new Set<string>()

  constructor (readonly sender: Side, readonly receiver: Side, readonly senderId: string, readonly receiverId: string, readonly path: string, readonly bytes: number, readonly timeout: number) {}

  private seen (connections: number, part: string): void {
    this.connections = Math.max(this.connections, connections)
    if (connections !== 1) this.failures.push(`${part}: ${connections} connections between the nodes, not 1`)
  }

  async bare (): Promise<BareRun> {
    const ended = Promise.all([this.sender.next('bare', this.timeout), this.receiver.next('sunk', this.timeout)])
    this.sender.command({ cmd: 'bare', peer: this.receiverId, bytes: this.bytes, writeBytes: CHUNK_BYTES })
    const [sent, sunk] = await ended
    if (sunk.bytes !== this.bytes) this.failures.push(`bare stream: ${sunk.bytes} of ${this.bytes} bytes received`)
    this.seen(sent.connections, 'bare stream')
    const ms = sent.end - sent.start
    const window = sunk.last - sunk.first
    const mib = this.bytes / MIB
    return {
      rate: mibPerSecond(this.bytes, ms),
      received: mibPerSecond(this.bytes, window),
      ms,
      cpu: { sender: sent.cpuMs / ms, receiver: window > 0 ? sunk.cpuMs / window : 0 },
      cpuMsPerMib: { sender: sent.cpuMs / mib, receiver: sunk.cpuMs / mib }
    }
  }

  async file (): Promise<FileRun> {
    // every wait is taken before the command that answers it, so no event comes before its listener;
    // all four in one Promise.all, so none rejects unheard while another is awaited
    const arrived = this.receiver.next('offer', this.timeout)
    const events = Promise.all([this.sender.next('offered', this.timeout), arrived, this.receiver.next('file', this.timeout), this.sender.next('file', this.timeout)])
    this.sender.command({ cmd: 'offer', peer: this.receiverId, path: this.path })
    // the offer's arrival, or at once the failure of any wait (a worker's command that threw)
    const { id } = await Promise.race([arrived, events.then(([, o]) => o)])
    const accepted = this.receiver.next('accepted', this.timeout)
    this.receiver.command({ cmd: 'accept', id })
    const [[offered, offer, landed, told], accept] = await Promise.all([events, accepted])

    for (const [side, e] of [['receiver', landed], ['sender', told]] as const) {
      if (e.id !== offered.id || e.status !== 'complete') this.failures.push(`file ${offered.id}: the ${side} says ${e.status}${e.reason == null ? '' : ` (${e.reason})`}${e.id === offered.id ? '' : ` for ${e.id}`}`)
      this.seen(e.connections, `file, ${side}`)
      if (e.via != null) this.via.add(e.via)
    }
    const first = landed.first
    const last = landed.last
    if (first == null || last == null || last.bytes !== this.bytes) {
      this.failures.push(`file ${offered.id}: the receiver's progress ended at ${last?.bytes ?? 'no'} bytes of ${this.bytes}`)
    }
    const f = first ?? { bytes: 0, at: accept.calledAt, cpuMs: 0 }
    const l = last ?? { bytes: this.bytes, at: landed.at, cpuMs: 0 }
    const s = { first: told.first ?? f, last: told.last ?? l }
    const streamingMs = l.at - f.at
    const share = (a: Mark, b: Mark): number => b.at > a.at ? (b.cpuMs - a.cpuMs) / (b.at - a.at) : 0
    const perMib = (a: Mark, b: Mark): number => b.bytes > a.bytes ? (b.cpuMs - a.cpuMs) / ((b.bytes - a.bytes) / MIB) : 0
    return {
      streaming: mibPerSecond(l.bytes - f.bytes, streamingMs),
      fromAccept: mibPerSecond(this.bytes, landed.at - accept.calledAt),
      whole: mibPerSecond(this.bytes, landed.at - offered.calledAt),
      stages: {
        hash: offered.resolvedAt - offered.calledAt,
        offer: offer.at - offered.resolvedAt,
        accept: f.at - offer.at,
        streaming: streamingMs,
        check: landed.at - l.at,
        done: told.at - landed.at
      },
      cpu: { sender: share(s.first, s.last), receiver: share(f, l) },
      cpuMsPerMib: { sender: perMib(s.first, s.last), receiver: perMib(f, l) },
      gets: landed.gets
    }
  }
}

async function started (side: Side): Promise<Extract<FilesPeerEvent, { type: 'started' }>> {
  const ready = side.next('started', START_TIMEOUT)
  side.command({ cmd: 'start' })
  return ready
}

/** runs both parts, `warmup` + `repetitions` times each, and writes `files-<ISO date>.json` */
export async function runFiles (init: FilesOptions = {}): Promise<FilesResult> {
  const options = countOptions(init, { sizeMib: 256, repetitions: 5, warmup: 1, timeout: 300 }, ['warmup'])
  if (init.cpuProf !== undefined && (typeof init.cpuProf !== 'string' || init.cpuProf === '')) {
    throw new TypeError(`cpuProf must be a folder, got ${String(init.cpuProf)}`)
  }
  const bytes = options.sizeMib * MIB
  const load = loadAverage()
  const setupStart = performance.now()
  const execArgv = init.cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(init.cpuProf)}`]
  const [sender, receiver] = [0, 1].map(id => new PeerWorker<FilesPeerCommand, FilesPeerEvent>(id, () => {}, { module: WORKER, execArgv }))
  if (sender == null || receiver == null) throw new Error('two workers')
  try {
    await Promise.all([sender.next('loaded', START_TIMEOUT), receiver.next('loaded', START_TIMEOUT)])
    const [s, r] = await Promise.all([started(sender), started(receiver)])
    const connected = sender.next('connected', START_TIMEOUT)
    sender.command({ cmd: 'connect', peer: r.peerId, addrs: r.addrs })
    const made = sender.next('made', START_TIMEOUT)
    await connected
    sender.command({ cmd: 'make', bytes })
    const pair = new Pair(sender, receiver, s.peerId, r.peerId, (await made).path, bytes, options.timeout * MS_PER_S)
    const setup = (performance.now() - setupStart) / MS_PER_S

    const runStart = performance.now()
    const bare: BareRun[] = []
    const file: FileRun[] = []
    const total = options.warmup + options.repetitions
    for (let i = 0; i < total; i++) {
      const keep = i >= options.warmup
      const runBare = async (): Promise<void> => { const b = await pair.bare(); if (keep) bare.push(b) }
      const runFile = async (): Promise<void> => { const f = await pair.file(); if (keep) file.push(f) }
      // alternating which goes first: neither always follows the other's garbage or page-cache writeback
      for (const run of i % 2 === 0 ? [runBare, runFile] : [runFile, runBare]) await run()
      const b = bare.at(-1)
      const f = file.at(-1)
      toStderr(`files: ${keep ? `run ${i - options.warmup + 1} of ${options.repetitions}` : `warm-up ${i + 1} of ${options.warmup}`}` +
        (keep && b != null && f != null ? `: bare ${b.rate.toFixed(1)} MiB/s, file streaming ${f.streaming.toFixed(1)}, whole ${f.whole.toFixed(1)} MiB/s` : ''))
    }
    const run = (performance.now() - runStart) / MS_PER_S

    const rates = {
      bare: median(bare.map(b => b.rate)),
      bareReceived: median(bare.map(b => b.received)),
      fileStreaming: median(file.map(f => f.streaming)),
      fileFromAccept: median(file.map(f => f.fromAccept)),
      fileWhole: median(file.map(f => f.whole))
    }
    // each run's file part over the bare part of the same repetition, run back to back: paired, so that load
    // from other work that comes and goes moves both (a ratio of the two medians would mix different runs)
    const paired = (rate: (f: FileRun) => number): number => median(file.map((f, i) => rate(f) / (bare[i]?.rate ?? NaN)))
    const ratios = {
      streamingToBare: paired(f => f.streaming),
      fromAcceptToBare: paired(f => f.fromAccept),
      wholeToBare: paired(f => f.whole)
    }
    return await saveResult('files', {
      load: { start: load, end: loadAverage() },
      options: { ...options, writeBytes: CHUNK_BYTES },
      rates,
      ratios,
      goal: { ratio: GOAL_RATIO, met: ratios.streamingToBare >= GOAL_RATIO, metWhole: ratios.wholeToBare >= GOAL_RATIO },
      stages: medians(file.map(f => f.stages)),
      cpu: { bare: medians(bare.map(b => b.cpu)), file: medians(file.map(f => f.cpu)) },
      cpuMsPerMib: { bare: medians(bare.map(b => b.cpuMsPerMib)), file: medians(file.map(f => f.cpuMsPerMib)) },
      runs: { bare, file },
      connections: pair.connections,
      via: [...pair.via],
      ok: pair.failures.length === 0,
      failures: pair.failures,
      timings: { setup, run }
    }, init.resultsDir)
  } finally {
    await Promise.all([sender.stop(), receiver.stop()])
  }
}

/** the stdout table: MiB/s of each part and its ratio to the bare stream, CPU, the goal, the stages */
export function formatFiles (r: FilesResult): string {
  const pct = (v: number): string => `${Math.round(v * 100)} %`.padStart(9)
  const row = (name: string, rate: number, ratio: number | undefined, cpu?: SidesCpu): string =>
    `${name.padEnd(46)}${cell(rate, 1, 8)}${ratio === undefined ? ''.padStart(9) : ratioCell(ratio, 3, 8)}${cpu == null ? '' : `${pct(cpu.sender)}${pct(cpu.receiver)}`}`
  const met = (v: boolean): string => v ? 'met' : 'NOT met'
  const s = r.stages
  return [
    `files, ${r.options.sizeMib} MiB each, ${r.options.writeBytes / 1024} KiB writes and chunks, loopback, sender and receiver in two processes (${machineLine(r.machine)}, load ${r.load.start.toFixed(1)}–${r.load.end.toFixed(1)})`,
    `${'part'.padEnd(46)}${'MiB/s'.padStart(8)}${'/ bare'.padStart(9)}${'sender'.padStart(9)}${'receiver'.padStart(9)}`,
    row('bare stream, first write → ack', r.rates.bare, undefined, r.cpu.bare),
    row('file service, streaming (1st → last progress)', r.rates.fileStreaming, r.ratios.streamingToBare, r.cpu.file),
    row('file service, accept() → complete', r.rates.fileFromAccept, r.ratios.fromAcceptToBare),
    row('file service, offer() → complete (whole)', r.rates.fileWhole, r.ratios.wholeToBare),
    `goal: file ≥ ${r.goal.ratio} × bare: streaming ${met(r.goal.met)}, whole ${met(r.goal.metWhole)} (CPU: share of one core, each process)`,
    `CPU ms per MiB, sender / receiver: bare ${cell(r.cpuMsPerMib.bare.sender, 1, 0)} / ${cell(r.cpuMsPerMib.bare.receiver, 1, 0)}, file service ${cell(r.cpuMsPerMib.file.sender, 1, 0)} / ${cell(r.cpuMsPerMib.file.receiver, 1, 0)} (streaming)`,
    `stages of one transfer, median ms: hash ${cell(s.hash, 0, 0)}, offer ${cell(s.offer, 0, 0)}, accept ${cell(s.accept, 0, 0)}, streaming ${cell(s.streaming, 0, 0)}, check ${cell(s.check, 0, 0)}, done ${cell(s.done, 0, 0)}`,
    `${r.options.repetitions} runs of each after ${r.options.warmup} warm-up; ${r.connections} connection${r.connections === 1 ? '' : 's'}, via ${r.via.join(', ') || '?'}; downloads cut and resumed ${r.runs.file.reduce((n, f) => n + f.gets - 1, 0)} times in all (GET streams per download: ${r.runs.file.map(f => f.gets).join(', ')})`,
    ...(r.ok ? [] : [`FAILED: ${r.failures.join('; ')}`]),
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  const { cpuProf, ...counts } = cliOptions({ sizeMib: 'number', repetitions: 'number', warmup: 'number', timeout: 'number', cpuProf: 'string' }, { env: 'FILES' })
  await printResult(runFiles({ ...Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== undefined)), ...(cpuProf === undefined ? {} : { cpuProf }) }), formatFiles)
}
