/**
 * `securechat import FILE`: its option table (which also yields `--help`)
 * and its help text; the ImportOptions come from the table's values as for
 * the other archive command (../archive-options.ts).
 */
import { buildArchiveOptions } from '../archive-options.ts'
import { optionRows, row } from '../help.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION } from '../options.ts'
import type { ArchiveCommandOptions } from '../archive-options.ts'
import type { OptionTable, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat import` needs to restore an archive */
export type ImportOptions = ArchiveCommandOptions

const IMPORT_OPTIONS: OptionTable = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'where to restore the account (must be missing or an empty directory)' },
  ...PASSPHRASE_FILE_OPTION,
  json: { type: 'boolean', description: 'print the result (or the error) as one JSON line on stdout; never prompt' },
  ...COMMON_OPTIONS
}

export const importCommand: Subcommand<ImportOptions> = {
  summary: 'restore an account from a file securechat export wrote, into a new data dir',
  options: IMPORT_OPTIONS,
  positionals: ['FILE'],
  build: buildArchiveOptions,
  help: ctx => importHelp(ctx, IMPORT_OPTIONS)
}

function importHelp (ctx: ResolvedContext, options: OptionTable): string {
  return `securechat import: restore an account from a securechat export archive

Restores the archive FILE into a new data dir: the same identity (peer id),
peer book, history, outbox and held message requests. The data dir must not
exist or be an empty directory; the passphrase of the archive then protects
it. Every frame of the archive is authenticated: a damaged, tampered or
truncated archive, or a wrong passphrase, is refused and nothing is written
(the archive is restored next to the data dir and moved into place only
once it is complete).

On a terminal it asks for the archive's passphrase (three tries). Without a
terminal (or with --json) it comes from --passphrase-file or
SECURECHAT_PASSPHRASE, and nothing is asked.

Usage:
  securechat import FILE [options]

Options:
${optionRows(options).join('\n')}

  Default data dir: ${ctx.defaultDataDir} (or $SECURECHAT_DATA_DIR).

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_PASSPHRASE', 'the passphrase, when --passphrase-file is not given')}

Exit status: 0 when the account was restored; 1 when it was not (the data
dir is not empty, not an archive, wrong passphrase, damaged or truncated
archive); 2 on a usage error; 130 when a prompt is left with Ctrl+C or
Ctrl+D, or the import is interrupted.
`
}
