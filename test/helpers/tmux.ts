/**
 * A real terminal for tests: a tmux server of our own (private socket, no
 * user config) running one program in one pane. Tests type with send-keys
 * and read the screen with capture-pane; tmux is installed with apt when it
 * is missing and we are root, else the test is skipped.
 */
import { execFile, execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { onExit } from './cleanup.ts'
import { createTempDir } from './tmp.ts'
import type { TempDir } from './tmp.ts'

const exec = promisify(execFile)

/** How long waitFor polls by default */
const SCREEN = 15_000
const POLL = 50

/** The pane's size unless start() is given one */
const COLS = 120
const ROWS = 40

async function hasTmux (): Promise<boolean> {
  try {
    await exec('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

/** false when tmux is there (installed with apt if it was missing and we may), else why not */
export async function tmuxSkip (): Promise<false | string> {
  if (await hasTmux()) {
    return false
  }
  if (process.getuid?.() !== 0) {
    return 'terminal test skipped: tmux is not installed, and only root may install it'
  }
  try {
    await exec('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux'], { timeout: 600_000 })
  } catch (err) {
    return `terminal test skipped: tmux is not installed and apt cannot install it: ${(err as Error).message.slice(0, 500)}`
  }
  return await hasTmux() ? false : 'terminal test skipped: tmux is still missing after apt-get install'
}

/** One line for `sh -c`, which is how tmux runs a pane's command (default-shell is set to sh) */
function shellQuote (args: readonly string[]): string {
  return args.map(a => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
}

export interface Screen {
  /** the pane's rows, trailing blanks and trailing blank rows dropped */
  lines: string[]
  /** the cursor, 0-based */
  x: number
  y: number
}

/**
 * A tmux server of our own (private socket, no user config) with one
 * session of one pane, whose program stays visible after it exits.
 */
export class Tmux {
  private readonly target = 'tty:0.0'
  private readonly dir: TempDir
  /** in `dir`, so it goes with it */
  private readonly socket: string
  private readonly env: NodeJS.ProcessEnv
  private readonly unregister: () => void
  /** the last capture, for failure messages */
  last: Screen | undefined

  private constructor (dir: TempDir, env: NodeJS.ProcessEnv) {
    this.dir = dir
    this.socket = join(dir.path, 'socket')
    this.env = env
    // runs before the dir's own exit hook (registered earlier), which then removes the dir
    this.unregister = onExit(() => {
      try {
        execFileSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore', env: this.env })
      } catch {
        // not running
      }
    })
  }

  /** Start `argv` in `cwd` in a pane of `size` (default 120×40), with `env` added to the environment */
  static async start (cwd: string, argv: readonly string[], env: Record<string, string>, size: { cols: number, rows: number } = { cols: COLS, rows: ROWS }): Promise<Tmux> {
    const dir = await createTempDir('securechat-tmux-')
    const conf = join(dir.path, 'tmux.conf')
    await writeFile(conf, ['set -g default-shell /bin/sh', 'set -g remain-on-exit on', 'set -g status off', 'set -g history-limit 2000', ''].join('\n'))
    const clean: NodeJS.ProcessEnv = { ...process.env, ...env }
    // not a test runner's child, and not nested in the caller's tmux
    delete clean.NODE_TEST_CONTEXT
    delete clean.TMUX
    delete clean.TMUX_PANE
    const tmux = new Tmux(dir, clean)
    await tmux.run('-f', conf, 'new-session', '-d', '-s', 'tty', '-c', cwd, '-x', String(size.cols), '-y', String(size.rows),
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      shellQuote(argv))
    return tmux
  }

  async run (...args: string[]): Promise<string> {
    const { stdout } = await exec('tmux', ['-S', this.socket, ...args], { env: this.env, timeout: 10_000 })
    return stdout
  }

  /** Literal text, no Enter */
  async type (text: string): Promise<void> {
    await this.run('send-keys', '-t', this.target, '-l', '--', text)
  }

  /** Named keys: `Enter`, `Tab`, `C-u` */
  async keys (...keys: string[]): Promise<void> {
    await this.run('send-keys', '-t', this.target, ...keys)
  }

  /** Everything the pane showed, its scrollback included, as text */
  async scrollback (): Promise<string> {
    return this.run('capture-pane', '-p', '-S', '-', '-E', '-', '-t', this.target)
  }

  /** The screen and the cursor, in one tmux command sequence so no output comes between */
  async capture (): Promise<Screen> {
    // rows as on screen (no -J), so that the cursor's row indexes them
    const text = await this.run('capture-pane', '-p', '-t', this.target, ';',
      'display-message', '-p', '-t', this.target, '#{cursor_x} #{cursor_y}')
    const lines = text.split('\n')
    lines.pop() // after the last newline
    const [x, y] = (lines.pop() ?? '').split(' ').map(Number)
    const rows = lines.map(l => l.trimEnd())
    while (rows.length > 0 && rows.at(-1) === '') {
      rows.pop()
    }
    this.last = { lines: rows, x: x ?? -1, y: y ?? -1 }
    return this.last
  }

  /**
   * Poll the screen until `check` returns something other than undefined;
   * on timeout throw with `what` and the last screen.
   */
  async waitFor<T> (what: string, check: (screen: Screen) => T | undefined, timeout = SCREEN): Promise<T> {
    const deadline = Date.now() + timeout
    for (;;) {
      const found = check(await this.capture())
      if (found !== undefined) {
        return found
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeout} ms waiting for ${what}\n${this.dump()}`)
      }
      await sleep(POLL)
    }
  }

  /**
   * How the pane's program ended, once it has. tmux sees the pty close
   * before it reaps the process; and Debian's tmux (built with libutempter,
   * whose SIGCHLD handler is in place while tmux removes the pane's utmp
   * record) may miss the SIGCHLD altogether and leave the process a zombie
   * without a status: tmux/tmux#311. The workaround given there is to send
   * the server another SIGCHLD, so it reaps.
   */
  async waitExit (timeout: number): Promise<{ status?: number, signal?: number }> {
    const deadline = Date.now() + timeout
    const server = Number((await this.run('display-message', '-p', '#{pid}')).trim())
    for (;;) {
      const [dead = '', status = '', signal = ''] = (await this.run('display-message', '-p', '-t', this.target,
        '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}')).trim().split('|')
      if (dead === '1' && (status !== '' || signal !== '')) {
        return status !== '' ? { status: Number(status) } : { signal: Number(signal) }
      }
      if (Date.now() > deadline) {
        await this.capture()
        throw new Error(`the pane's program did not exit within ${timeout} ms (pane_dead ${dead})\n${this.dump()}`)
      }
      if (dead === '1' && Number.isSafeInteger(server) && server > 0) {
        process.kill(server, 'SIGCHLD')
      }
      await sleep(POLL)
    }
  }

  /** The last capture, framed, for failure messages */
  dump (): string {
    if (this.last == null) {
      return '  (no capture yet)'
    }
    const rows = this.last.lines.map((l, i) => `  ${String(i).padStart(2)}|${l}`)
    return `  last capture (cursor at ${this.last.x},${this.last.y}):\n${rows.join('\n')}`
  }

  /** Kill the server (and the pane's program with it), remove the socket */
  async kill (): Promise<void> {
    try {
      await this.run('kill-server')
    } catch {
      // already gone
    }
    await this.dir.remove()
    this.unregister()
  }
}

/** The last non-blank row: where the prompt is */
export function lastLine (screen: Screen): string {
  return screen.lines.at(-1) ?? ''
}

