/**
 * `securechat export FILE`: its option table (which also yields `--help`)
 * and its help text; the ExportOptions come from the table's values as for
 * the other archive command (../archive-options.ts).
 */
import { buildArchiveOptions } from '../archive-options.ts'
import { optionRows, row } from '../help.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION } from '../options.ts'
import type { ArchiveCommandOptions } from '../archive-options.ts'
import type { OptionTable, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat export` needs to back up a data dir */
export type ExportOptions = ArchiveCommandOptions

const EXPORT_OPTIONS: OptionTable = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'the data dir to back up (stop its node first)' },
  ...PASSPHRASE_FILE_OPTION,
  json: { type: 'boolean', description: 'print the result (or the error) as one JSON line on stdout; never prompt' },
  ...COMMON_OPTIONS
}

export const exportCommand: Subcommand<ExportOptions> = {
  summary: 'back up an account (identity, contacts, history, outbox) to one encrypted file',
  options: EXPORT_OPTIONS,
  positionals: ['FILE'],
  build: buildArchiveOptions,
  help: ctx => exportHelp(ctx, EXPORT_OPTIONS)
}

function exportHelp (ctx: ResolvedContext, options: OptionTable): string {
  return `securechat export: back up an account to one encrypted file

Writes everything the data dir holds (the identity key your peer id stands
for, the peer book with petnames and verified marks, the history, the outbox
and held message requests) to FILE, encrypted and authenticated under the
account's passphrase (scrypt, then AES-256-GCM). Restore it on any machine
with securechat import. FILE must not exist: an export never replaces a
file, and FILE appears only once the archive is whole. Stop the node on the
data dir first.

On a terminal it asks for the data dir's passphrase (three tries). A data
dir without a passphrase still gets an encrypted archive: it asks for a
passphrase for the archive twice, hidden, with an estimate of how hard it
is to guess. Without a terminal (or with --json) the passphrase comes from
--passphrase-file or SECURECHAT_PASSPHRASE, and nothing is asked.

Usage:
  securechat export FILE [options]

Options:
${optionRows(options).join('\n')}

  Default data dir: ${ctx.defaultDataDir} (or $SECURECHAT_DATA_DIR).

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_PASSPHRASE', 'the passphrase, when --passphrase-file is not given')}

Exit status: 0 when the archive was written; 1 when it was not (FILE exists,
no account, wrong passphrase, data dir in use); 2 on a usage error; 130 when
a prompt is left with Ctrl+C or Ctrl+D, or the export is interrupted.
`
}
