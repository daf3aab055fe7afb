/**
 * `securechat init`: its option table (which also yields `--help`), the
 * InitOptions it makes of the parsed values, and its help text. Pure apart
 * from the defaults in the context passed in and --passphrase-file, read
 * here (../passphrase-file.ts).
 */
import { MAX_NICKNAME_BYTES, nicknameProblem } from '../../app/index.ts'
import { UsageError } from '../errors.ts'
import { optionRows, row } from '../help.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION, parseDataDir, stringValue } from '../options.ts'
import { passphraseFromSources } from '../passphrase-file.ts'
import type { OptionTable, ParsedValues, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat init` needs to create an account */
export interface InitOptions {
  /** the nickname the account is created for (the strength estimate counts it as known) */
  name: string
  dataDir: string
  /** from SECURECHAT_PASSPHRASE or the first line of --passphrase-file (never both); none: asked on a terminal */
  passphrase?: string
}

const INIT_OPTIONS: OptionTable = {
  name: { type: 'string', arg: 'NAME', description: `your nickname, 1 to ${MAX_NICKNAME_BYTES} UTF-8 bytes` },
  'data-dir': { type: 'string', arg: 'DIR', description: 'where to create the account (must be empty or missing)' },
  ...PASSPHRASE_FILE_OPTION,
  ...COMMON_OPTIONS
}

export const initCommand: Subcommand<InitOptions> = {
  summary: 'create an account: a new identity in a data dir, protected by a passphrase',
  options: INIT_OPTIONS,
  build: buildInit,
  help: ctx => initHelp(ctx, INIT_OPTIONS)
}

function buildInit (values: ParsedValues, ctx: ResolvedContext): InitOptions {
  const options: InitOptions = {
    name: parseName(stringValue(values.name) ?? ctx.defaultName, values.name == null),
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultDataDir)
  }
  const passphrase = passphraseFromSources(stringValue(values['passphrase-file']), ctx.env)

  if (passphrase != null) {
    options.passphrase = passphrase
  }

  return options
}

function parseName (name: string, isDefault: boolean): string {
  const problem = nicknameProblem(name)

  if (problem != null) {
    throw new UsageError(isDefault ? `the default nickname (your user name) ${problem}, pass --name NAME` : `--name ${problem}`)
  }

  return name
}

function initHelp (ctx: ResolvedContext, options: OptionTable): string {
  return `securechat init: create a securechat account

Creates a new identity (the Ed25519 key your peer id stands for) in an empty
data dir and prints the peer id. On a terminal it asks for a passphrase twice,
hidden, shows how hard it is to guess, and asks again before accepting a weak
one or none. The passphrase protects the identity key, contacts and messages
on this disk; it cannot be recovered. Change it later with securechat passwd.

Without a terminal the passphrase comes from --passphrase-file or
SECURECHAT_PASSPHRASE (either one skips the prompts on a terminal too); with
neither, the data dir is created unprotected, and init says so.

Starting securechat on an empty data dir from a terminal runs this first, so
\`securechat --name NAME\` alone also sets everything up.

Usage:
  securechat init [options]

Options:
${optionRows(options).join('\n')}

  Defaults: --name ${JSON.stringify(ctx.defaultName)} (your user name), --data-dir ${ctx.defaultDataDir}
  (or $SECURECHAT_DATA_DIR).

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_PASSPHRASE', 'the passphrase, when --passphrase-file is not given')}

Exit status: 0 when the account was created; 1 when it was not (the data dir
is not empty, or cannot be written); 2 on a usage error; 130 when a prompt is
left with Ctrl+C or Ctrl+D.
`
}
