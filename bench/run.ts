/**
 * The runner behind `npm run bench` (issue 10):
 *
 *   npm run bench                       the standard set in turn, then the charts
 *   npm run bench -- latency relay      a selection, then the charts
 *   npm run bench -- fanout             one post to 50 room members, then the charts
 *   npm run bench -- files              one 256 MiB file against a bare stream, then the charts
 *   npm run bench -- soak               the soak (ten minutes), then the charts
 *   npm run bench -- chart              the charts alone
 *   npm run bench -- --help             what there is
 *
 * Every benchmark is a module bench/<name>.ts exporting `run<Name>(options)`,
 * which writes its JSON under bench/results/ (bench/common.ts), and
 * `format<Name>(result)`, its table. Modules are imported only when run, by
 * a computed path: one that is not there yet is skipped by the standard set
 * and named in the error when asked for, and the others still run.
 *
 * Options come from the environment, `<NAME>_<OPTION>` for option `option`
 * of benchmark `name` (LATENCY_MESSAGES=200 → runLatency({ messages: 200 }),
 * SOAK_SAMPLE_INTERVAL=1 → { sampleInterval: 1 }); numbers are passed as
 * numbers, comma-separated ones as arrays (RELAY_CLIENTS=100,1000).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

interface Benchmark {
  name: string
  /** in `npm run bench` without names */
  standard: boolean
  summary: string
}

/** every benchmark, in the order the standard set runs them */
const BENCHMARKS: readonly Benchmark[] = [
  { name: 'latency', standard: true, summary: 'one message send → delivered against its floor (bare echo + 2 synced puts)' },
  { name: 'throughput', standard: true, summary: 'durable messages/s into one conversation and fan-in, against a bare stream' },
  { name: 'fanout', standard: true, summary: 'one post to a room of 50 members, against the same sender\'s direct messages' },
  { name: 'files', standard: true, summary: 'one file through the file service, against a bare stream on the same connection' },
  { name: 'history', standard: true, summary: 'the latest 100 messages of a conversation with many stored' },
  { name: 'startup', standard: true, summary: 'start to ready, and what start-up spends its time on' },
  { name: 'relay', standard: true, summary: 'one relay: memory and reservations at many clients, relayed connection set-up' },
  { name: 'faults', standard: false, summary: 'delivery across crashes and link cuts' },
  { name: 'soak', standard: false, summary: 'one node chatting with 50 peers for ten minutes: nothing lost, memory flat' }
]
const CHART = 'chart'
const EXIT_USAGE = 2

class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
}

/** a benchmark ran to its end, and its own verdict says it failed */
class BenchmarkFailedError extends Error {
  static override name = 'BenchmarkFailedError'
  override name = 'BenchmarkFailedError'
}

/** a benchmark's module is missing, or lacks its exports */
class BenchmarkModuleError extends Error {
  static override name = 'BenchmarkModuleError'
  override name = 'BenchmarkModuleError'
}

/** an option's value from the environment */
type Option = number | number[] | string
type Run = (options: Record<string, Option>) => Promise<unknown>
type Format = (result: unknown) => string

function capitalised (name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1)
}

function moduleFile (name: string): string {
  return fileURLToPath(new URL(`./${name}.ts`, import.meta.url))
}

/**
 * Whether a module's source exports `run<Name>` and `format<Name>`, read
 * without running it: an old-style script (top-level code, no exports, as
 * bench/throughput.ts was) would run the moment it is imported, so it is
 * spawned as a process of its own instead. Once it exports both, it is
 * imported like the rest with no change here.
 */
function exportsRunner (source: string, name: string): boolean {
  return [`run${capitalised(name)}`, `format${capitalised(name)}`].every(id =>
    new RegExp(`\\bexport\\s+(?:async\\s+)?(?:function\\*?|const|let)\\s+${id}\\b`).test(source) ||
    new RegExp(`\\bexport\\s*\\{[^}]*\\b${id}\\b[^}]*\\}`).test(source))
}

/**
 * `<NAME>_<OPTION>` variables as benchmark options: SOAK_SAMPLE_INTERVAL=1 →
 * { sampleInterval: 1 }, RELAY_CLIENTS=100,1000 → { clients: [100, 1000] };
 * anything else is passed as a string, for the benchmark to check
 */
function optionsFromEnv (name: string, env: NodeJS.ProcessEnv): Record<string, Option> {
  const prefix = `${name.toUpperCase()}_`
  const options: Record<string, Option> = {}
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(prefix) || value === undefined || value === '') continue
    const option = key.slice(prefix.length).toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    const numbers = value.split(',').map(Number)
    options[option] = !numbers.every(Number.isFinite) ? value : value.includes(',') ? numbers : Number(value)
  }
  return options
}

/** runs an old-style script with this process's node and flags; rejects on a non-zero exit */
async function runScript (file: string): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, file], { stdio: 'inherit' })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`${file} exited with code ${code}`)
}

async function runBenchmark (b: Benchmark): Promise<void> {
  const file = moduleFile(b.name)
  const relative = `bench/${b.name}.ts`
  if (!existsSync(file)) throw new BenchmarkModuleError(`${relative} does not exist (yet): benchmark "${b.name}" cannot run`)
  const options = optionsFromEnv(b.name, process.env)
  if (!exportsRunner(await readFile(file, 'utf8'), b.name)) {
    process.stdout.write(`(${relative} is a script without run${capitalised(b.name)}/format${capitalised(b.name)}: run as a process of its own)\n`)
    await runScript(file)
    return
  }
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(file).href) as Record<string, unknown>
  } catch (err) {
    throw new BenchmarkModuleError(`${relative} could not be loaded: ${(err as Error).message}`, { cause: err })
  }
  const run = mod[`run${capitalised(b.name)}`]
  const format = mod[`format${capitalised(b.name)}`]
  if (typeof run !== 'function' || typeof format !== 'function') {
    throw new BenchmarkModuleError(`${relative} does not export the functions run${capitalised(b.name)} and format${capitalised(b.name)}`)
  }
  const result = await (run as Run)(options)
  process.stdout.write((format as Format)(result) + '\n')
  // a run that finished but failed its own check (lost or duplicated messages) fails the bench too
  const verdict = result as { exactlyOnce?: unknown, ok?: unknown }
  if (verdict.exactlyOnce === false || verdict.ok === false) {
    throw new BenchmarkFailedError(`${b.name} finished, but its verdict is a failure (see its table)`)
  }
}

function help (): string {
  const width = Math.max(...BENCHMARKS.map(b => b.name.length), CHART.length) + 2
  const line = (name: string, summary: string, note = ''): string => {
    const there = name === CHART || existsSync(moduleFile(name)) ? '' : ' (bench/' + name + '.ts not there yet)'
    return `  ${name.padEnd(width)}${summary}${note}${there}`
  }
  return [
    'usage: npm run bench [-- NAME...]',
    '',
    'Runs the named benchmarks in turn (without names: the standard set, marked *),',
    'prints each table, writes each JSON to bench/results/, then renders the charts.',
    '',
    ...BENCHMARKS.map(b => line(b.name, b.summary, b.standard ? ' *' : '')),
    line(CHART, 'only render the charts (bench/results/*.svg) from the newest JSON of each'),
    '',
    'Options come from the environment as <NAME>_<OPTION>, e.g.',
    '  LATENCY_MESSAGES=200 npm run bench -- latency',
    '  SOAK_PEERS=10 SOAK_DURATION=60 SOAK_RATE=1 npm run bench -- soak'
  ].join('\n')
}

/** `npm run bench` with these arguments; resolves with the exit code */
async function main (args: string[]): Promise<number> {
  let names: string[]
  try {
    const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } })
    if (values.help === true) {
      process.stdout.write(help() + '\n')
      return 0
    }
    const unknown = positionals.filter(n => n !== CHART && !BENCHMARKS.some(b => b.name === n))
    if (unknown.length > 0) throw new UsageError(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (npm run bench -- --help lists them)`)
    names = positionals
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    return EXIT_USAGE
  }

  const selected = names.length === 0
    ? BENCHMARKS.filter(b => b.standard)
    : BENCHMARKS.filter(b => names.includes(b.name))
  let failed = 0
  for (const b of selected) {
    if (names.length === 0 && !existsSync(moduleFile(b.name))) {
      process.stdout.write(`\n== ${b.name}: skipped, bench/${b.name}.ts is not there yet\n`)
      continue
    }
    process.stdout.write(`\n== ${b.name}\n`)
    try {
      await runBenchmark(b)
    } catch (err) {
      failed++
      process.stderr.write(`${b.name} failed: ${err instanceof BenchmarkModuleError || err instanceof BenchmarkFailedError ? err.message : (err as Error).stack ?? String(err)}\n`)
    }
  }

  process.stdout.write(`\n== ${CHART}\n`)
  try {
    const { renderCharts, formatCharts } = await import('./chart.ts')
    process.stdout.write(formatCharts(await renderCharts()) + '\n')
  } catch (err) {
    failed++
    process.stderr.write(`${CHART} failed: ${(err as Error).stack ?? String(err)}\n`)
  }
  return failed === 0 ? 0 : 1
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2))
}
