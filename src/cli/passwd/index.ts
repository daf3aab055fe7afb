/**
 * `securechat passwd`: change, set or remove the passphrase of a data dir.
 * The current one is checked against the key file first (three tries on a
 * terminal); the new one is chosen like at registration. The store re-wraps
 * the data key atomically.
 */
import { NoAccountError, changePassphrase } from '../../app/index.ts'
import { APP_ACCOUNTS, looseModeWarning, terminalPrompts, unprotectedWarning } from '../account/index.ts'
import { askPassphrase } from '../account/login.ts'
import { askNewPassphrase } from '../account/new-passphrase.ts'
import { reportAccountError } from '../account/report.ts'
import { UsageError } from '../errors.ts'
import { EXIT_OK } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { AccountApi, Prompts } from '../account/index.ts'
import type { MainIo } from '../io.ts'
import type { PasswdOptions } from './options.ts'

export interface PasswdApi extends AccountApi {
  changePassphrase: typeof changePassphrase
}

/** Tests replace the prompts and the application API */
export interface PasswdDeps {
  prompts?: Prompts
  api?: PasswdApi
}

export async function passwd (options: PasswdOptions, io: MainIo, deps: PasswdDeps = {}): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const api = deps.api ?? { ...APP_ACCOUNTS, changePassphrase }
  const prompts = deps.prompts ?? (io.stdin.isTTY === true && io.stdout.isTTY === true ? terminalPrompts(io) : undefined)
  const { dataDir } = options

  try {
    const info = await api.inspectDataDir(dataDir)

    if (info.state === 'empty') {
      throw new NoAccountError(`no account in data dir ${dataDir} (create one with securechat init)`)
    }

    for (const problem of info.looseModes) {
      sink.err(looseModeWarning(problem))
    }

    const current = await currentPassphrase(info.state === 'protected', options, api, prompts)
    const next = await newPassphrase(options, prompts)

    if (info.state === 'unprotected' && current == null && next == null) {
      sink.out(`data dir ${dataDir} has no passphrase and keeps none: nothing changed`)
      return EXIT_OK
    }

    await api.changePassphrase(dataDir, current, next)

    if (next == null) {
      // the user confirmed it at the prompt, or asked for it explicitly
      sink.err(unprotectedWarning(dataDir))
      sink.out(`passphrase removed from data dir ${dataDir}`)
    } else {
      sink.out(`passphrase ${current == null ? 'set' : 'changed'}: data dir ${dataDir} is protected by the new one`)
      if (info.state === 'unprotected') {
        // the data key stays (README, "At rest"): whoever kept a copy of the old key file can still read everything with it
        sink.err('note: the data key is unchanged, and a copy of the old unprotected key file (a backup, or its blocks on this disk) still opens the data dir. For a new data key: securechat export FILE, then securechat import FILE --data-dir NEW_DIR')
      }
    }

    return EXIT_OK
  } catch (err) {
    return reportAccountError(err, sink)
  }
}

/** From a file or the environment; else asked on a terminal and checked; none when the data dir has none */
async function currentPassphrase (isProtected: boolean, options: PasswdOptions, api: AccountApi, prompts: Prompts | undefined): Promise<string | undefined> {
  if (options.passphrase != null || !isProtected) {
    // a wrong one (or one for an unprotected data dir) is refused by changePassphrase, which then changes nothing
    return options.passphrase
  }

  if (prompts == null) {
    // rejects with WrongPassphraseError: protected, and none was given
    await api.checkPassphrase(options.dataDir)
    return undefined
  }

  return askPassphrase(prompts, async passphrase => api.checkPassphrase(options.dataDir, passphrase), { message: 'Current passphrase:' })
}

/** From a file or the environment, none with --remove-passphrase; else chosen on a terminal; without one a usage error */
async function newPassphrase (options: PasswdOptions, prompts: Prompts | undefined): Promise<string | undefined> {
  if (options.remove) {
    return undefined
  }

  if (options.newPassphrase != null) {
    return options.newPassphrase
  }

  if (prompts == null) {
    throw new UsageError('no new passphrase: without a terminal, give it in --new-passphrase-file or SECURECHAT_NEW_PASSPHRASE (or pass --remove-passphrase)')
  }

  prompts.say('Choose the new passphrase. Leave it empty to remove the protection.')
  return askNewPassphrase(prompts, { message: 'New passphrase (empty for none):' })
}
