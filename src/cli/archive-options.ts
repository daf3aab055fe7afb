/**
 * What `securechat export FILE` and `securechat import FILE` both take: the
 * archive, a data dir, the passphrase (never from the command line itself)
 * and --json. Each command has its own option table and help; the options
 * they make of the parsed values are made here, once.
 */
import { parseDataDir, parseFilePath, stringValue } from './options.ts'
import { passphraseFromSources } from './passphrase-file.ts'
import type { ParsedValues, ResolvedContext } from './options.ts'

export interface ArchiveCommandOptions {
  /** the archive (absolute): export writes it (it must not exist), import reads it */
  file: string
  /** export: the data dir to back up; import: where to restore (missing or an empty directory) */
  dataDir: string
  /** from SECURECHAT_PASSPHRASE or the first line of --passphrase-file (never both); none: asked on a terminal */
  passphrase?: string
  /** one JSON line on stdout for the result or the error; never a prompt */
  json: boolean
}

/** The options of `values`, FILE the first positional */
export function buildArchiveOptions (values: ParsedValues, ctx: ResolvedContext, [file]: readonly string[]): ArchiveCommandOptions {
  const options: ArchiveCommandOptions = {
    file: parseFilePath('FILE', file ?? ''),
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultDataDir),
    json: values.json === true
  }
  const passphrase = passphraseFromSources(stringValue(values['passphrase-file']), ctx.env)

  if (passphrase != null) {
    options.passphrase = passphrase
  }

  return options
}
