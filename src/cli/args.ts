/**
 * The command line: `securechat [<subcommand>] [options]`. One table per
 * subcommand drives both `util.parseArgs` and `--help`. Pure apart from the
 * defaults it reads from the environment passed in.
 */
import { homedir, userInfo } from 'node:os'
import { isIP } from 'node:net'
import { resolve, join } from 'node:path'
import { parseArgs as parseArgv } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_NICKNAME_BYTES } from '../protocol/constants.ts'
import { UsageError } from './errors.ts'
import { canonicalPeerId } from './resolve.ts'
import { chatHelp } from './help.ts'

/** What `securechat [chat]` needs to start a node */
export interface ChatOptions {
  name: string
  dataDir: string
  port: number
  /** listen IP; undefined leaves the node's default (0.0.0.0) */
  host?: string
  relays: string[]
  /** from SECURECHAT_PASSPHRASE only, never from a flag */
  passphrase?: string
  json: boolean
}

/** The parsed command line: what main() should do */
export type Invocation =
  | { command: 'help', text: string }
  | { command: 'version' }
  | { command: 'chat', options: ChatOptions }
  // a later issue adds: | { command: 'relay', options: RelayOptions }

/** Where defaults come from; tests pass their own */
export interface ArgsContext {
  env?: Record<string, string | undefined>
  username?: () => string
  homedir?: () => string
}

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

interface Subcommand {
  summary: string
  options: OptionTable
  build(values: ParsedValues, ctx: ResolvedContext): Invocation
  help(ctx: ResolvedContext): string
}

type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>

export interface ResolvedContext {
  env: Record<string, string | undefined>
  defaultName: string
  defaultDataDir: string
}

const COMMON_OPTIONS: OptionTable = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  version: { type: 'boolean', description: 'print the version and exit' }
}

export const CHAT_OPTIONS: OptionTable = {
  name: { type: 'string', arg: 'NAME', description: `your nickname, 1 to ${MAX_NICKNAME_BYTES} UTF-8 bytes` },
  'data-dir': { type: 'string', arg: 'DIR', description: 'where the identity key, history and peer book are kept' },
  port: { type: 'string', arg: 'N', description: 'TCP port to listen on, 0 for any free port (default: 0)' },
  host: { type: 'string', arg: 'IP', description: 'IP address to listen on (default: 0.0.0.0)' },
  relay: { type: 'string', multiple: true, arg: 'MULTIADDR', description: 'relay to reserve a slot on (ends in /p2p/<id>); repeatable' },
  json: { type: 'boolean', description: 'machine-readable output: one JSON object per line on stdout' },
  ...COMMON_OPTIONS
}

/** Subcommands by name; the first positional argument picks one */
const SUBCOMMANDS: Record<string, Subcommand> = {
  chat: {
    summary: 'run a chat node with an interactive prompt (the default)',
    options: CHAT_OPTIONS,
    build: buildChat,
    help: ctx => chatHelp(ctx, CHAT_OPTIONS, subcommandSummaries())
  }
  // relay: { summary: 'run a circuit relay server', options: RELAY_OPTIONS, build: buildRelay, help: relayHelp }
}

export const DEFAULT_SUBCOMMAND = 'chat'

export function subcommandSummaries (): Array<[string, string]> {
  return Object.entries(SUBCOMMANDS).map(([name, s]) => [name, s.summary])
}

/**
 * Parses `argv` (without node and script). Throws UsageError for anything
 * it does not understand; main() turns that into exit code 2.
 */
export function parseArgs (argv: readonly string[], context: ArgsContext = {}): Invocation {
  const ctx = resolveContext(context)
  let name = DEFAULT_SUBCOMMAND
  let rest = [...argv]

  if (rest[0] != null && !rest[0].startsWith('-')) {
    name = rest[0]
    rest = rest.slice(1)
  }

  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined

  if (subcommand == null) {
    throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(SUBCOMMANDS).join(', ')})`)
  }

  let values: ParsedValues

  try {
    values = parseArgv({
      args: rest,
      options: toParseArgsOptions(subcommand.options),
      strict: true,
      allowPositionals: false,
      allowNegative: false
    }).values
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), { cause: err })
  }

  if (values.help === true) {
    return { command: 'help', text: subcommand.help(ctx) }
  }

  if (values.version === true) {
    return { command: 'version' }
  }

  return subcommand.build(values, ctx)
}

function buildChat (values: ParsedValues, ctx: ResolvedContext): Invocation {
  const options: ChatOptions = {
    name: parseName(stringValue(values.name) ?? ctx.defaultName, values.name == null),
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultDataDir),
    port: parsePort(stringValue(values.port) ?? '0'),
    relays: parseRelays([...splitList(ctx.env.SECURECHAT_RELAYS), ...stringList(values.relay)]),
    json: values.json === true
  }

  const host = stringValue(values.host)

  if (host != null) {
    options.host = parseHost(host)
  }

  const passphrase = ctx.env.SECURECHAT_PASSPHRASE

  if (passphrase != null && passphrase !== '') {
    options.passphrase = passphrase
  }

  return { command: 'chat', options }
}

export function parseName (name: string, isDefault = false): string {
  const where = isDefault ? 'the default nickname (your user name)' : '--name'

  if (name.trim() === '' || /\p{Cc}/u.test(name)) {
    throw new UsageError(`${where} must be non-empty and have no control characters${isDefault ? ', pass --name NAME' : ''}`)
  }

  if (Buffer.byteLength(name, 'utf8') > MAX_NICKNAME_BYTES) {
    throw new UsageError(`${where} must be at most ${MAX_NICKNAME_BYTES} UTF-8 bytes${isDefault ? ', pass --name NAME' : ''}`)
  }

  return name
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

function parseDataDir (value: string): string {
  if (value === '') {
    throw new UsageError('--data-dir must not be empty')
  }

  return resolve(value)
}

/** Each relay must be a valid multiaddr ending in /p2p/<valid peer id>; duplicates are dropped */
export function parseRelays (values: readonly string[]): string[] {
  const relays = new Set<string>()

  for (const value of values) {
    let components

    try {
      components = multiaddr(value).getComponents()
    } catch (err) {
      throw new UsageError(`--relay '${value}' is not a valid multiaddr`, { cause: err })
    }

    const last = components.at(-1)

    if (last?.name !== 'p2p' || last.value == null || canonicalPeerId(last.value) == null) {
      throw new UsageError(`--relay '${value}' must end in /p2p/<relay peer id>`)
    }

    relays.add(value)
  }

  return [...relays]
}

function splitList (value: string | undefined): string[] {
  return (value ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
}

function stringValue (value: ParsedValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function stringList (value: ParsedValues[string]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function resolveContext (context: ArgsContext): ResolvedContext {
  const env = context.env ?? process.env
  const home = (context.homedir ?? homedir)()

  return {
    env,
    defaultName: defaultName(context, env),
    defaultDataDir: join(home, '.securechat')
  }
}

function defaultName (context: ArgsContext, env: Record<string, string | undefined>): string {
  try {
    return (context.username ?? (() => userInfo().username))()
  } catch {
    // no passwd entry for this uid (common in containers)
    return env.USER ?? env.LOGNAME ?? 'anonymous'
  }
}

function toParseArgsOptions (table: OptionTable): Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }> {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, {
    type: spec.type,
    ...(spec.multiple === true ? { multiple: true } : {}),
    ...(spec.short != null ? { short: spec.short } : {})
  }]))
}

/** util.parseArgs explains itself at length; keep its first sentence */
function parseArgsMessage (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const first = message.split(/\.\s/)[0] ?? message
  return first.charAt(0).toLowerCase() + first.slice(1)
}
