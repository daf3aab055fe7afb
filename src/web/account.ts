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
import { MIN_SCORE, estimateStrength, nicknameProblem } from '../app/index.ts'
import { AccountClosedError, AccountStateError, InvalidRequestBodyError, TooManyAttemptsError, WeakPassphraseError } from './errors.ts'
import type { ChatApi, CreatedAccount, DataDirInfo } from '../app/index.ts'

interface AbortOptions {
  signal?: AbortSignal
}

/**
 * empty: no account yet (first start); locked: protected, waiting for its
 * passphrase; unprotected: an account with no passphrase, not started (a
 * start that failed); starting: the face opens it; open: the node runs
 */
export type AccountState = 'empty' | 'locked' | 'unprotected' | 'starting' | 'open'

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
  /** the face is opening the account itself (a passphrase came with the start): the browser may neither create nor unlock meanwhile */
  private starting = false
  private readonly openedApp = Promise.withResolvers<ChatApi>()

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
    return this.openedApp.promise
  }

  /** The running app; AccountClosedError before the account is open */
  openApp (): ChatApi {
    if (this.current == null) throw new AccountClosedError()
    return this.current
  }

  async view (options: AbortOptions = {}): Promise<AccountView> {
    if (this.current != null) return { state: 'open', peerId: this.current.peerId, name: this.current.name }
    if (this.starting) return { state: 'starting' }
    const info = await this.init.accounts.inspectDataDir(this.init.dataDir, options)
    return { state: info.state === 'empty' ? 'empty' : info.state === 'protected' ? 'locked' : 'unprotected' }
  }

  /**
   * First start: a new identity in the empty data dir, protected by
   * `passphrase` if given, and the node started. A weak passphrase, or
   * none, needs `weak: true` (the user said so), as at the REPL's first
   * start; the nickname is checked before anything is written.
   */
  async create (init: { passphrase?: string, name?: string, weak?: boolean }, options: AbortOptions = {}): Promise<ChatApi> {
    return this.changes.run(async () => {
      const state = (await this.view(options)).state
      if (state !== 'empty') throw new AccountStateError(state === 'starting' ? 'the node is starting' : 'this data dir holds an account already: unlock it')
      const problem = init.name == null || init.name === '' ? undefined : nicknameProblem(init.name)
      if (problem != null) throw new InvalidRequestBodyError(`the nickname ${problem}`)
      const passphrase = init.passphrase === '' ? undefined : init.passphrase
      if (init.weak !== true && (passphrase == null || (await estimateStrength(passphrase, init.name == null ? [] : [init.name])).score < MIN_SCORE)) {
        throw new WeakPassphraseError(passphrase == null ? undefined : 'this passphrase is weak: confirm it, or choose a longer one')
      }
      init = { ...init, ...(passphrase == null ? { passphrase: undefined } : {}) }
      await this.init.accounts.createAccount({ dataDir: this.init.dataDir, ...(init.passphrase == null ? {} : { passphrase: init.passphrase }) }, options)
      return this.started(await this.init.start(init.passphrase, init.name, options))
    })
  }

  /**
   * Unlock: the node started with `passphrase`; WrongPassphraseError for a
   * wrong one, TooManyAttemptsError after a burst of them. An unprotected
   * account takes none.
   */
  async unlock (passphrase: string | undefined, options: AbortOptions = {}): Promise<ChatApi> {
    return this.changes.run(async () => {
      const state = (await this.view(options)).state
      if (state === 'unprotected' && (passphrase == null || passphrase === '')) return this.started(await this.init.start(undefined, undefined, options))
      if (passphrase == null || passphrase === '') throw new InvalidRequestBodyError('unlock: the passphrase is empty')
      if (state !== 'locked') throw new AccountStateError(state === 'starting' ? 'the node is starting' : 'there is no locked account to unlock')
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

  /** The face opens the account itself (an unprotected data dir, a passphrase from the environment or a prompt): until open() or failed(), the browser waits */
  opening (): void {
    this.starting = true
  }

  /** The face could not open it */
  failed (): void {
    this.starting = false
  }

  /** The face opened the account itself */
  open (app: ChatApi): void {
    this.starting = false
    this.started(app)
  }

  private started (app: ChatApi): ChatApi {
    this.current = app
    this.openedApp.resolve(app)
    return app
  }
}
