/**
 * Where the account of the web face's data dir stands, and the two ways to
 * open it from the browser: first start (create the identity, with a
 * passphrase or not, and start the node) and unlock (start the node with
 * the passphrase). A data dir that needs neither is opened by the face
 * that runs the server (`open`). One change at a time; wrong passphrases
 * are rate-limited (scrypt already makes each try cost a fraction of a
 * second).
 */
import { Serial } from '../util/serial.ts'
import { TokenBucket } from '../util/token-bucket.ts'
import { UNLOCK_BURST, UNLOCK_REFILL_MS } from './constants.ts'
import { AccountClosedError, AccountStateError, TooManyAttemptsError } from './errors.ts'
import type { ChatApi, CreatedAccount, DataDirInfo } from '../app/index.ts'

interface AbortOptions {
  signal?: AbortSignal
}

/** empty: no account yet (first start); locked: protected, waiting for its passphrase; open: the node runs */
export type AccountState = 'empty' | 'locked' | 'open'

export interface AccountView {
  state: AccountState
  /** once open */
  peerId?: string
  name?: string
}

/** What the gate needs of the application API's account functions */
export interface AccountFunctions {
  inspectDataDir(dataDir: string, options?: AbortOptions): Promise<DataDirInfo>
  checkPassphrase(dataDir: string, passphrase?: string, options?: AbortOptions): Promise<void>
  createAccount(init: { dataDir: string, passphrase?: string }, options?: AbortOptions): Promise<CreatedAccount>
}

export interface AccountGateInit {
  dataDir: string
  /** starts the node on the data dir, now openable with `passphrase` (none: unprotected), under `name` if the user chose one */
  start(passphrase: string | undefined, name: string | undefined, options: AbortOptions): Promise<ChatApi>
  accounts: AccountFunctions
  now?: () => number
}

export class AccountGate {
  private readonly init: AccountGateInit
  private readonly changes = new Serial()
  private readonly attempts: TokenBucket
  private readonly now: () => number
  private current?: ChatApi
  private readonly opening = Promise.withResolvers<ChatApi>()

  constructor (init: AccountGateInit) {
    this.init = init
    this.now = init.now ?? Date.now
    this.attempts = new TokenBucket({ burst: UNLOCK_BURST, rate: 1000 / UNLOCK_REFILL_MS }, this.now())
  }

  /** The running app, once open */
  get app (): ChatApi | undefined {
    return this.current
  }

  /** Resolves with the app once the account is open: by a first start or an unlock from the browser, or by the face */
  async opened (): Promise<ChatApi> {
    return this.opening.promise
  }

  /** The running app; AccountClosedError before the account is open */
  openApp (): ChatApi {
    if (this.current == null) throw new AccountClosedError()
    return this.current
  }

  async view (options: AbortOptions = {}): Promise<AccountView> {
    if (this.current != null) return { state: 'open', peerId: this.current.peerId, name: this.current.name }
    const info = await this.init.accounts.inspectDataDir(this.init.dataDir, options)
    return { state: info.state === 'empty' ? 'empty' : 'locked' }
  }

  /** First start: a new identity in the empty data dir, protected by `passphrase` if given, and the node started */
  async create (init: { passphrase?: string, name?: string }, options: AbortOptions = {}): Promise<ChatApi> {
    return this.changes.run(async () => {
      if ((await this.view(options)).state !== 'empty') throw new AccountStateError('this data dir holds an account already: unlock it')
      await this.init.accounts.createAccount({ dataDir: this.init.dataDir, ...(init.passphrase == null ? {} : { passphrase: init.passphrase }) }, options)
      return this.started(await this.init.start(init.passphrase, init.name, options))
    })
  }

  /** Unlock: the node started with `passphrase`; WrongPassphraseError for a wrong one, TooManyAttemptsError after a burst of them */
  async unlock (passphrase: string, options: AbortOptions = {}): Promise<ChatApi> {
    return this.changes.run(async () => {
      if ((await this.view(options)).state !== 'locked') throw new AccountStateError('there is no locked account to unlock')
      if (!this.attempts.has(this.now())) throw new TooManyAttemptsError()
      try {
        await this.init.accounts.checkPassphrase(this.init.dataDir, passphrase, options)
      } catch (err) {
        if ((err as Error).name === 'WrongPassphraseError') this.attempts.take()
        throw err
      }
      return this.started(await this.init.start(passphrase, undefined, options))
    })
  }

  /** The face opened the account itself (an unprotected data dir, a passphrase from the environment or a prompt) */
  open (app: ChatApi): void {
    this.started(app)
  }

  private started (app: ChatApi): ChatApi {
    this.current = app
    this.opening.resolve(app)
    return app
  }
}
