/**
 * Accounts on the command line: registration (`securechat init`, and a
 * start on an empty data dir from a terminal) and login (a start on a
 * protected data dir), over the application API's account functions. The
 * prompts and those functions are passed in, so the flows run in tests
 * without a terminal or a disk.
 */
import { checkPassphrase, createAccount, inspectDataDir } from '../../app/index.ts'
import { askPassphrase } from './login.ts'
import { askNewPassphrase } from './new-passphrase.ts'
import type { Sink } from '../terminal.ts'
import type { Prompts } from './prompts.ts'

export { terminalPrompts } from './prompts.ts'
export type { Prompts } from './prompts.ts'

/** What the flows use of the application API (tests pass stubs) */
export interface AccountApi {
  inspectDataDir: typeof inspectDataDir
  checkPassphrase: typeof checkPassphrase
  createAccount: typeof createAccount
}

export const APP_ACCOUNTS: AccountApi = { inspectDataDir, checkPassphrase, createAccount }

export interface AccountIo {
  /** stdout for results, stderr for warnings */
  sink: Sink
  /** on a terminal; without them nothing is asked */
  prompts?: Prompts
  /** default APP_ACCOUNTS */
  api?: AccountApi
}

export interface AccountInit {
  dataDir: string
  /** the nickname, for the strength estimate */
  name: string
  /** from SECURECHAT_PASSPHRASE or a passphrase file: nothing is asked then */
  passphrase?: string
}

/** `alice` as is, `Anna Lee` quoted for a POSIX shell */
export function shellWord (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** Said once, on stderr, by every start and registration that leaves the data dir without a passphrase */
export function unprotectedWarning (dataDir: string): string {
  return `warning: data dir ${dataDir} is not protected by a passphrase (run securechat passwd)`
}

/** The data dir, its key file or its database, which other users may read or change: `<path> <mode>` from inspectDataDir */
export function looseModeWarning (problem: string): string {
  const at = problem.lastIndexOf(' ')
  const [path, mode] = at === -1 ? [problem, '?'] : [problem.slice(0, at), problem.slice(at + 1)]
  return `warning: other users may read or change ${path} (mode ${mode}); fix it with: chmod go-rwx ${shellWord(path)}`
}

/**
 * Creates the account in `init.dataDir` (which the caller found empty): the
 * given passphrase, else on a terminal the one the user chooses (or none,
 * confirmed), else none. Prints the peer id; resolves with it and the
 * passphrase the data dir now has.
 */
export async function register (init: AccountInit, io: AccountIo): Promise<{ peerId: string, passphrase?: string }> {
  const api = io.api ?? APP_ACCOUNTS
  let passphrase = init.passphrase

  if (passphrase == null && io.prompts != null) {
    io.prompts.say(`Creating a securechat account in ${init.dataDir}.`)
    io.prompts.say('Choose a passphrase: it protects your identity key, contacts and messages on this disk.')
    io.prompts.say('It cannot be recovered: forget it and the account is lost. Change it later with securechat passwd.')
    passphrase = await askNewPassphrase(io.prompts, { userInputs: [init.name] })
  }

  const { peerId } = await api.createAccount({ dataDir: init.dataDir, ...(passphrase != null ? { passphrase } : {}) })

  if (passphrase == null) {
    io.sink.err(unprotectedWarning(init.dataDir))
  }

  io.sink.out(`account created in ${init.dataDir}${passphrase != null ? ', protected by a passphrase' : ''}`)
  io.sink.out(`peer id: ${peerId}`)

  return passphrase != null ? { peerId, passphrase } : { peerId }
}

/**
 * Before a node starts on `init.dataDir`: warns of loose permissions;
 * registers an empty data dir on a terminal; asks for the passphrase of a
 * protected one on a terminal (three tries, each checked against the key
 * file before anything is opened); says once that an unprotected one is.
 * Resolves with the passphrase to start the node with. Without prompts a
 * protected data dir and no passphrase rejects with WrongPassphraseError.
 */
export async function unlock (init: AccountInit, io: AccountIo): Promise<string | undefined> {
  const api = io.api ?? APP_ACCOUNTS
  const info = await api.inspectDataDir(init.dataDir)

  for (const problem of info.looseModes) {
    io.sink.err(looseModeWarning(problem))
  }

  switch (info.state) {
    case 'empty':
      if (init.passphrase == null && io.prompts != null) {
        return (await register(init, io)).passphrase
      }

      if (init.passphrase == null) {
        // the node creates the account as it starts
        io.sink.err(unprotectedWarning(init.dataDir))
      }
      return init.passphrase
    case 'unprotected':
      if (init.passphrase == null) {
        io.sink.err(unprotectedWarning(init.dataDir))
      }
      return init.passphrase
    case 'protected':
      if (init.passphrase != null) {
        return init.passphrase
      }

      if (io.prompts == null) {
        // rejects with WrongPassphraseError ("protected and none was given") without opening anything
        await api.checkPassphrase(init.dataDir)
        return undefined
      }

      return askPassphrase(io.prompts, async passphrase => api.checkPassphrase(init.dataDir, passphrase), { message: `Passphrase for ${init.dataDir}:` })
  }
}
