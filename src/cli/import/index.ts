/**
 * `securechat import FILE`: restore an archive into a new data dir. The
 * target and the archive's header are checked before any prompt; the
 * passphrase (three tries on a terminal) is checked against the archive's
 * header before anything is written. The application API restores it
 * (importArchive).
 */
import { checkArchivePassphrase, checkImportTarget, importArchive, inspectArchive } from '../../app/index.ts'
import { shellWord, terminalPrompts } from '../account/index.ts'
import { askPassphrase } from '../account/login.ts'
import { reportAccountError } from '../account/report.ts'
import { PromptCancelledError } from '../errors.ts'
import { JsonLines } from '../json-lines.ts'
import { EXIT_OK, handleInterrupts } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { Prompts } from '../account/index.ts'
import type { MainIo } from '../io.ts'
import type { ImportOptions } from './options.ts'

export interface ImportApi {
  checkImportTarget: typeof checkImportTarget
  inspectArchive: typeof inspectArchive
  checkArchivePassphrase: typeof checkArchivePassphrase
  importArchive: typeof importArchive
}

/** Tests replace the prompts and the application API */
export interface ImportDeps {
  prompts?: Prompts
  api?: ImportApi
}

const APP_IMPORT: ImportApi = { checkImportTarget, inspectArchive, checkArchivePassphrase, importArchive }

export async function importCommand (options: ImportOptions, io: MainIo, deps: ImportDeps = {}): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const api = deps.api ?? APP_IMPORT
  const interrupts = handleInterrupts(io.signals, io.exit)
  const interactive = !options.json && io.stdin.isTTY === true && io.stdout.isTTY === true
  const prompts = interactive ? deps.prompts ?? terminalPrompts({ stdin: io.stdin, stdout: io.stdout, signal: interrupts.signal }) : undefined
  const { dataDir, file } = options
  const signal = interrupts.signal

  try {
    // refused before the archive is read, and before any prompt
    await api.checkImportTarget(dataDir, { signal })
    await api.inspectArchive(file, { signal })

    const passphrase = await archivePassphrase(options, api, prompts, signal)
    const summary = await api.importArchive({ file, dataDir, passphrase }, { signal })

    if (options.json) {
      new JsonLines(sink).write('imported', { ...summary })
    } else {
      sink.out(`account restored into ${summary.dataDir}, protected by the archive's passphrase`)
      sink.out(`peer id: ${summary.peerId}; ${summary.peers} peer${summary.peers === 1 ? '' : 's'}, ${summary.messages} message${summary.messages === 1 ? '' : 's'}`)
      if (summary.strangersLeftOut !== undefined) {
        sink.err(`note: ${summary.strangersLeftOut} strangers left out: a node keeps at most 1000 in its peer book`)
      }
      sink.out(`start it with: securechat --data-dir ${shellWord(summary.dataDir)}`)
    }

    return EXIT_OK
  } catch (err) {
    const reported = signal.aborted ? new PromptCancelledError('interrupted: nothing was imported', { cause: err }) : err
    return reportAccountError(reported, sink, { json: options.json })
  } finally {
    interrupts.dispose()
  }
}

/** The passphrase given (a wrong one is refused by importArchive before anything is written), else asked on a terminal and checked */
async function archivePassphrase (options: ImportOptions, api: ImportApi, prompts: Prompts | undefined, signal: AbortSignal): Promise<string> {
  if (options.passphrase != null) {
    return options.passphrase
  }

  if (prompts != null) {
    return askPassphrase(prompts, async passphrase => api.checkArchivePassphrase(options.file, passphrase, { signal }), { message: `Passphrase for ${options.file}:` })
  }

  // rejects with WrongPassphraseError: every archive has one, and none was given
  await api.checkArchivePassphrase(options.file, undefined, { signal })
  throw new TypeError('checkArchivePassphrase accepted no passphrase')
}
