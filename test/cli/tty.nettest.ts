/**
 * The REPL on a real terminal: alice runs interactively inside a tmux pane,
 * bob as a `--json` process, both on loopback. Through the keyboard (tmux
 * send-keys) and the screen (tmux capture-pane): the prompt, tab completion
 * of commands, nicknames and peer ids, an incoming message printed above a
 * half-typed line without garbling it, chat mode with its `bob> ` prompt and
 * the delivery mark, and `/quit` exiting 0 with the history on disk.
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { onExit } from '../helpers/cleanup.ts'
import { is, where } from '../helpers/events.ts'
import { BIN, NODE_BIN, NODE_FLAGS, REPO_ROOT, spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'

const exec = promisify(execFile)

/** Node on two cores, transforming types on the fly: give startup room */
const START = 60_000
const SCREEN = 15_000
const DELIVER = 30_000
const POLL = 50

const COLS = 120
const ROWS = 40

// ---- tmux ---------------------------------------------------------------------

async function hasTmux (): Promise<boolean> {
  try {
    await exec('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

/** false when tmux is there (installed with apt if it was missing and we may), else why not */
async function tmuxSkip (): Promise<false | string> {
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

/** One line for `sh -c`, which is what tmux runs a pane's command with */
function shellQuote (args: readonly string[]): string {
  return args.map(a => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
}

interface Screen {
  /** the pane's rows, wrapped rows joined, trailing blanks and blank rows dropped */
  lines: string[]
  /** the cursor, 0-based */
  x: number
  y: number
}

/**
 * A tmux server of our own (private socket, no user config) with one
 * session of one pane, whose program stays visible after it exits.
 */
class Tmux {
  private readonly target = 'tty:0.0'
  private readonly dir: string
  /** in `dir`, so it goes with it */
  private readonly socket: string
  private readonly env: NodeJS.ProcessEnv
  private readonly unregister: () => void
  /** the last capture, for failure messages */
  last: Screen | undefined

  private constructor (dir: string, env: NodeJS.ProcessEnv) {
    this.dir = dir
    this.socket = join(dir, 'socket')
    this.env = env
    this.unregister = onExit(() => {
      try {
        execFileSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore', env: this.env })
      } catch {
        // not running
      }
      rmSync(this.dir, { recursive: true, force: true })
    })
  }

  /** Start `argv` in `cwd` in a COLS×ROWS pane, with `env` added to the environment */
  static async start (cwd: string, argv: readonly string[], env: Record<string, string>): Promise<Tmux> {
    const dir = await mkdtemp(join(tmpdir(), 'securechat-tmux-'))
    const conf = join(dir, 'tmux.conf')
    await writeFile(conf, ['set -g remain-on-exit on', 'set -g status off', 'set -g history-limit 2000', ''].join('\n'))
    const clean: NodeJS.ProcessEnv = { ...process.env, ...env }
    // not a test runner's child, and not nested in the caller's tmux
    delete clean.NODE_TEST_CONTEXT
    delete clean.TMUX
    delete clean.TMUX_PANE
    const tmux = new Tmux(dir, clean)
    await tmux.run('-f', conf, 'new-session', '-d', '-s', 'tty', '-c', cwd, '-x', String(COLS), '-y', String(ROWS),
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

  async capture (): Promise<Screen> {
    const text = await this.run('capture-pane', '-p', '-J', '-t', this.target)
    const [x, y] = (await this.run('display-message', '-p', '-t', this.target, '#{cursor_x} #{cursor_y}')).trim().split(' ').map(Number)
    const lines = text.split('\n').map(l => l.trimEnd())
    while (lines.length > 0 && lines.at(-1) === '') {
      lines.pop()
    }
    this.last = { lines, x: x ?? -1, y: y ?? -1 }
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

  /** `[dead, exit status]` of the pane's program */
  async paneStatus (): Promise<{ dead: boolean, status: number | undefined }> {
    const [dead, status] = (await this.run('display-message', '-p', '-t', this.target, '#{pane_dead} #{pane_dead_status}')).trim().split(' ')
    return { dead: dead === '1', status: status == null || status === '' ? undefined : Number(status) }
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
    await rm(this.dir, { recursive: true, force: true })
    this.unregister()
  }
}

/** The last non-blank row: where the prompt is */
function lastLine (screen: Screen): string {
  return screen.lines.at(-1) ?? ''
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// ---- the test -------------------------------------------------------------------

const skip = await tmuxSkip()

await test('the REPL on a real terminal (tmux): prompt, completion, output above the input line, chat mode, /quit', { skip, timeout: 300_000 }, async (t) => {
  // registered first, so it runs first: alice stops before her data dir goes
  let tmux: Tmux | undefined
  t.after(async () => { await tmux?.kill() })
  const bobDir = await tempDir(t, 'securechat-tty-bob-')
  const aliceDir = await tempDir(t, 'securechat-tty-alice-')

  const bob = spawnChat({ name: 'bob', dataDir: bobDir, host: '127.0.0.1', args: ['--port', '0'], t })
  const aliceArgv = [NODE_BIN, ...NODE_FLAGS, BIN, '--name', 'alice', '--host', '127.0.0.1', '--port', '0', '--data-dir', aliceDir]
  const started = Date.now()
  const term = await Tmux.start(REPO_ROOT, aliceArgv, { NO_COLOR: '1' })
  tmux = term

  const bobReady = await bob.waitFor(is('ready'), { timeout: START })
  const bobAddr = bobReady.addrs.find(a => a.startsWith('/ip4/127.0.0.1/tcp/'))
  assert.ok(bobAddr != null, `bob listens on loopback: ${bobReady.addrs.join(' ')}`)
  const bobAddrFull = bobAddr.includes('/p2p/') ? bobAddr : `${bobAddr}/p2p/${bobReady.peerId}`
  const bobShort = `${bobReady.peerId.slice(0, 8)}…${bobReady.peerId.slice(-6)}`
  let alicePeerId = ''

  // each step builds on the previous one: after a failure, skip the rest
  let failed: string | undefined
  const step = async (name: string, fn: (t: TestContext) => Promise<void>): Promise<void> => {
    await t.test(name, { skip: failed != null ? `after failed step: ${failed}` : false }, async (st) => {
      try {
        await fn(st)
      } catch (err) {
        failed = name
        // the screen as it is now, not only as the failed wait last saw it
        await term.capture().catch(() => undefined)
        st.diagnostic(`screen when "${name}" failed:\n${term.dump()}`)
        throw err
      }
    })
  }

  await step('alice starts and shows the prompt', async (st) => {
    const screen = await term.waitFor('the prompt "> " on the last row', s => lastLine(s) === '>' ? s : undefined, START)
    st.diagnostic(`prompt ${Date.now() - started} ms after the pane was created`)
    assert.ok(screen.lines.some(l => /^you are alice \(12D3KooW…\w{6}\)$/.test(l)), `"you are alice" line\n${term.dump()}`)
    const listen = screen.lines.map(l => /^ {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/(\w+)$/.exec(l)?.[1]).find(id => id != null)
    assert.ok(listen != null, `alice lists a loopback address with her peer id\n${term.dump()}`)
    alicePeerId = listen
    assert.equal(screen.x, 2, 'the cursor is right after "> "')
    assert.equal(screen.y, screen.lines.length - 1, 'the cursor is on the prompt row')
  })

  await step('Tab completes a command name', async () => {
    await term.type('/he')
    await term.keys('Tab')
    // a single hit is completed with a space after it
    await term.waitFor('"/he" completed to "/help"', s => lastLine(s) === '> /help' && s.x === '> /help '.length ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' && s.x === 2 ? s : undefined)
  })

  await step('alice connects to bob', async () => {
    const since = bob.mark()
    await term.type(`/connect ${bobAddrFull}`)
    await term.keys('Enter')
    await term.waitFor(`"connected to …${bobShort}"`, s => s.lines.some(l => l.startsWith('connected to ') && l.includes(bobShort)) ? s : undefined, DELIVER)
    await term.waitFor('a peer line: bob is online', s => s.lines.some(l => l.startsWith('* ') && l.includes('is online') && l.includes(bobShort)) ? s : undefined, DELIVER)
    await term.waitFor('the prompt after /connect', s => lastLine(s) === '>' ? s : undefined)
    await bob.waitFor(is('peer', { peerId: alicePeerId, status: 'connected' }), { timeout: DELIVER, since })
  })

  await step('an incoming message appears above a half-typed line, which stays intact', async (st) => {
    const typed = 'half typed words'
    await term.type(typed)
    await term.waitFor('the half-typed line', s => lastLine(s) === `> ${typed}X` ? s : undefined, 2000)

    const pending = await bob.request(`/msg ${alicePeerId} hello from bob`, is('pending', { to: alicePeerId }))
    const messageLine = new RegExp(`^\\[\\d\\d:\\d\\d\\] bob \\(…${escapeRegExp(bobReady.peerId.slice(-6))}\\): hello from bob$`)
    const screen = await term.waitFor('bob\'s message on screen', s => s.lines.some(l => messageLine.test(l)) ? s : undefined, DELIVER)

    const at = screen.lines.findIndex(l => messageLine.test(l))
    const last = screen.lines.length - 1
    assert.ok(at < last, `the message is above the prompt row\n${term.dump()}`)
    assert.equal(screen.lines[last], `> ${typed}`, `the last row is the prompt and exactly the half-typed line\n${term.dump()}`)
    assert.equal(screen.lines.filter(l => l.includes('half typed')).length, 1, `no leftover copy of the half-typed line\n${term.dump()}`)
    assert.equal(screen.y, last, 'the cursor is on the prompt row')
    assert.equal(screen.x, `> ${typed}`.length, 'the cursor is at the end of the half-typed line')
    st.diagnostic(`the screen's last rows:\n${screen.lines.slice(-3).map(l => `  |${l}`).join('\n')}`)
    // alice showed it, so she reports it read
    await bob.waitFor(is('delivered', { id: pending.id }), { timeout: DELIVER })

    // the line is still readline's, not just pixels: it can be edited on
    await term.type(' and more')
    await term.waitFor('the line edited on', s => lastLine(s) === `> ${typed} and more` ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' && s.x === 2 ? s : undefined)
  })

  await step('Tab completes a peer id', async () => {
    await term.type('/history 12D3')
    await term.keys('Tab')
    await term.waitFor('bob\'s full peer id', s => lastLine(s) === `> /history ${bobReady.peerId}` ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' ? s : undefined)
  })

  await step('/chat bo<Tab>: chat mode with bob, a plain line is delivered and marked', async () => {
    await term.type('/chat bo')
    await term.keys('Tab')
    await term.waitFor('"bo" completed to "bob"', s => lastLine(s) === '> /chat bob' ? s : undefined)
    await term.keys('Enter')
    await term.waitFor('the prompt "bob> "', s => lastLine(s) === 'bob>' && s.x === 'bob> '.length ? s : undefined)
    assert.ok(term.last?.lines.some(l => l.startsWith('chatting with bob ')), `"chatting with bob" line\n${term.dump()}`)

    const since = bob.mark()
    await term.type('hi bob')
    await term.keys('Enter')
    const message = await bob.waitFor(is('message', { text: 'hi bob' }), { timeout: DELIVER, since })
    assert.equal(message.from, alicePeerId)
    assert.equal(message.name, 'alice')
    const screen = await term.waitFor('the delivery mark ✓ bob received "hi bob"', s => s.lines.includes('✓ bob received "hi bob"') ? s : undefined, DELIVER)
    assert.ok(screen.lines.some(l => /^\[\d\d:\d\d\] alice → bob: hi bob …$/.test(l)), `the pending line\n${term.dump()}`)
    await term.waitFor('the prompt "bob> " after the mark', s => lastLine(s) === 'bob>' ? s : undefined)
    assert.deepEqual(screen.lines.filter(l => l.startsWith('error:')), [], 'no errors on screen')
  })

  await step('/quit exits 0 and the history is on disk', async (st) => {
    await term.type('/quit')
    await term.keys('Enter')
    const began = Date.now()
    const exit = await (async () => {
      const deadline = Date.now() + DELIVER
      for (;;) {
        const status = await term.paneStatus()
        if (status.dead) {
          return status
        }
        if (Date.now() > deadline) {
          await term.capture()
          throw new Error(`alice did not exit within ${DELIVER} ms of /quit\n${term.dump()}`)
        }
        await sleep(POLL)
      }
    })()
    st.diagnostic(`alice exited ${Date.now() - began} ms after /quit`)
    assert.equal(exit.status, 0, `alice's exit status\n${term.dump()}`)

    const again = spawnChat({ name: 'alice', dataDir: aliceDir, host: '127.0.0.1', args: ['--port', '0'], t })
    const ready = await again.waitFor(is('ready'), { timeout: START })
    assert.equal(ready.peerId, alicePeerId, 'alice keeps her identity')
    const history = await again.request(`/history ${bobReady.peerId}`, where('history', 'with bob', e => e.peer === bobReady.peerId))
    assert.deepEqual(
      history.messages.map(m => ({ direction: m.direction, from: m.from, text: m.text })),
      [
        { direction: 'in', from: bobReady.peerId, text: 'hello from bob' },
        { direction: 'out', from: alicePeerId, text: 'hi bob' }
      ])
    const out = history.messages.find(m => m.direction === 'out')
    assert.ok(out?.status === 'delivered' || out?.status === 'read', `status of "hi bob": ${out?.status}`)
    const stopped = await again.stop()
    assert.deepEqual(stopped, { code: 0, signal: null, forced: false })
  })
})
