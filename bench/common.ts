/**
 * What every benchmark in bench/ shares: the machine a result was taken on,
 * its count options, HDR-histogram percentiles (`hdr-histogram-js`), timed
 * sampling, the bare libp2p echo baseline (test/helpers/libp2p.ts's
 * bareNode(), securechat's stack: TCP, Noise, Yamux) and the JSON file
 * under bench/results/ that the charts and the README read. What a
 * benchmark takes and shows on a terminal is bench/cli.ts.
 */
import { mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lpStream } from '@libp2p/utils'
import { build } from 'hdr-histogram-js'
import { bareNode } from '../test/helpers/libp2p.ts'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Histogram } from 'hdr-histogram-js'

export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const NS_PER_MS = 1e6

export interface Machine {
  os: string
  arch: string
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
}

export function machine (): Machine {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    node: process.version
  }
}

/** The machine's 1-minute load average (other work on a shared machine skews every figure) */
export function loadAverage (): number {
  return os.loadavg()[0] ?? 0
}

/** One part's samples, in milliseconds */
export interface Percentiles {
  count: number
  p50: number
  p99: number
  max: number
  mean: number
}

/** An HDR histogram of nanoseconds up to a minute, 3 significant digits */
export function histogram (): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000 * NS_PER_MS, numberOfSignificantValueDigits: 3 })
}

/** p50, p99, max and mean of a histogram of nanoseconds, in milliseconds */
export function percentiles (h: Histogram): Percentiles {
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50) / NS_PER_MS,
    p99: h.getValueAtPercentile(99) / NS_PER_MS,
    max: h.maxValue / NS_PER_MS,
    mean: h.mean / NS_PER_MS
  }
}

/** Percentiles of samples already taken, in milliseconds (each at least 1 ns) */
export function percentilesOf (samplesMs: readonly number[]): Percentiles {
  const h = histogram()
  try {
    for (const ms of samplesMs) h.recordValue(Math.max(1, Math.round(ms * NS_PER_MS)))
    return percentiles(h)
  } finally {
    h.destroy()
  }
}

/** The median of `values` (the mean of the middle two of an even count); NaN for none */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] ?? NaN : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2
}

/** Bytes of every file under `path`, recursively (what `du --apparent-size` counts) */
export async function dirBytes (path: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

/** Runs `once` warmup + count times in turn and records the last count */
export async function sample (count: number, warmup: number, once: (i: number) => Promise<void>): Promise<Percentiles> {
  const h = histogram()
  try {
    for (let i = 0; i < warmup + count; i++) {
      const start = process.hrtime.bigint()
      await once(i)
      const ns = Number(process.hrtime.bigint() - start)
      if (i >= warmup) h.recordValue(Math.max(1, ns))
    }
    return percentiles(h)
  } finally {
    h.destroy()
  }
}

/**
 * Two bare libp2p nodes on loopback (bareNode()), one stream of `protocol`
 * between them on which the server echoes `frames` lp-framed messages of at
 * most `maxDataLength` bytes: `use` gets the client's end, then the stream
 * is closed and both nodes stopped
 */
export async function echoStream<T> (protocol: string, frames: number, maxDataLength: number, use: (lp: LengthPrefixedStream) => Promise<T>): Promise<T> {
  const [server, client] = await Promise.all([bareNode(), bareNode()])
  try {
    await server.handle(protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength })
      for (let i = 0; i < frames; i++) await lp.write(await lp.read())
      await stream.close()
    })
    const stream = await client.dialProtocol(server.getMultiaddrs(), protocol)
    const result = await use(lpStream(stream, { maxDataLength }))
    await stream.close()
    return result
  } finally {
    await Promise.allSettled([server.stop(), client.stop()])
  }
}

/** A benchmark's result as saveResult() writes it: its date and machine, what it found, and the file it went to */
type Saved<T> = { date: string, machine: Machine } & T & { file: string }

/**
 * Writes benchmark `name`'s result, taken now, as JSON to `<dir>/<name>-<ISO
 * date>.json` (creating the folder): the date, the machine, `fields` in
 * their order, then the file's own path; resolves with that result
 */
export async function saveResult<T extends object> (name: string, fields: T, dir: string = DEFAULT_RESULTS_DIR): Promise<Saved<T>> {
  const date = new Date().toISOString()
  const result = { date, machine: machine(), ...fields, file: join(dir, `${name}-${date.replaceAll(':', '-')}.json`) }
  await mkdir(dirname(result.file), { recursive: true })
  await writeFile(result.file, JSON.stringify(result, null, 2) + '\n')
  return result
}

/** Checks that every option is a safe integer, at least 1 (0 for names in `zeroOk`) */
export function checkCounts (options: Record<string, number>, zeroOk: string[] = []): void {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isSafeInteger(value) || value < (zeroOk.includes(name) ? 0 : 1)) {
      throw new TypeError(`${name} must be a positive integer, got ${value}`)
    }
  }
}

/**
 * A benchmark's count options: each key of `defaults` from `init`, else its
 * default, in the order of `defaults` (the order of the result's JSON), then
 * checked by checkCounts()
 */
export function countOptions<T extends Record<string, number>> (init: Partial<NoInfer<T>>, defaults: T, zeroOk: Array<keyof T & string> = []): T {
  const options = Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, init[name] ?? value])) as T
  checkCounts(options, zeroOk)
  return options
}

/** A process's resident memory, from Linux's /proc/<pid>/status */
export interface Memory {
  /** VmRSS: resident now, KiB */
  rssKiB: number
  /** VmHWM: the most it has been resident so far, KiB */
  hwmKiB: number
}

/** The resident memory of process `pid` (this one by default); Linux only */
export async function processMemory (pid: number | 'self' = 'self'): Promise<Memory> {
  const file = `/proc/${pid}/status`
  const status = await readFile(file, 'utf8')
  const kib = (field: string): number => {
    const value = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]
    if (value == null) throw new Error(`no ${field} in ${file}`)
    return Number(value)
  }
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') }
}

/** CPU seconds (user + system) process `pid` has used so far; Linux only */
export async function processCpuSeconds (pid: number | 'self' = 'self'): Promise<number> {
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ').at(-1)?.split(' ') ?? []
  const ticks = Number(fields[11]) + Number(fields[12]) // utime, stime
  if (!Number.isFinite(ticks)) throw new Error(`no CPU times in /proc/${pid}/stat`)
  return ticks / CLOCK_TICKS_PER_SECOND
}

/** Open sockets of process `pid` (its TCP connections and listeners); Linux only */
export async function processSockets (pid: number): Promise<number> {
  const dir = `/proc/${pid}/fd`
  const links = await Promise.all((await readdir(dir)).map(async fd => readlink(`${dir}/${fd}`).catch(() => '')))
  return links.filter(l => l.startsWith('socket:')).length
}

/** USER_HZ, 100 on every Linux architecture Node runs on */
const CLOCK_TICKS_PER_SECOND = 100
