/**
 * `securechat init`: create an account in an empty data dir. On a terminal
 * the passphrase is chosen at hidden prompts; without one it comes from
 * --passphrase-file or SECURECHAT_PASSPHRASE, or there is none.
 */
import { DataDirNotEmptyError } from '../../app/index.ts'
import { APP_ACCOUNTS, looseModeWarning, register, shellWord, terminalPrompts } from '../account/index.ts'
import { reportAccountError } from '../account/report.ts'
import { EXIT_OK } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { AccountApi, Prompts } from '../account/index.ts'
import type { MainIo } from '../io.ts'
import type { InitOptions } from './options.ts'

/** Tests replace the prompts and the application API */
export interface InitDeps {
  prompts?: Prompts
  api?: AccountApi
}

export async function init (options: InitOptions, io: MainIo, deps: InitDeps = {}): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const api = deps.api ?? APP_ACCOUNTS
  const prompts = deps.prompts ?? (io.stdin.isTTY === true && io.stdout.isTTY === true ? terminalPrompts(io) : undefined)

  try {
    const info = await api.inspectDataDir(options.dataDir)

    if (info.state !== 'empty') {
      // asked before any prompt, so nobody types a passphrase for nothing
      throw new DataDirNotEmptyError(`data dir ${options.dataDir} is not empty: it already holds an account (start it with securechat --data-dir ${options.dataDir})`)
    }

    for (const problem of info.looseModes) {
      sink.err(looseModeWarning(problem))
    }

    await register(options, { sink, api, ...(prompts != null ? { prompts } : {}) })
    sink.out(`start it with: securechat --name ${shellWord(options.name)} --data-dir ${shellWord(options.dataDir)}`)
    return EXIT_OK
  } catch (err) {
    return reportAccountError(err, sink)
  }
}
