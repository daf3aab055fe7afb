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
import { nicknameProblem } from '../protocol/nickname.ts'
import { UsageError } from './errors.ts'
import { canonicalPeerId } from './resolve.ts'
import { chatHelp, relayHealthHelp, relayHelp } from './help.ts'
import {
  RELAY_DATA_LIMIT_BYTES, RELAY_DEFAULT_PORT, RELAY_DURATION_LIMIT_MS, RELAY_MAX_CONNECTIONS, RELAY_MAX_CONNECTIONS_PER_IP,
  RELAY_MAX_RESERVATIONS, RELAY_RESERVATION_TTL_MS
} from '../relay/constants.ts'

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
  /** tell senders when their messages were displayed */
  readReceipts: boolean
  /** find peers on the LAN by mDNS */
  mdns: boolean
}

/** What `securechat relay` needs to start a relay */
export interface RelayOptions {
  dataDir: string
  port: number
  host?: string
  announce: string[]
  passphrase?: string
  json: boolean
  maxReservations: number
  /** ms */
  reservationTtl: number
  /** ms */
  durationLimit: number
  dataLimit: bigint
  maxConnections: number
  maxConnectionsPerIp: number
}

/** What `securechat relay-health` checks */
export interface RelayHealthOptions {
  host: string
  port: number
  json: boolean
}

/** The parsed command line: what main() should do */
export type Invocation =
  | { command: 'help', text: string }
  | { command: 'version' }
  | { command: 'chat', options: ChatOptions }
  | { command: 'relay', options: RelayOptions }
  | { command: 'relay-health', options: RelayHealthOptions }

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
  defaultRelayDataDir: string
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
  'no-read-receipts': { type: 'boolean', description: 'do not tell senders when their messages were displayed' },
  'no-mdns': { type: 'boolean', description: 'do not announce or look for peers on the LAN (mDNS)' },
  ...COMMON_OPTIONS
}

export const RELAY_OPTIONS: OptionTable = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'where the relay key is kept (its peer id stays the same across restarts)' },
  port: { type: 'string', arg: 'N', description: `TCP port to listen on (default: $SECURECHAT_RELAY_PORT, else ${RELAY_DEFAULT_PORT})` },
  host: { type: 'string', arg: 'IP', description: 'IP address to listen on (default: 0.0.0.0)' },
  announce: { type: 'string', multiple: true, arg: 'MULTIADDR', description: 'address to advertise instead of the listen address (public IP, DNS name); repeatable' },
  'max-reservations': { type: 'string', arg: 'N', description: `reservations held at once (default: ${RELAY_MAX_RESERVATIONS})` },
  'reservation-ttl': { type: 'string', arg: 'SECONDS', description: `reservation lifetime before a client refreshes it (default: ${RELAY_RESERVATION_TTL_MS / 1000})` },
  'duration-limit': { type: 'string', arg: 'SECONDS', description: `longest a relayed connection stays open (default: ${RELAY_DURATION_LIMIT_MS / 1000})` },
  'data-limit': { type: 'string', arg: 'BYTES', description: `most bytes a relayed connection carries (default: ${RELAY_DATA_LIMIT_BYTES})` },
  'max-connections': { type: 'string', arg: 'N', description: `connections open at once (default: ${RELAY_MAX_CONNECTIONS})` },
  'max-connections-per-ip': { type: 'string', arg: 'N', description: `connections open at once from one IP address (default: ${RELAY_MAX_CONNECTIONS_PER_IP})` },
  json: { type: 'boolean', description: 'machine-readable output: one JSON object per line on stdout' },
  ...COMMON_OPTIONS
}

export const RELAY_HEALTH_OPTIONS: OptionTable = {
  host: { type: 'string', arg: 'IP', description: 'IP address of the relay (default: 127.0.0.1)' },
  port: { type: 'string', arg: 'N', description: `TCP port of the relay (default: $SECURECHAT_RELAY_PORT, else ${RELAY_DEFAULT_PORT})` },
  json: { type: 'boolean', description: 'print the result as one JSON object' },
  ...COMMON_OPTIONS
}

/** Subcommands by name; the first positional argument picks one */
const SUBCOMMANDS: Record<string, Subcommand> = {
  chat: {
    summary: 'run a chat node with an interactive prompt (the default)',
    options: CHAT_OPTIONS,
    build: buildChat,
    help: ctx => chatHelp(ctx, CHAT_OPTIONS, subcommandSummaries())
  },
  relay: {
    summary: 'run a circuit relay v2 server that lets nodes behind NAT reach each other',
    options: RELAY_OPTIONS,
    build: buildRelay,
    help: ctx => relayHelp(ctx, RELAY_OPTIONS)
  },
  'relay-health': {
    summary: 'check that a relay answers (exit 0) or not (exit 1): the container health check',
    options: RELAY_HEALTH_OPTIONS,
    build: buildRelayHealth,
    help: () => relayHealthHelp(RELAY_HEALTH_OPTIONS)
  }
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
    json: values.json === true,
    readReceipts: values['no-read-receipts'] !== true,
    mdns: values['no-mdns'] !== true
  }

  addHostAndPassphrase(options, values, ctx)

  return { command: 'chat', options }
}

function buildRelay (values: ParsedValues, ctx: ResolvedContext): Invocation {
  const options: RelayOptions = {
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultRelayDataDir),
    port: parsePort(stringValue(values.port) ?? ctx.env.SECURECHAT_RELAY_PORT ?? String(RELAY_DEFAULT_PORT)),
    announce: parseAnnounce(stringList(values.announce)),
    json: values.json === true,
    maxReservations: parsePositiveInt('--max-reservations', stringValue(values['max-reservations']), RELAY_MAX_RESERVATIONS),
    reservationTtl: parsePositiveInt('--reservation-ttl', stringValue(values['reservation-ttl']), RELAY_RESERVATION_TTL_MS / 1000) * 1000,
    durationLimit: parsePositiveInt('--duration-limit', stringValue(values['duration-limit']), RELAY_DURATION_LIMIT_MS / 1000) * 1000,
    dataLimit: BigInt(parsePositiveInt('--data-limit', stringValue(values['data-limit']), Number(RELAY_DATA_LIMIT_BYTES))),
    maxConnections: parsePositiveInt('--max-connections', stringValue(values['max-connections']), RELAY_MAX_CONNECTIONS),
    maxConnectionsPerIp: parsePositiveInt('--max-connections-per-ip', stringValue(values['max-connections-per-ip']), RELAY_MAX_CONNECTIONS_PER_IP)
  }

  addHostAndPassphrase(options, values, ctx)

  return { command: 'relay', options }
}

/** --host, and the passphrase from SECURECHAT_PASSPHRASE (never a flag), when given */
function addHostAndPassphrase (options: { host?: string, passphrase?: string }, values: ParsedValues, ctx: ResolvedContext): void {
  const host = stringValue(values.host)

  if (host != null) {
    options.host = parseHost(host)
  }

  const passphrase = ctx.env.SECURECHAT_PASSPHRASE

  if (passphrase != null && passphrase !== '') {
    options.passphrase = passphrase
  }
}

function buildRelayHealth (values: ParsedValues, ctx: ResolvedContext): Invocation {
  return {
    command: 'relay-health',
    options: {
      host: parseHost(stringValue(values.host) ?? '127.0.0.1'),
      port: parsePort(stringValue(values.port) ?? ctx.env.SECURECHAT_RELAY_PORT ?? String(RELAY_DEFAULT_PORT)),
      json: values.json === true
    }
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

function parseAnnounce (values: readonly string[]): string[] {
  return values.map(value => {
    try {
      return multiaddr(value).toString()
    } catch (err) {
      throw new UsageError(`--announce '${value}' is not a valid multiaddr`, { cause: err })
    }
  })
}

export function parseName (name: string, isDefault = false): string {
  const where = isDefault ? 'the default nickname (your user name)' : '--name'

  const problem = nicknameProblem(name)

  if (problem != null) {
    throw new UsageError(`${where} ${problem}${isDefault ? ', pass --name NAME' : ''}`)
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
    defaultDataDir: join(home, '.securechat'),
    defaultRelayDataDir: join(home, '.securechat-relay')
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
