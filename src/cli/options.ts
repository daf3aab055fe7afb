/**
 * What every subcommand's option table is made of: the row type that drives
 * both `util.parseArgs` and `--help`, the options all of them take, and the
 * parsers of values more than one of them reads. Pure, but for reading
 * --passphrase-file.
 */
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { UsageError } from './errors.ts'
import { passphraseFromSources } from './passphrase-file.ts'

/** One row of an option table: the parseArgs config plus its help line */
export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
  /** placeholder shown in help, for string options */
  arg?: string
  description: string
}

export type OptionTable = Record<string, OptionSpec>

/** What util.parseArgs made of an option table */
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>

/** Where defaults come from, resolved once (see args.ts) */
export interface ResolvedContext {
  env: Record<string, string | undefined>
  defaultName: string
  defaultDataDir: string
  defaultRelayDataDir: string
}

/** One subcommand: its table, what it makes of the parsed values, its --help */
export interface Subcommand<Options> {
  summary: string
  options: OptionTable
  /** the positional arguments it requires, each exactly once, by their names in help (`FILE`); none when absent */
  positionals?: readonly string[]
  /** throws UsageError; `positionals` are the arguments named by `positionals`, in order */
  build(values: ParsedValues, ctx: ResolvedContext, positionals: readonly string[]): Options
  /** `commands` are every subcommand's name and summary, for the top-level help */
  help(ctx: ResolvedContext, commands: Array<[string, string]>): string
}

export const COMMON_OPTIONS: OptionTable = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  version: { type: 'boolean', description: 'print the version and exit' }
}

/** The subcommands that open a data dir take the passphrase from a file too (passphrase-file.ts) */
export const PASSPHRASE_FILE_OPTION: OptionTable = {
  'passphrase-file': {
    type: 'string',
    arg: 'FILE',
    description: 'read the passphrase from the first line of FILE (mode 0600 or 0400; not with SECURECHAT_PASSPHRASE)'
  }
}

export function parsePositiveInt (flag: string, value: string | undefined, fallback: number): number {
  if (value == null) {
    return fallback
  }

  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN

  if (!(Number.isSafeInteger(n) && n > 0)) {
    throw new UsageError(`${flag} must be a positive integer, got '${value}'`)
  }

  return n
}

export function parsePort (value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN

  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${value}'`)
  }

  return port
}

export function parseHost (value: string): string {
  if (isIP(value) === 0) {
    throw new UsageError(`--host must be an IPv4 or IPv6 address, got '${value}'`)
  }

  return value
}

export function parseDataDir (value: string): string {
  if (value === '') {
    throw new UsageError('--data-dir must not be empty')
  }

  return resolve(value)
}

/** A file named on the command line, as an absolute path; `what` names it in the message */
export function parseFilePath (what: string, value: string): string {
  if (value === '') {
    throw new UsageError(`${what} must not be empty`)
  }

  return resolve(value)
}

/**
 * --host, and the passphrase, when given: from SECURECHAT_PASSPHRASE or
 * --passphrase-file (read here: passphrase-file.ts), never from the command
 * line itself, where `ps` would show it
 */
export function addHostAndPassphrase (options: { host?: string, passphrase?: string }, values: ParsedValues, ctx: ResolvedContext): void {
  const host = stringValue(values.host)

  if (host != null) {
    options.host = parseHost(host)
  }

  const passphrase = passphraseFromSources(stringValue(values['passphrase-file']), ctx.env)

  if (passphrase != null) {
    options.passphrase = passphrase
  }
}

/** `a, b,,c` as ['a', 'b', 'c'] */
export function splitList (value: string | undefined): string[] {
  return (value ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
}

export function stringValue (value: ParsedValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined
}

export function stringList (value: ParsedValues[string]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}
