/**
 * The command line: `securechat [<subcommand>] [options]`. The first
 * positional argument picks a subcommand (chat when there is none); that
 * subcommand's option table drives both `util.parseArgs` and `--help`. Pure
 * apart from the defaults it reads from the environment passed in.
 */
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import { parseArgs as parseArgv } from 'node:util'
import { chatCommand } from './chat/options.ts'
import { UsageError } from './errors.ts'
import { exportCommand } from './export/options.ts'
import { importCommand } from './import/options.ts'
import { initCommand } from './init/options.ts'
import { passwdCommand } from './passwd/options.ts'
import { relayHealthCommand } from './relay-health/options.ts'
import { relayCommand } from './relay/options.ts'
import type { ChatOptions } from './chat/options.ts'
import type { ExportOptions } from './export/options.ts'
import type { ImportOptions } from './import/options.ts'
import type { InitOptions } from './init/options.ts'
import type { OptionTable, ParsedValues, ResolvedContext, Subcommand } from './options.ts'
import type { PasswdOptions } from './passwd/options.ts'
import type { RelayHealthOptions } from './relay-health/options.ts'
import type { RelayOptions } from './relay/options.ts'

/** Each subcommand's options, by name */
interface SubcommandOptions {
  chat: ChatOptions
  init: InitOptions
  passwd: PasswdOptions
  export: ExportOptions
  import: ImportOptions
  relay: RelayOptions
  'relay-health': RelayHealthOptions
}

type SubcommandName = keyof SubcommandOptions

/** The parsed command line: what main() should do */
export type Invocation =
  | { command: 'help', text: string }
  | { command: 'version' }
  | { [K in SubcommandName]: { command: K, options: SubcommandOptions[K] } }[SubcommandName]

/** Where defaults come from; tests pass their own */
export interface ArgsContext {
  env?: Record<string, string | undefined>
  username?: () => string
  homedir?: () => string
}

/** Subcommands by name, in the order --help lists them */
const SUBCOMMANDS: { [K in SubcommandName]: Subcommand<SubcommandOptions[K]> } = {
  chat: chatCommand,
  init: initCommand,
  passwd: passwdCommand,
  export: exportCommand,
  import: importCommand,
  relay: relayCommand,
  'relay-health': relayHealthCommand
}

const DEFAULT_SUBCOMMAND: SubcommandName = 'chat'

function isSubcommand (name: string): name is SubcommandName {
  return Object.hasOwn(SUBCOMMANDS, name)
}

function summaries (): Array<[string, string]> {
  return Object.entries(SUBCOMMANDS).map(([name, s]) => [name, s.summary])
}

/**
 * Parses `argv` (without node and script). Throws UsageError for anything
 * it does not understand; main() turns that into exit code 2.
 */
export function parseArgs (argv: readonly string[], context: ArgsContext = {}): Invocation {
  const ctx = resolveContext(context)
  let name: string = DEFAULT_SUBCOMMAND
  let rest = [...argv]

  if (rest[0] != null && !rest[0].startsWith('-')) {
    name = rest[0]
    rest = rest.slice(1)
  }

  if (!isSubcommand(name)) {
    throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(SUBCOMMANDS).join(', ')})`)
  }

  const subcommand: Subcommand<SubcommandOptions[typeof name]> = SUBCOMMANDS[name]
  let values: ParsedValues
  let positionals: string[]

  try {
    ({ values, positionals } = parseArgv({
      args: rest,
      options: toParseArgsOptions(subcommand.options),
      strict: true,
      allowPositionals: subcommand.positionals != null,
      allowNegative: false
    }))
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), { cause: err })
  }

  if (values.help === true) {
    return { command: 'help', text: subcommand.help(ctx, summaries()) }
  }

  if (values.version === true) {
    return { command: 'version' }
  }

  checkPositionals(name, subcommand.positionals ?? [], positionals)

  // TypeScript does not tie `name` to its subcommand's options type; SUBCOMMANDS does
  return { command: name, options: subcommand.build(values, ctx, positionals) } as Invocation
}

/** Exactly the positional arguments `expected` names, after --help and --version had their say */
function checkPositionals (name: string, expected: readonly string[], given: readonly string[]): void {
  const missing = expected[given.length]

  if (missing != null) {
    throw new UsageError(`missing ${missing} (securechat ${name} ${expected.join(' ')} [options])`)
  }

  const extra = given[expected.length]

  if (extra != null) {
    throw new UsageError(`unexpected argument '${extra}'`)
  }
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
