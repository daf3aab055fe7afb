/**
 * Start to `ready` (issue 10): the time from spawning a process to its first
 * `ready` JSON line (`securechat --json`), beside baselines measured in the
 * same run, and what start-up spends its time on.
 *
 * Launchers:
 * - built:  `node <outDir>/src/bin.js`, the compiled CLI: dist/ when it is
 *   newer than every file under src/, else a fresh `tsc -p
 *   tsconfig.build.json` into a temporary outDir under .tmp/ (dist/ itself
 *   is never written: bin/securechat.js would then run it for everyone
 *   sharing the tree, stale as soon as src/ changes)
 * - cached: the same with NODE_COMPILE_CACHE (node's on-disk V8 code cache,
 *   filled by the warm-up round): what `module.enableCompileCache()` in the
 *   bin would give
 * - npx:    `npx securechat` in the repo (the package bin, bin/securechat.js)
 * - bin:    `node bin/securechat.js`, the same launcher without npx
 * - source: `node --experimental-transform-types src/bin.ts`
 * bin/securechat.js runs dist/src/bin.js when it exists, else it spawns
 * node on the sources: the result says which one it ran.
 *
 * Each launcher starts on a fresh data dir (first start: key file, identity
 * creation) and on an existing one, each without a passphrase and with one
 * given through --passphrase-file (scrypt N=2^17 once per start). Every node
 * listens on 127.0.0.1 with --no-mdns, and is stopped with /quit (killed,
 * with its process group, if it does not go).
 *
 * Baselines: `node -e` printing a line, `node` importing libp2p, and a bare
 * libp2p node (TCP, Noise, Yamux on 127.0.0.1) created, started and
 * printing a line: spawn to first line each. Beside every wall time, the
 * CPU time its process group had used at that line (user + system, from
 * /proc), which other work on a shared machine skews far less.
 *
 * Breakdown, for one launcher (built by default): a preload (`--import`,
 * nothing in src/ changes) stamps the phases (node's clock origin, the
 * import of src/node, scrypt, LevelDB's open, the store's and libp2p's
 * start log lines with DEBUG=libp2p,securechat:store, the ready line) in
 * `profileRuns` starts per case (medians); and one start per case under
 * `--cpu-prof` gives the main thread's time up to `ready` by package.
 *
 * Starts are run round-robin over every case and baseline, so that a change
 * of load on a shared machine skews them alike; warm-up rounds are
 * discarded. The result is a table on stdout and `startup-<ISO date>.json`
 * under bench/results/.
 *
 * Run: node --experimental-transform-types bench/startup.ts [--runs N --warmup N --profile-runs N]
 * (also STARTUP_RUNS, STARTUP_WARMUP, STARTUP_PROFILE_RUNS)
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { onExit } from '../test/helpers/cleanup.ts'
import { NODE_BIN, NODE_FLAGS, REPO_ROOT } from '../test/helpers/process.ts'
import { createTempDir } from '../test/helpers/tmp.ts'
import { cell, cliOptions, machineLine, printResult, ratioCell, toStderr } from './cli.ts'
import { countOptions, loadAverage, median, percentilesOf, saveResult } from './common.ts'
import type { Machine, Percentiles } from './common.ts'

export type { Percentiles } from './common.ts'

export type Launcher = 'built' | 'cached' | 'npx' | 'bin' | 'source'
const LAUNCHERS: readonly Launcher[] = ['built', 'cached', 'npx', 'bin', 'source']
/** Launchers that run node on securechat directly, so that node's flags (the probe, --cpu-prof) reach it */
export type BreakdownLauncher = 'built' | 'cached' | 'source'
const BREAKDOWN_LAUNCHERS: readonly string[] = ['built', 'cached', 'source']

export interface StartupOptions {
  /** measured starts of each case and baseline; @default 10 */
  runs?: number
  /** rounds over every case run first and discarded; @default 1 */
  warmup?: number
  /** probe starts per case of the breakdown launcher, for the phase medians; @default 3 */
  profileRuns?: number
  /** which launchers to time; @default all five */
  launchers?: Launcher[]
  /** the launcher whose phases and CPU profile are taken, or none; @default 'built' */
  breakdown?: BreakdownLauncher | 'none'
  /** also start with a passphrase (--passphrase-file); @default true */
  passphrase?: boolean
  /** data dirs to start on; @default ['fresh', 'existing'] */
  states?: DataDirState[]
  /** where `startup-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
  /** progress lines; the CLI prints them on stderr */
  onProgress?: (line: string) => void
}

/** fresh: a data dir that does not exist yet (first start); existing: one a start created before */
export type DataDirState = 'fresh' | 'existing'

/** Starts of one kind */
export interface Timing {
  /** spawn to the `ready` line, ms */
  ready: Percentiles
  /** CPU time (user + system) of the process and its children at the ready line, ms, median; null without /proc */
  cpuMs: number | null
}

export interface StartupCase extends Timing {
  launcher: Launcher
  state: DataDirState
  passphrase: boolean
}

/** One phase of start-up, ms per case (median over the probe starts); null where a stamp was missing */
export interface Phase {
  phase: string
  ms: Record<string, number | null>
}

/** Main-thread time up to `ready` by category (package, node, V8, idle), ms per case */
export interface CpuCategory {
  category: string
  ms: Record<string, number>
}

export interface StartupResult {
  date: string
  machine: Machine
  /** the machine's 1-minute load average at the start and the end */
  load: { start: number, end: number }
  options: Required<Omit<StartupOptions, 'resultsDir' | 'onProgress'>>
  cli: {
    /** the compiled bin.js the `built` launcher ran, relative to the repo */
    built: string | null
    /** dist/ (fresh), or a tsc build into a temporary outDir */
    from: 'dist' | 'tsc' | null
    /** the tsc build, ms (0 from dist/) */
    buildMs: number
    /** tsc reported type errors (it still emitted): someone's edit in progress */
    typeErrors: boolean
    /** what bin/securechat.js (npx, bin) ran: dist/src/bin.js, or node on the sources in a second process */
    binRuns: 'dist' | 'source'
  }
  baselines: {
    /** `node -e` printing a line */
    node: Timing
    /** node importing libp2p, then printing a line */
    importLibp2p: Timing
    /** a bare libp2p node (TCP, Noise, Yamux) created and started, then a line */
    bareLibp2p: Timing
  }
  cases: StartupCase[]
  /** p50 of each launcher's existing-data-dir start without passphrase / p50 of the bare libp2p node */
  ratios: Partial<Record<Launcher, number>>
  breakdown: {
    launcher: BreakdownLauncher
    /** the case keys: fresh, fresh+passphrase, existing, existing+passphrase */
    cases: string[]
    phases: Phase[]
    /** modules loaded (module loader hook) and ms spent in its load step (read, type stripping), per case */
    modules: Record<string, { count: number, loadMs: number, beforeNode: number }>
    /** modules loaded per package in the first case's first start, the biggest PACKAGE_ROWS, then the rest as one row */
    packages: Array<{ name: string, beforeNode: number, total: number }>
    cpu: CpuCategory[]
  } | null
  /** the JSON file written */
  file: string
}

type Options = Required<Omit<StartupOptions, 'resultsDir' | 'onProgress'>>

const READY_TIMEOUT = 120_000
const STOP_TIMEOUT = 10_000
const PASSPHRASE = 'startup benchmark passphrase'
const NODE_ARGS = ['--json', '--name', 'bench', '--no-mdns', '--host', '127.0.0.1', '--port', '0']
/** Variables that would change what a start does, or what npx does */
const ENV_DROPPED = /^(SECURECHAT_.*|DEBUG|DEBUG_.*|NODE_OPTIONS|NODE_DEBUG|NODE_TEST_CONTEXT|NODE_COMPILE_CACHE|npm_.*)$/
const PROBE_ENV = 'SECURECHAT_BENCH_PROBE'
const PROBE_FILE = 'securechat-startup-probe.mjs'
/** The store's and libp2p's log lines the probe stamps */
const PROBE_DEBUG = 'libp2p,securechat:store'
/** Categories of the CPU table beyond these many (by the first case) are summed as `other` */
const CPU_ROWS = 14
/** Rows of the modules-per-package table */
const PACKAGE_ROWS = 16

const now = (): number => performance.timeOrigin + performance.now()

/** The child's environment: ours without what changes a start, node_modules/.bin first on PATH */
function childEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!ENV_DROPPED.test(name)) env[name] = value
  }
  env.PATH = `${REPO_ROOT}node_modules/.bin:${process.env.PATH ?? ''}`
  return { ...env, ...extra }
}

interface Started {
  /** spawn to the ready line, ms */
  ms: number
  /** CPU time of the process group at the ready line, ms; null without /proc */
  cpuMs: number | null
  /** when spawn was called, epoch ms */
  spawnedAt: number
}

interface StartSpec {
  command: string
  args: string[]
  env?: Record<string, string>
  /** the line that means ready */
  ready: (line: string) => boolean
  /** write /quit and wait; otherwise the process ends by itself */
  quit: boolean
  what: string
}

/** Every child still running, by process group, for the exit hook */
const running = new Set<ChildProcess>()

/** Signals the child's process group (the child leads it); `leftovers`: also once the child itself has exited */
function killGroup (child: ChildProcess, signal: NodeJS.Signals, leftovers = false): void {
  if (child.pid === undefined || (!leftovers && (child.exitCode !== null || child.signalCode !== null))) return
  try {
    // the child leads its own group (detached): npx's and the launcher's children go with it
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

/**
 * CPU time (user + system) so far of every process in group `pgid`, ms,
 * from Linux's /proc (USER_HZ is 100 there: 10 ms steps per process); null
 * where there is no /proc. Far less skewed by other work on the machine
 * than the wall time.
 */
async function groupCpuMs (pgid: number): Promise<number | null> {
  let pids: string[]
  try {
    pids = (await readdir('/proc')).filter(name => /^\d+$/.test(name))
  } catch {
    return null
  }
  let ticks = 0
  for (const pid of pids) {
    let line: string
    try {
      line = await readFile(`/proc/${pid}/stat`, 'utf8')
    } catch {
      continue
    }
    // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const fields = line.slice(line.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * 10
}

/** Spawns, resolves at the ready line with its time and the group's CPU time, then stops the process (killing it if it lingers) */
async function start (spec: StartSpec): Promise<Started> {
  const spawnedAt = now()
  const t0 = process.hrtime.bigint()
  const child = spawn(spec.command, spec.args, { cwd: REPO_ROOT, env: childEnv(spec.env), stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  running.add(child)
  const unregister = onExit(() => { killGroup(child, 'SIGKILL') })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-8192) })
  child.stdin?.on('error', () => {})
  const closed = new Promise<void>(resolve => { child.once('close', () => { resolve() }) })
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      const fail = (why: string): void => { reject(new Error(`${spec.what}: ${why}\nstderr (tail):\n${stderr}`)) }
      const timer = setTimeout(() => { fail(`no ready line within ${READY_TIMEOUT} ms`) }, READY_TIMEOUT)
      child.once('error', err => { clearTimeout(timer); fail(`could not be started: ${err.message}`) })
      void closed.then(() => { clearTimeout(timer); fail(`exited (code ${child.exitCode}, signal ${child.signalCode}) before its ready line`) })
      if (child.stdout === null) return
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', line => {
        if (spec.ready(line)) {
          clearTimeout(timer)
          resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        } else if (line.includes('"type":"error"')) {
          clearTimeout(timer)
          fail(`error line ${line}`)
        }
      })
    })
    return { ms, spawnedAt, cpuMs: child.pid === undefined ? null : await groupCpuMs(child.pid) }
  } finally {
    if (spec.quit) {
      child.stdin?.end('/quit\n')
    }
    const timer = setTimeout(() => { killGroup(child, 'SIGKILL') }, STOP_TIMEOUT)
    await closed
    clearTimeout(timer)
    // whatever the launcher left behind in the group
    killGroup(child, 'SIGKILL', true)
    running.delete(child)
    unregister()
  }
}

const isReadyJson = (line: string): boolean => {
  try {
    return (JSON.parse(line) as { type?: unknown }).type === 'ready'
  } catch {
    return false
  }
}

/** The command line of `launcher` */
function launch (launcher: Launcher, built: string | null, compileCache: string): { command: string, args: string[], env?: Record<string, string> } {
  switch (launcher) {
    case 'built':
    case 'cached':
      if (built === null) throw new Error('no built CLI')
      return { command: NODE_BIN, args: [built], ...(launcher === 'cached' ? { env: { NODE_COMPILE_CACHE: compileCache } } : {}) }
    case 'npx':
      return { command: 'npx', args: ['securechat'] }
    case 'bin':
      return { command: NODE_BIN, args: [`${REPO_ROOT}bin/securechat.js`] }
    case 'source':
      return { command: NODE_BIN, args: [...NODE_FLAGS, `${REPO_ROOT}src/bin.ts`] }
  }
}

/** The newest modification time of any file under `dir`, ms */
async function newestMtime (dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

interface BuiltCli {
  bin: string
  from: 'dist' | 'tsc'
  buildMs: number
  typeErrors: boolean
  remove: () => void
}

/** dist/src/bin.js if newer than all of src/, else a tsc build into a temporary outDir under .tmp/ (node_modules resolves from there) */
async function builtCli (progress: (line: string) => void): Promise<BuiltCli> {
  const dist = join(REPO_ROOT, 'dist', 'src', 'bin.js')
  if (existsSync(dist) && (await stat(dist)).mtimeMs >= await newestMtime(join(REPO_ROOT, 'src'))) {
    return { bin: dist, from: 'dist', buildMs: 0, typeErrors: false, remove: () => {} }
  }
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true })
  const outDir = await mkdtemp(join(REPO_ROOT, '.tmp', 'bench-startup-'))
  const remove = (): void => { rmSync(outDir, { recursive: true, force: true }) }
  const unregister = onExit(remove)
  progress(`dist/ is ${existsSync(dist) ? 'older than src/' : 'missing'}: building into ${relative(REPO_ROOT, outDir)}`)
  const t0 = process.hrtime.bigint()
  const tsc = spawn(NODE_BIN, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  tsc.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  tsc.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const code = await new Promise<number | null>((resolve, reject) => {
    tsc.once('error', reject)
    tsc.once('close', resolve)
  })
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6
  const bin = join(outDir, 'src', 'bin.js')
  if (!existsSync(bin)) {
    remove()
    unregister()
    throw new Error(`tsc emitted no ${bin} (exit ${code}):\n${output.slice(-4000)}`)
  }
  return { bin, from: 'tsc', buildMs, typeErrors: code !== 0, remove: () => { remove(); unregister() } }
}

/**
 * The preload of the breakdown starts: stamps (epoch ms) of node's clock
 * origin, the probe itself, the import of src/node (the node stack's lazy
 * import), every scrypt, every LevelDB open, the store's and libp2p's log
 * lines and the ready line; modules loaded and the time of their load step.
 * Written to $SECURECHAT_BENCH_PROBE at the ready line. Plain JavaScript, so
 * that it loads no type stripper into the built CLI.
 */
const PROBE = `
import { createRequire, registerHooks, syncBuiltinESMExports } from 'node:module'
import { writeFileSync } from 'node:fs'
const require = createRequire(import.meta.url)
const now = () => performance.timeOrigin + performance.now()
const marks = { origin: performance.timeOrigin, probe: now(), loadMs: 0, modules: 0, urls: [], scrypt: [], levelOpen: [], lines: {} }
registerHooks({
  resolve (specifier, context, next) {
    const resolved = next(specifier, context)
    if (marks.nodeImport === undefined && /\\/src\\/node\\/index\\.(ts|js)$/.test(resolved.url)) {
      marks.nodeImport = now()
      marks.modulesBeforeNode = marks.modules
    }
    return resolved
  },
  load (url, context, next) {
    const start = now()
    try { return next(url, context) } finally { marks.loadMs += now() - start; marks.modules++; marks.urls.push([url, marks.nodeImport === undefined]) }
  }
})
const crypto = require('node:crypto')
const scrypt = crypto.scrypt
crypto.scrypt = function (...args) {
  const done = args.pop()
  const start = now()
  return scrypt.call(this, ...args, (err, key) => { marks.scrypt.push([start, now()]); done(err, key) })
}
syncBuiltinESMExports()
// classic-level's class, patched when level first requires it (not loaded here, so its cost stays where it is)
const Module = require('node:module')
const load = Module._load
let patched = false
Module._load = function (...args) {
  const exports = load.apply(this, args)
  if (!patched && typeof exports?.ClassicLevel === 'function') {
    patched = true
    const proto = exports.ClassicLevel.prototype
    const open = proto._open
    proto._open = async function (...a) { const s = now(); try { return await open.apply(this, a) } finally { marks.levelOpen.push([s, now()]) } }
  }
  return exports
}
const watch = { 'libp2p is starting': 'libp2pStarting', 'libp2p has started': 'libp2pStarted', 'securechat:store opened': 'storeOpened' }
const errWrite = process.stderr.write
process.stderr.write = function (chunk, ...rest) {
  const text = String(chunk)
  for (const [needle, name] of Object.entries(watch)) if (marks.lines[name] === undefined && text.includes(needle)) marks.lines[name] = now()
  return errWrite.call(this, chunk, ...rest)
}
const outWrite = process.stdout.write
process.stdout.write = function (chunk, ...rest) {
  if (marks.ready === undefined && String(chunk).includes('"type":"ready"')) {
    marks.ready = now()
    marks.readyHrUs = Number(process.hrtime.bigint() / 1000n)
    writeFileSync(process.env.${PROBE_ENV}, JSON.stringify(marks))
  }
  return outWrite.call(this, chunk, ...rest)
}
`

interface ProbeMarks {
  origin: number
  probe: number
  loadMs: number
  modules: number
  /** every module loaded, and whether before the import of src/node */
  urls: Array<[string, boolean]>
  modulesBeforeNode?: number
  nodeImport?: number
  scrypt: Array<[number, number]>
  levelOpen: Array<[number, number]>
  lines: { libp2pStarting?: number, libp2pStarted?: number, storeOpened?: number }
  ready?: number
  readyHrUs?: number
}

/** The phases as differences of consecutive stamps; their sum is spawn to ready */
function phasesOf (m: ProbeMarks, spawnedAt: number, readyMs: number): Array<[string, number | null]> {
  const scrypt = m.scrypt[0]
  const level = m.levelOpen[0]
  const stamps: Array<[string, number | undefined]> = [
    ['exec: spawn to node\'s clock origin', m.origin],
    ['node bootstrap (and the probe)', m.probe],
    ['CLI modules, arguments, data dir check', m.nodeImport],
    ['node stack modules (libp2p, services, level), key file read', scrypt?.[0] ?? level?.[0]],
    ['scrypt of the passphrase', scrypt?.[1] ?? level?.[0]],
    ['key file write (fresh), data dir', level?.[0]],
    ['LevelDB open', level?.[1]],
    ['store: key check, format, counts', m.lines.storeOpened],
    ['identity, createLibp2p (services built)', m.lines.libp2pStarting],
    ['libp2p start (TCP listen, services)', m.lines.libp2pStarted],
    ['whoami, the ready line', m.ready],
    ['pipe to the parent', spawnedAt + readyMs]
  ]
  const phases: Array<[string, number | null]> = []
  let previous: number | undefined = spawnedAt
  for (const [name, at] of stamps) {
    phases.push([name, at === undefined || previous === undefined ? null : at - previous])
    previous = at
  }
  return phases
}

interface CpuProfile {
  nodes: Array<{ id: number, callFrame: { functionName: string, url: string }, children?: number[] }>
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

type Frame = CpuProfile['nodes'][number]['callFrame']

/** V8's own pseudo-frames, which stand for themselves */
const PSEUDO: Record<string, string> = {
  '(idle)': '(idle: waiting for disk, scrypt, LevelDB)',
  '(garbage collector)': '(garbage collector)',
  '(program)': '(V8 and native: compile, bootstrap)',
  '(root)': '(root)'
}

/** What a script belongs to: a package (scopes as `@scope/*`), a folder of src/, a part of node */
function scriptCategory (url: string, sources: string[]): string {
  if (url.startsWith('node:internal/deps/amaro')) return 'node: type stripping (amaro)'
  // source_map: node looks for a sourceMappingURL in every module it loads
  if (/^node:internal\/(modules|main|bootstrap|process\/pre_execution|source_map)/.test(url)) return 'node: module loader, bootstrap'
  if (url.startsWith('node:')) return 'node: core (fs, crypto, streams, ...)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const [scope = '', name = ''] = url.slice(nm + '/node_modules/'.length).split('/')
    return scope.startsWith('@') ? `${scope}/*` : scope === '' ? name : scope
  }
  for (const source of sources) {
    if (url.startsWith(source)) return `securechat src/${url.slice(source.length).split('/')[0]?.replace(/\.(ts|js)$/, '') ?? ''}`
  }
  if (url.includes(PROBE_FILE)) return '(bench probe)'
  return 'other'
}

/** Which row of the CPU table a frame's self time goes to; undefined for a frame without a script (a native, wasm): its caller's */
function cpuCategory (frame: Frame, sources: string[]): string | undefined {
  // own keys only: a frame named `constructor` or `toString` is a function, not one of V8's pseudo-frames
  if (Object.hasOwn(PSEUDO, frame.functionName)) return PSEUDO[frame.functionName]
  if (frame.url === '' || frame.url.startsWith('wasm://')) return undefined
  return scriptCategory(frame.url, sources)
}

/** Modules loaded per package (builtins as one row), before the import of src/node and in all, the biggest first */
function modulesByPackage (urls: Array<[string, boolean]>, sources: string[]): Array<{ name: string, beforeNode: number, total: number }> {
  const counts = new Map<string, { beforeNode: number, total: number }>()
  for (const [url, beforeNode] of urls) {
    const name = url.startsWith('node:') ? 'node: builtins' : scriptCategory(url, sources)
    const count = counts.get(name) ?? { beforeNode: 0, total: 0 }
    counts.set(name, { beforeNode: count.beforeNode + (beforeNode ? 1 : 0), total: count.total + 1 })
  }
  return [...counts].map(([name, c]) => ({ name, ...c })).sort((a, b) => b.total - a.total)
}

/**
 * Main-thread self time up to `untilUs` (a process.hrtime in µs, the same
 * clock as the profile's) by category, ms. A native or wasm frame counts
 * for the nearest caller with a script (JSON.parse in the module loader is
 * the module loader's, swc's wasm is the type stripper's).
 */
function cpuBreakdown (profile: CpuProfile, untilUs: number, sources: string[]): Map<string, number> {
  const byId = new Map(profile.nodes.map(node => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const categories = new Map<number, string>()
  const categoryOf = (id: number): string => {
    const known = categories.get(id)
    if (known !== undefined) return known
    const node = byId.get(id)
    const up = parent.get(id)
    const category = (node === undefined ? undefined : cpuCategory(node.callFrame, sources)) ?? (up === undefined ? '(native functions)' : categoryOf(up))
    categories.set(id, category)
    return category
  }
  const totals = new Map<string, number>()
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    if (t >= untilUs) break
    // a sample stands for the time until the next one
    const next = Math.min(untilUs, t + (profile.timeDeltas[i + 1] ?? 0))
    const category = categoryOf(profile.samples[i] ?? -1)
    totals.set(category, (totals.get(category) ?? 0) + (next - t) / 1000)
  }
  return totals
}

const caseKey = (state: DataDirState, passphrase: boolean): string => `${state}${passphrase ? '+passphrase' : ''}`

/** runs every case and baseline round-robin, then the breakdown; writes `startup-<ISO date>.json` */
export async function runStartup (init: StartupOptions = {}): Promise<StartupResult> {
  const launchers = [...new Set(init.launchers ?? LAUNCHERS)]
  const options: Options = {
    ...countOptions(init, { runs: 10, warmup: 1, profileRuns: 3 }, ['warmup']),
    launchers,
    breakdown: init.breakdown ?? 'built',
    passphrase: init.passphrase ?? true,
    states: [...new Set(init.states ?? ['fresh', 'existing'] as const)]
  }
  if (launchers.length === 0 || !launchers.every(l => LAUNCHERS.includes(l))) throw new TypeError(`launchers must be some of ${LAUNCHERS.join(', ')}`)
  if (options.states.length === 0 || !options.states.every(s => s === 'fresh' || s === 'existing')) throw new TypeError('states must be some of fresh, existing')
  if (options.breakdown !== 'none' && !BREAKDOWN_LAUNCHERS.includes(options.breakdown)) throw new TypeError(`breakdown must be one of ${BREAKDOWN_LAUNCHERS.join(', ')} or none`)
  const progress = init.onProgress ?? (() => {})
  const loadStart = loadAverage()

  const binRuns = existsSync(join(REPO_ROOT, 'dist', 'src', 'bin.js')) ? 'dist' : 'source'
  const needsBuilt = launchers.includes('built') || launchers.includes('cached') || options.breakdown === 'built' || options.breakdown === 'cached'
  const cli = needsBuilt ? await builtCli(progress) : undefined
  const dir = await createTempDir('securechat-bench-startup-')
  try {
    const passphraseFile = join(dir.path, 'passphrase')
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 })
    await chmod(passphraseFile, 0o600)
    const probeFile = join(dir.path, PROBE_FILE)
    await writeFile(probeFile, PROBE)
    const built = cli?.bin ?? null
    // the `cached` launcher's V8 code cache: filled by its first (warm-up) start, used by the rest
    const compileCache = join(dir.path, 'compile-cache')
    let fresh = 0
    const dataDir = (state: DataDirState, passphrase: boolean): string =>
      state === 'existing' ? join(dir.path, `existing${passphrase ? '-passphrase' : ''}`) : join(dir.path, `fresh-${fresh++}`)
    const nodeArgs = (state: DataDirState, passphrase: boolean): string[] =>
      [...NODE_ARGS, '--data-dir', dataDir(state, passphrase), ...(passphrase ? ['--passphrase-file', passphraseFile] : [])]

    const passphrases = options.passphrase ? [false, true] : [false]
    // the existing data dirs: one start each, not measured
    for (const passphrase of options.states.includes('existing') ? passphrases : []) {
      const { command, args } = launch(built !== null ? 'built' : 'source', built, compileCache)
      await start({ command, args: [...args, ...nodeArgs('existing', passphrase)], ready: isReadyJson, quit: true, what: 'preparing an existing data dir' })
    }

    // the timed starts, round-robin
    interface Timed { key: string, spec: () => StartSpec, samples: number[], cpu: number[] }
    const timed: Timed[] = []
    const line = (l: string): boolean => l === 'ready'
    // a baseline prints `ready`, then waits for its stdin to end (so that its CPU time can be read), like /quit
    const READY_THEN_WAIT = 'process.stdout.write("ready\\n"); process.stdin.resume(); process.stdin.on("end", () => { void stop().then(() => process.exit()) })'
    const baselineSpec = (key: string, lines: string[]): Timed => ({
      key,
      spec: () => ({ command: NODE_BIN, args: ['--input-type=module', '-e', [...lines, READY_THEN_WAIT].join('\n')], ready: line, quit: true, what: key }),
      samples: [],
      cpu: []
    })
    timed.push(baselineSpec('node', ['const stop = async () => {}']))
    timed.push(baselineSpec('importLibp2p', ['await import("libp2p")', 'const stop = async () => {}']))
    timed.push(baselineSpec('bareLibp2p', [
      'import { createLibp2p } from "libp2p"', 'import { tcp } from "@libp2p/tcp"', 'import { noise } from "@chainsafe/libp2p-noise"', 'import { yamux } from "@chainsafe/libp2p-yamux"',
      'const node = await createLibp2p({ addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })',
      'const stop = async () => { await node.stop() }'
    ]))
    const cases: Array<Timed & { launcher: Launcher, state: DataDirState, passphrase: boolean }> = []
    for (const launcher of launchers) {
      for (const state of options.states) {
        for (const passphrase of passphrases) {
          const { command, args, env } = launch(launcher, built, compileCache)
          cases.push({
            key: `${launcher} ${caseKey(state, passphrase)}`,
            launcher,
            state,
            passphrase,
            spec: () => ({ command, args: [...args, ...nodeArgs(state, passphrase)], ...(env !== undefined ? { env } : {}), ready: isReadyJson, quit: true, what: `${launcher}, ${caseKey(state, passphrase)}` }),
            samples: [],
            cpu: []
          })
        }
      }
    }
    timed.push(...cases)
    for (let round = 0; round < options.warmup + options.runs; round++) {
      progress(`round ${round + 1} of ${options.warmup + options.runs}${round < options.warmup ? ' (warm-up)' : ''}`)
      for (const t of timed) {
        const { ms, cpuMs } = await start(t.spec())
        if (round >= options.warmup) {
          t.samples.push(ms)
          if (cpuMs !== null) t.cpu.push(cpuMs)
        }
      }
    }
    const timing = (t: Timed | undefined): Timing => ({ ready: percentilesOf(t?.samples ?? []), cpuMs: t === undefined || t.cpu.length === 0 ? null : median(t.cpu) })
    const baseline = (key: string): Timing => timing(timed.find(t => t.key === key))
    const baselines = { node: baseline('node'), importLibp2p: baseline('importLibp2p'), bareLibp2p: baseline('bareLibp2p') }
    const caseResults: StartupCase[] = cases.map(c => ({ launcher: c.launcher, state: c.state, passphrase: c.passphrase, ...timing(c) }))
    const ratios: Partial<Record<Launcher, number>> = {}
    for (const c of caseResults) {
      if (c.state === 'existing' && !c.passphrase) ratios[c.launcher] = c.ready.p50 / baselines.bareLibp2p.ready.p50
    }

    // the breakdown: probe starts, then one CPU profile per case
    let breakdown: StartupResult['breakdown'] = null
    if (options.breakdown !== 'none') {
      const launcher = options.breakdown
      const { command, args, env } = launch(launcher, built, compileCache)
      const keys: string[] = []
      const phaseSamples = new Map<string, Map<string, number[]>>()
      const modules: Record<string, { count: number, loadMs: number, beforeNode: number }> = {}
      const cpuTotals = new Map<string, Map<string, number>>()
      let packages: Array<{ name: string, beforeNode: number, total: number }> = []
      const sources = [pathToFileURL(join(REPO_ROOT, 'src')).href + '/', ...(built !== null ? [pathToFileURL(join(built, '..')).href + '/'] : [])]
      const marksFile = join(dir.path, 'marks.json')
      const probed = async (state: DataDirState, passphrase: boolean, flags: string[]): Promise<{ marks: ProbeMarks, started: Started }> => {
        const started = await start({
          command,
          args: ['--import', pathToFileURL(probeFile).href, ...flags, ...args, ...nodeArgs(state, passphrase)],
          env: { ...env, [PROBE_ENV]: marksFile, DEBUG: PROBE_DEBUG },
          ready: isReadyJson,
          quit: true,
          what: `${launcher} (probed), ${caseKey(state, passphrase)}`
        })
        return { marks: JSON.parse(await readFile(marksFile, 'utf8')) as ProbeMarks, started }
      }
      for (const state of options.states) {
        for (const passphrase of passphrases) {
          const key = caseKey(state, passphrase)
          keys.push(key)
          progress(`breakdown: ${launcher}, ${key}`)
          const counts: Array<{ count: number, loadMs: number, beforeNode: number }> = []
          for (let run = 0; run < options.profileRuns; run++) {
            const { marks, started } = await probed(state, passphrase, [])
            for (const [phase, ms] of phasesOf(marks, started.spawnedAt, started.ms)) {
              const byCase = phaseSamples.get(phase) ?? new Map<string, number[]>()
              phaseSamples.set(phase, byCase)
              if (ms !== null) byCase.set(key, [...(byCase.get(key) ?? []), ms])
            }
            const total = phaseSamples.get('total: spawn to ready') ?? new Map<string, number[]>()
            phaseSamples.set('total: spawn to ready', total)
            total.set(key, [...(total.get(key) ?? []), started.ms])
            counts.push({ count: marks.modules, loadMs: marks.loadMs, beforeNode: marks.modulesBeforeNode ?? 0 })
            if (packages.length === 0) {
              const all = modulesByPackage(marks.urls, sources)
              const rest = all.slice(PACKAGE_ROWS)
              packages = [...all.slice(0, PACKAGE_ROWS), ...(rest.length > 0 ? [{ name: `other (${rest.length} more)`, beforeNode: rest.reduce((n, p) => n + p.beforeNode, 0), total: rest.reduce((n, p) => n + p.total, 0) }] : [])]
            }
          }
          modules[key] = { count: median(counts.map(c => c.count)), loadMs: median(counts.map(c => c.loadMs)), beforeNode: median(counts.map(c => c.beforeNode)) }

          const profileDir = await mkdtemp(join(dir.path, 'cpu-'))
          const { marks } = await probed(state, passphrase, ['--cpu-prof', '--cpu-prof-dir', profileDir])
          const [profileName] = (await readdir(profileDir)).filter(f => f.endsWith('.cpuprofile'))
          if (profileName === undefined || marks.readyHrUs === undefined) throw new Error('the profiled start wrote no CPU profile or no ready stamp')
          const profile = JSON.parse(await readFile(join(profileDir, profileName), 'utf8')) as CpuProfile
          for (const [category, ms] of cpuBreakdown(profile, marks.readyHrUs, sources)) {
            const byCase = cpuTotals.get(category) ?? new Map<string, number>()
            cpuTotals.set(category, byCase)
            byCase.set(key, ms)
          }
        }
      }
      const phases: Phase[] = [...phaseSamples].map(([phase, byCase]) => ({
        phase,
        ms: Object.fromEntries(keys.map(k => {
          const samples = byCase.get(k) ?? []
          return [k, samples.length === 0 ? null : median(samples)]
        }))
      }))
      // the biggest rows (by the first case), the rest as `other`, then the sum
      const rows = [...cpuTotals].sort((a, b) => (b[1].get(keys[0] ?? '') ?? 0) - (a[1].get(keys[0] ?? '') ?? 0))
      const cpu: CpuCategory[] = rows.slice(0, CPU_ROWS).map(([category, byCase]) => ({ category, ms: Object.fromEntries(keys.map(k => [k, byCase.get(k) ?? 0])) }))
      const rest = rows.slice(CPU_ROWS)
      if (rest.length > 0) cpu.push({ category: `other (${rest.length} more)`, ms: Object.fromEntries(keys.map(k => [k, rest.reduce((sum, [, byCase]) => sum + (byCase.get(k) ?? 0), 0)])) })
      cpu.push({ category: 'total: profile start to ready', ms: Object.fromEntries(keys.map(k => [k, rows.reduce((sum, [, byCase]) => sum + (byCase.get(k) ?? 0), 0)])) })
      breakdown = { launcher, cases: keys, phases, modules, packages, cpu }
    }

    return await saveResult('startup', {
      load: { start: loadStart, end: loadAverage() },
      options,
      cli: { built: built === null ? null : relative(REPO_ROOT, built), from: cli?.from ?? null, buildMs: cli?.buildMs ?? 0, typeErrors: cli?.typeErrors ?? false, binRuns },
      baselines,
      cases: caseResults,
      ratios,
      breakdown,
    }, init.resultsDir)
  } finally {
    for (const child of running) killGroup(child, 'SIGKILL')
    await dir.remove()
    cli?.remove()
  }
}

const LAUNCHER_NAMES: Record<Launcher, string> = {
  built: 'node <built>/src/bin.js',
  cached: 'the same, NODE_COMPILE_CACHE',
  npx: 'npx securechat',
  bin: 'node bin/securechat.js',
  source: 'node --experimental-transform-types src/bin.ts'
}

/** the stdout tables: baselines and cases (p50, p99), the ratios, then the phases and the CPU profile */
export function formatStartup (r: StartupResult): string {
  const ms = (v: number | null | undefined, width = 10): string => v === null || v === undefined || Number.isNaN(v) ? '–'.padStart(width) : cell(v, 1, width)
  const row = (name: string, t: Timing): string => `${name.padEnd(64)}${ms(t.ready.p50)}${ms(t.ready.p99)}${ms(t.cpuMs)}  ${t.ready.count}`
  const built = r.cli.built === null ? '' : `; built = ${r.cli.built} (${r.cli.from === 'dist' ? 'dist/, fresh' : `tsc into a temp outDir, ${(r.cli.buildMs / 1000).toFixed(1)} s${r.cli.typeErrors ? ', with type errors' : ''}`})`
  const lines = [
    `start to ready: spawn to the first ready line (CPU: median of the process group's at that line), --json --no-mdns --host 127.0.0.1 (${machineLine(r.machine)}, load ${r.load.start.toFixed(1)}–${r.load.end.toFixed(1)})`,
    `bin/securechat.js ran ${r.cli.binRuns === 'dist' ? 'dist/src/bin.js' : 'the sources (no dist/: a second node process)'}${built}`,
    `${'start'.padEnd(64)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU ms'.padStart(10)}  runs`,
    row('baseline: node -e (a line)', r.baselines.node),
    row('baseline: node, import("libp2p")', r.baselines.importLibp2p),
    row('baseline: bare libp2p node (TCP+Noise+Yamux) started', r.baselines.bareLibp2p),
    ...r.cases.map(c => row(`${LAUNCHER_NAMES[c.launcher]}, ${c.state}${c.passphrase ? ', passphrase' : ''}`, c)),
    ...Object.entries(r.ratios).map(([launcher, ratio]) => `${`ratio ${LAUNCHER_NAMES[launcher as Launcher]} (existing) / bare libp2p`.padEnd(64)}${ratioCell(ratio, 2, 9)}`)
  ]
  const b = r.breakdown
  if (b !== null) {
    const header = (title: string): string => `${title.padEnd(60)}${b.cases.map(k => k.padStart(22)).join('')}`
    lines.push(
      '',
      header(`phases of ${LAUNCHER_NAMES[b.launcher]}, ms (median of ${r.options.profileRuns})`),
      ...b.phases.map(p => `${p.phase.padEnd(60)}${b.cases.map(k => ms(p.ms[k], 22)).join('')}`),
      `${'modules loaded (of them before src/node)'.padEnd(60)}${b.cases.map(k => `${b.modules[k]?.count ?? 0} (${b.modules[k]?.beforeNode ?? 0})`.padStart(22)).join('')}`,
      `${'  ms in their load step (read, strip types)'.padEnd(60)}${b.cases.map(k => ms(b.modules[k]?.loadMs, 22)).join('')}`,
      '',
      `${`modules loaded per package (${b.cases[0] ?? ''})`.padEnd(60)}${'before src/node'.padStart(22)}${'in all'.padStart(22)}`,
      ...b.packages.map(p => `${p.name.padEnd(60)}${String(p.beforeNode).padStart(22)}${String(p.total).padStart(22)}`),
      '',
      header('main thread up to ready (--cpu-prof), self ms'),
      ...b.cpu.map(c => `${c.category.padEnd(60)}${b.cases.map(k => ms(c.ms[k], 22)).join('')}`)
    )
  }
  lines.push(`written to ${r.file}`)
  return lines.join('\n')
}

if (import.meta.main) {
  const options = cliOptions({ runs: 'number', warmup: 'number', profileRuns: 'number' }, { env: 'STARTUP' })
  await printResult(runStartup({ ...options, onProgress: toStderr }), formatStartup)
}
