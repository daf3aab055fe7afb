/**
 * A `securechat --json` child process for black-box tests, optionally inside
 * a network namespace: every stdout line is parsed as a JSON event (anything
 * else is a protocol violation that fails the test), stderr is kept for
 * diagnostics, and the child is killed when the test ends or the test
 * process dies.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { spawnIn } from '../net/netns.ts'
import type { InNamespace } from '../net/netns.ts'
import { onExit } from './cleanup.ts'
import type { ChatEvent, Matcher } from './events.ts'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Node 24 from the `node` devDependency (the system node may be older) */
export const NODE_BIN = `${REPO_ROOT}node_modules/.bin/node`
export const NODE_FLAGS = ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'] as const
export const BIN = `${REPO_ROOT}src/bin.ts`

/**
 * One compile cache (node's NODE_COMPILE_CACHE: the TypeScript transform
 * and V8's code, reused only for files whose content is unchanged) for
 * every node process the tests start: otherwise each `securechat` process
 * compiles src/ anew, a second of CPU or more on two cores, before it reads
 * a line, and the suite starts hundreds. Set in this process's environment,
 * so every child inherits it, whoever spawns it; a value from outside is
 * kept. Under .tmp/, which git and the Docker build context leave out.
 */
process.env.NODE_COMPILE_CACHE ??= join(REPO_ROOT, '.tmp', 'node-compile-cache')

/** How much stderr to keep (the tail) */
const STDERR_KEEP = 256 * 1024
const DEFAULT_WAIT = 30_000
const DEFAULT_STOP = 10_000

export interface ChatProcessOptions {
  name: string
  dataDir: string
  /** --host: the address to listen on */
  host?: string
  /** run inside this network namespace */
  ns?: InNamespace
  /** the script node runs instead of src/bin.ts (for testing these helpers) */
  script?: string
  /** more command line arguments */
  args?: string[]
  /**
   * Everything after node's own flags, replacing the script, `--json`,
   * `--name`, `--data-dir`, `--host` and `args`: e.g. `[BIN, 'relay', '--json', ...]`
   * for a relay, or another JSON-lines program
   */
  argv?: string[]
  /** added to the inherited environment */
  env?: Record<string, string>
  /** kill the child (and check its output) in an after hook of this test */
  t?: { after: (fn: () => unknown) => void }
}

export interface WaitOptions {
  /** milliseconds; default 30 s */
  timeout?: number
  signal?: AbortSignal
  /** look only at events from this index on (see `mark()`); default 0 */
  since?: number
  /** what is awaited, for the timeout message; default the matcher's description */
  what?: string
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A non-JSON line on stdout, or a process that died while awaited */
export class ChatProcessError extends Error {
  static override name = 'ChatProcessError'
  override name = 'ChatProcessError'
}

interface Waiter {
  match: (event: ChatEvent) => boolean
  resolve: (event: ChatEvent) => void
  fail: (reason: string) => void
  since: number
}

export class ChatProcess {
  readonly name: string
  readonly dataDir: string
  readonly child: ChildProcess
  /** every event so far, in order */
  readonly events: ChatEvent[] = []
  /** stdout lines that were not JSON event objects */
  readonly badLines: string[] = []
  /** resolves when the child has exited */
  readonly exited: Promise<Exit>
  private stderrText = ''
  private exit: Exit | undefined
  private readonly waiters = new Set<Waiter>()
  private readonly unregister: () => void

  constructor (options: ChatProcessOptions) {
    this.name = options.name
    this.dataDir = options.dataDir
    const args = options.argv != null ? [...NODE_FLAGS, ...options.argv] : [
      ...NODE_FLAGS, options.script ?? BIN, '--json',
      '--name', options.name,
      '--data-dir', options.dataDir,
      ...(options.host != null ? ['--host', options.host] : []),
      ...(options.args ?? [])
    ]
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env }
    delete env.NODE_TEST_CONTEXT
    const spawnOptions: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env, cwd: REPO_ROOT }
    this.child = options.ns != null
      ? spawnIn(options.ns, NODE_BIN, args, spawnOptions)
      : spawn(NODE_BIN, args, spawnOptions)

    this.unregister = onExit(() => { this.child.kill('SIGKILL') })
    // 'close', not 'exit': by then every stdout line has been read
    this.exited = new Promise<Exit>(resolve => {
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal }
        this.unregister()
        this.failAll(`exited (code ${code}, signal ${signal})`)
        resolve(this.exit)
      })
    })
    this.child.once('error', err => {
      this.stderrText += `\n[spawn error] ${err.message}`
      this.failAll(`could not be started: ${err.message}`)
    })
    this.child.stdin?.on('error', () => {}) // writing to a dead child: reported by exit

    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-STDERR_KEEP)
    })
    if (this.child.stdout != null) {
      createInterface({ input: this.child.stdout, crlfDelay: Infinity })
        .on('line', line => { this.onLine(line) })
    }

    options.t?.after(async () => {
      await this.kill('SIGKILL')
      this.assertClean()
    })
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** stderr so far (its last 256 KiB) */
  get stderr (): string {
    return this.stderrText
  }

  /** The index the next event will have: pass as `since` to wait for new ones */
  mark (): number {
    return this.events.length
  }

  /** Write one command line to stdin; returns `mark()` from just before */
  send (line: string): number {
    if (line.includes('\n')) {
      throw new TypeError('one line at a time')
    }
    const at = this.mark()
    if (this.exit != null || this.child.stdin == null || this.child.stdin.destroyed) {
      throw new ChatProcessError(`${this.name}: cannot send "${line}": the process has exited\n${this.diagnostics()}`)
    }
    this.child.stdin.write(`${line}\n`)
    return at
  }

  /** Send a command and wait for the first matching event it caused */
  async request<T extends ChatEvent> (line: string, match: Matcher<T>, options: Omit<WaitOptions, 'since'> = {}): Promise<T> {
    const since = this.send(line)
    return this.waitFor(match, { what: `${match.description ?? 'an event'} after "${line}"`, ...options, since })
  }

  /**
   * The first event from `since` on (past or future) that matches. Rejects
   * on timeout, abort, a non-JSON stdout line, or the process exiting, with
   * a message naming what was awaited, the last events and stderr.
   */
  async waitFor<T extends ChatEvent> (match: Matcher<T>, options: WaitOptions = {}): Promise<T> {
    const since = options.since ?? 0
    const what = options.what ?? match.description ?? 'a matching event'
    const found = this.events.slice(since).find(match)
    if (found != null) {
      return found
    }
    if (this.badLines.length > 0) {
      throw this.failure(`wrote a non-JSON line while awaiting ${what}`)
    }
    if (this.exit != null) {
      throw this.failure(`exited (code ${this.exit.code}, signal ${this.exit.signal}) before ${what}`)
    }
    const timeout = options.timeout ?? DEFAULT_WAIT
    options.signal?.throwIfAborted()

    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        this.waiters.delete(waiter)
      }
      const waiter: Waiter = {
        match,
        since,
        resolve: event => { done(); resolve(event as T) },
        fail: reason => { done(); reject(this.failure(`${reason} while awaiting ${what}`)) }
      }
      const onAbort = (): void => {
        done()
        const reason: unknown = options.signal?.reason
        reject(reason instanceof Error ? reason : new Error(`aborted while awaiting ${what}`, { cause: reason }))
      }
      const timer = setTimeout(() => { waiter.fail(`timed out after ${timeout} ms`) }, timeout)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.add(waiter)
    })
  }

  /** All events so far that match */
  all<T extends ChatEvent> (match: Matcher<T>, since = 0): T[] {
    return this.events.slice(since).filter(match)
  }

  /** Send a signal unless the child has exited; resolves once it has exited */
  async kill (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.exit == null) {
      this.child.kill(signal)
    }
    return this.exited
  }

  /**
   * Send `/quit` and wait for the child to exit; after `timeout` ms
   * (default 10 s) kill it with SIGKILL. Resolves with how it exited.
   */
  async stop (timeout = DEFAULT_STOP): Promise<Exit & { forced: boolean }> {
    if (this.exit != null) {
      return { ...this.exit, forced: false }
    }
    try {
      this.child.stdin?.write('/quit\n')
      this.child.stdin?.end()
    } catch {
      // stdin already closed: the exit below tells
    }
    const timer = new AbortController()
    const expired = sleep(timeout, undefined, { signal: timer.signal }).catch(() => undefined)
    const exit = await Promise.race([this.exited, expired])
    timer.abort()
    if (exit != null) {
      return { ...exit, forced: false }
    }
    return { ...await this.kill('SIGKILL'), forced: true }
  }

  /** Throw if stdout ever held a non-JSON line */
  assertClean (): void {
    if (this.badLines.length > 0) {
      throw this.failure(`wrote ${this.badLines.length} non-JSON line(s) to stdout`)
    }
  }

  /** The last events and the tail of stderr, for failure messages */
  diagnostics (events = 10, stderrChars = 4000): string {
    const last = this.events.slice(-events).map(e => `    ${JSON.stringify(e).slice(0, 300)}`)
    const bad = this.badLines.slice(0, 5).map(l => `    ${JSON.stringify(l.slice(0, 300))}`)
    const status = this.exit == null ? `running (pid ${this.child.pid})` : `exited (code ${this.exit.code}, signal ${this.exit.signal})`
    return [
      `  ${this.name}: ${status}, ${this.events.length} events`,
      `  last events:\n${last.length > 0 ? last.join('\n') : '    (none)'}`,
      ...(bad.length > 0 ? [`  non-JSON stdout lines:\n${bad.join('\n')}`] : []),
      `  stderr (tail):\n${this.stderrText === '' ? '    (empty)' : this.stderrText.slice(-stderrChars).replace(/^/gm, '    ')}`
    ].join('\n')
  }

  private failure (reason: string): ChatProcessError {
    return new ChatProcessError(`${this.name}: ${reason}\n${this.diagnostics()}`)
  }

  private onLine (line: string): void {
    if (line.trim() === '') {
      return
    }
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch {
      // not JSON: reported below
    }
    if (typeof event !== 'object' || event == null || Array.isArray(event) || typeof (event as { type?: unknown }).type !== 'string') {
      this.badLines.push(line)
      this.failAll(`wrote a non-JSON line ${JSON.stringify(line.slice(0, 200))}`)
      return
    }
    const index = this.events.push(event as ChatEvent) - 1
    for (const waiter of [...this.waiters]) {
      if (index >= waiter.since && waiter.match(event as ChatEvent)) {
        waiter.resolve(event as ChatEvent)
      }
    }
  }

  private failAll (reason: string): void {
    for (const waiter of [...this.waiters]) {
      waiter.fail(reason)
    }
  }
}

/** Start `securechat --json` (see ChatProcessOptions) */
export function spawnChat (options: ChatProcessOptions): ChatProcess {
  return new ChatProcess(options)
}
