/**
 * A benchmark run on its own, `node --experimental-transform-types
 * bench/<name>.ts [--option value ...]`: its options from the command line
 * (some also from the environment), its progress on stderr, and the cells
 * of the table it prints on stdout (`format<Name>()`, which `npm run bench`
 * prints too). bench/run.ts takes options from the environment alone.
 */
import { parseArgs } from 'node:util'
import type { Machine } from './common.ts'
import type { ParseArgsOptionsConfig } from 'node:util'

/** How an option's text becomes its value: a number (an empty value is none), the comma-separated parts, or the text as given */
type Kind = 'number' | 'list' | 'string'
type Value<K extends Kind> = K extends 'number' ? number : K extends 'list' ? string[] : string

export interface CliInit {
  /** an option not given on the command line comes from `<env>_<OPTION>` (env 'STARTUP': profileRuns from STARTUP_PROFILE_RUNS); @default none */
  env?: string
  /** `--help` (`-h`) prints this on stdout and exits; @default no --help */
  usage?: string
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
const snake = (name: string): string => name.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()

/**
 * The command line (`util.parseArgs`, strict) of a benchmark whose options
 * are the keys of `table`, `--kebab-case value` for each camelCase key;
 * each value converted as its kind says, undefined where it was not given
 */
export function cliOptions<const T extends Record<string, Kind>> (table: T, init: CliInit = {}): { [K in keyof T]: Value<T[K]> | undefined } {
  const names = Object.keys(table)
  const options: ParseArgsOptionsConfig = Object.fromEntries(names.map(name => [kebab(name), { type: 'string' }]))
  if (init.usage !== undefined) options.help = { type: 'boolean', short: 'h' }
  const { values } = parseArgs({ strict: true, options })
  if (init.usage !== undefined && values.help === true) {
    process.stdout.write(`${init.usage}\n`)
    process.exit(0)
  }
  return Object.fromEntries(names.map(name => {
    const given = values[kebab(name)]
    const text = (typeof given === 'string' ? given : undefined) ?? (init.env !== undefined ? process.env[`${init.env}_${snake(name)}`] : undefined)
    const kind = table[name]
    return [name, kind === 'number' ? (text === undefined || text === '' ? undefined : Number(text)) : kind === 'list' ? text?.split(',') : text]
  })) as { [K in keyof T]: Value<T[K]> | undefined }
}

/** A progress line on stderr, the benchmark's table staying alone on stdout */
export function toStderr (line: string): void {
  process.stderr.write(`${line}\n`)
}

/** Waits for a run and prints `format(result)`, its table, on stdout */
export async function printResult<R> (run: Promise<R>, format: (result: R) => string): Promise<R> {
  const result = await run
  process.stdout.write(format(result) + '\n')
  return result
}

/** A table cell: `v` with `digits` decimals, right-aligned in `width` columns */
export function cell (v: number, digits: number, width: number): string {
  return v.toFixed(digits).padStart(width)
}

/** A ratio's cell: cell(), then × */
export function ratioCell (v: number, digits: number, width: number): string {
  return `${cell(v, digits, width)}×`
}

/** The machine as a table's heading names it: "Linux 6.1.0, 2 × AMD EPYC 7B13, node v24.21.0" */
export function machineLine (m: Machine): string {
  return `${m.os}, ${m.cpus} × ${m.cpuModel}, node ${m.node}`
}
