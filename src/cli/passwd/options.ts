/**
 * `securechat passwd`: its option table (which also yields `--help`), the
 * PasswdOptions it makes of the parsed values, and its help text. Pure apart
 * from the defaults in the context passed in and the passphrase files, read
 * here (../passphrase-file.ts).
 */
import { UsageError } from '../errors.ts'
import { optionRows, row } from '../help.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION, parseDataDir, stringValue } from '../options.ts'
import { passphraseFromSources, readPassphraseFile } from '../passphrase-file.ts'
import type { OptionTable, ParsedValues, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat passwd` needs to change a data dir's passphrase */
export interface PasswdOptions {
  dataDir: string
  /** the current one: SECURECHAT_PASSPHRASE or --passphrase-file; none: asked on a terminal if the data dir has one */
  passphrase?: string
  /** the new one: SECURECHAT_NEW_PASSPHRASE or --new-passphrase-file; none: chosen on a terminal */
  newPassphrase?: string
  /** --remove-passphrase: leave the data dir without one */
  remove: boolean
}

const NEW_FLAG = '--new-passphrase-file'

const PASSWD_OPTIONS: OptionTable = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'the data dir whose passphrase to change' },
  ...PASSPHRASE_FILE_OPTION,
  'new-passphrase-file': { type: 'string', arg: 'FILE', description: 'read the new passphrase from the first line of FILE (mode 0600 or 0400; not with SECURECHAT_NEW_PASSPHRASE)' },
  'remove-passphrase': { type: 'boolean', description: 'remove the protection: the data dir keeps no passphrase' },
  ...COMMON_OPTIONS
}

export const passwdCommand: Subcommand<PasswdOptions> = {
  summary: 'change, set or remove the passphrase of a data dir (history is not re-encrypted)',
  options: PASSWD_OPTIONS,
  build: buildPasswd,
  help: ctx => passwdHelp(ctx, PASSWD_OPTIONS)
}

function buildPasswd (values: ParsedValues, ctx: ResolvedContext): PasswdOptions {
  const options: PasswdOptions = {
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultDataDir),
    remove: values['remove-passphrase'] === true
  }

  const passphrase = passphraseFromSources(stringValue(values['passphrase-file']), ctx.env)

  if (passphrase != null) {
    options.passphrase = passphrase
  }

  const newPassphrase = newPassphraseFromSources(stringValue(values['new-passphrase-file']), ctx.env)

  if (newPassphrase != null && options.remove) {
    throw new UsageError('--remove-passphrase and a new passphrase exclude each other')
  }

  if (newPassphrase != null) {
    options.newPassphrase = newPassphrase
  }

  return options
}

/** Like the current one (passphraseFromSources): SECURECHAT_NEW_PASSPHRASE (empty counts as unset) or the file, not both */
function newPassphraseFromSources (file: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const fromEnv = env.SECURECHAT_NEW_PASSPHRASE
  const hasEnv = fromEnv != null && fromEnv !== ''

  if (file != null && hasEnv) {
    throw new UsageError(`give the new passphrase either in SECURECHAT_NEW_PASSPHRASE or with ${NEW_FLAG}, not both`)
  }

  if (file != null) {
    if (file === '') {
      throw new UsageError(`${NEW_FLAG} must not be empty`)
    }
    return readPassphraseFile(file, NEW_FLAG)
  }

  return hasEnv ? fromEnv : undefined
}

function passwdHelp (ctx: ResolvedContext, options: OptionTable): string {
  return `securechat passwd: change the passphrase of a data dir

Asks for the current passphrase (if the data dir has one), then for the new
one twice, hidden, with an estimate of how hard it is to guess. An empty new
passphrase removes the protection, after a warning. The data key is
re-wrapped in one atomic step: history is not re-encrypted, and an
interruption at any point leaves either the old or the new passphrase
working. Stop the node on this data dir first.

A passphrase given in the environment or a file is not asked for, on a
terminal or not: the current one from --passphrase-file or
SECURECHAT_PASSPHRASE, the new one from --new-passphrase-file or
SECURECHAT_NEW_PASSPHRASE (or --remove-passphrase for none). Without a
terminal the new one must be given so.

Usage:
  securechat passwd [options]

Options:
${optionRows(options).join('\n')}

  Default data dir: ${ctx.defaultDataDir} (or $SECURECHAT_DATA_DIR).

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_PASSPHRASE', 'the current passphrase (or --passphrase-file)')}
${row('SECURECHAT_NEW_PASSPHRASE', 'the new passphrase (or --new-passphrase-file)')}

Exit status: 0 when the passphrase was changed (or nothing needed to change);
1 when it was not (wrong passphrase, no account, data dir in use); 2 on a
usage error; 130 when a prompt is left with Ctrl+C or Ctrl+D.
`
}
