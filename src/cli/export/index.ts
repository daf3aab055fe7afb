/**
 * `securechat export FILE`: back up a data dir to one encrypted archive.
 * FILE and the account are checked before any prompt; the passphrase is
 * the data dir's (three tries on a terminal), or, for a data dir without
 * one, chosen for the archive like at registration. The application API
 * writes the archive (exportArchive).
 */
import { NoAccountError, checkExportTarget, exportArchive } from '../../app/index.ts'
import { APP_ACCOUNTS, looseModeWarning, shellWord, terminalPrompts } from '../account/index.ts'
import { askPassphrase } from '../account/login.ts'
import { askNewPassphrase } from '../account/new-passphrase.ts'
import { reportAccountError } from '../account/report.ts'
import { PromptCancelledError, UsageError } from '../errors.ts'
import { JsonLines } from '../json-lines.ts'
import { EXIT_OK, handleInterrupts } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { AccountApi, Prompts } from '../account/index.ts'
import type { MainIo } from '../io.ts'
import type { ExportOptions } from './options.ts'

export interface ExportApi extends Pick<AccountApi, 'inspectDataDir' | 'checkPassphrase'> {
  checkExportTarget: typeof checkExportTarget
  exportArchive: typeof exportArchive
}

/** Tests replace the prompts and the application API */
export interface ExportDeps {
  prompts?: Prompts
  api?: ExportApi
}

/** `1.2 MiB` */
function formatSize (bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`
}

export async function exportCommand (options: ExportOptions, io: MainIo, deps: ExportDeps = {}): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const api = deps.api ?? { ...APP_ACCOUNTS, checkExportTarget, exportArchive }
  const interrupts = handleInterrupts(io.signals, io.exit)
  const interactive = !options.json && io.stdin.isTTY === true && io.stdout.isTTY === true
  const prompts = interactive ? deps.prompts ?? terminalPrompts({ stdin: io.stdin, stdout: io.stdout, signal: interrupts.signal }) : undefined
  const { dataDir, file } = options

  try {
    // asked before any prompt, so nobody types a passphrase for nothing
    await api.checkExportTarget(file)
    const info = await api.inspectDataDir(dataDir)

    if (info.state === 'empty') {
      throw new NoAccountError(`no account in data dir ${dataDir}: nothing to export`)
    }

    for (const problem of info.looseModes) {
      sink.err(looseModeWarning(problem))
    }

    const passphrase = await archivePassphrase(info.state === 'protected', options, api, prompts)
    const summary = await api.exportArchive({ dataDir, file, passphrase }, { signal: interrupts.signal })

    if (options.json) {
      new JsonLines(sink).write('exported', { ...summary })
    } else {
      sink.out(`archive written: ${summary.file} (${formatSize(summary.bytes)})`)
      sink.out(`peer id: ${summary.peerId}; ${summary.peers} peer${summary.peers === 1 ? '' : 's'}, ${summary.messages} message${summary.messages === 1 ? '' : 's'}`)
      if (summary.unreadable !== undefined) {
        sink.err(`warning: ${summary.unreadable} record${summary.unreadable === 1 ? '' : 's'} of the data dir could not be read (damaged on disk) and ${summary.unreadable === 1 ? 'is' : 'are'} not in the archive`)
      }
      sink.out(`restore it with: securechat import ${shellWord(summary.file)} --data-dir DIR`)
    }

    return EXIT_OK
  } catch (err) {
    const reported = interrupts.signal.aborted ? new PromptCancelledError('interrupted: no archive was written', { cause: err }) : err
    return reportAccountError(reported, sink, { json: options.json })
  } finally {
    interrupts.dispose()
  }
}

/**
 * The passphrase given, else on a terminal: the data dir's (checked, three
 * tries), or for a data dir without one a new one for the archive. Without
 * a terminal a protected data dir and none given is WrongPassphraseError,
 * an unprotected one a usage error: an archive is always encrypted.
 */
async function archivePassphrase (isProtected: boolean, options: ExportOptions, api: ExportApi, prompts: Prompts | undefined): Promise<string> {
  if (options.passphrase != null) {
    // a wrong one is refused by exportArchive, before anything is written
    return options.passphrase
  }

  if (isProtected && prompts != null) {
    return askPassphrase(prompts, async passphrase => api.checkPassphrase(options.dataDir, passphrase), { message: `Passphrase for ${options.dataDir}:` })
  }

  if (isProtected) {
    // rejects with WrongPassphraseError: protected, and none was given
    await api.checkPassphrase(options.dataDir)
    throw new TypeError('checkPassphrase accepted no passphrase for a protected data dir')
  }

  if (prompts == null) {
    throw new UsageError('no passphrase: an archive is always encrypted; without a terminal, give it in --passphrase-file or SECURECHAT_PASSPHRASE')
  }

  prompts.say(`Data dir ${options.dataDir} is not protected by a passphrase; the archive will be. Choose its passphrase.`)
  const passphrase = await askNewPassphrase(prompts, { message: 'Passphrase for the archive:', required: true })

  if (passphrase == null) {
    throw new TypeError('askNewPassphrase returned none though one was required')
  }

  return passphrase
}
