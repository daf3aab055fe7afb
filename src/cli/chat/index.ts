/**
 * `securechat [chat]`: open the account (on a terminal: registration of an
 * empty data dir, the passphrase of a protected one), start the app (a node
 * behind the application API), then run a session on it: text for people,
 * or `--json` lines for programs; interactive when stdin and stdout are
 * terminals. `--json` and a start without a terminal never prompt.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startApp } from '../../app/index.ts'
import { AccountGate, WebServer, loadAssets } from '../../web/index.ts'
import { APP_ACCOUNTS, terminalPrompts, unlock } from '../account/index.ts'
import { PromptCancelledError, toErrorInfo } from '../errors.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, handleInterrupts } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import { PeerDirectory } from './directory.ts'
import { JsonOutput } from './json-output.ts'
import { runSession } from './session.ts'
import { TextOutput } from './text-output.ts'
import type { AppInit, ChatApi } from '../../app/index.ts'
import type { AccountApi, Prompts } from '../account/index.ts'
import type { MainIo } from '../io.ts'
import type { ChatOptions } from './options.ts'
import type { Output } from './output.ts'

/** Tests replace the prompts (used only when interactive) and the account functions */
export interface ChatDeps {
  prompts?: Prompts
  accounts?: AccountApi
}

export async function chat (options: ChatOptions, io: MainIo, deps: ChatDeps = {}): Promise<number> {
  const terminal = new Terminal(io.stdout, io.stderr)
  const directory = new PeerDirectory()
  const interactive = !options.json && io.stdin.isTTY === true && io.stdout.isTTY === true
  const noColor = io.env.NO_COLOR != null && io.env.NO_COLOR !== ''
  const output: Output = options.json
    ? new JsonOutput(terminal)
    : new TextOutput(terminal, {
      color: io.stdout.isTTY === true && !noColor,
      qr: io.stdout.isTTY === true,
      peers: id => directory.get(id),
      // progress bars only on a terminal, between the output and the prompt
      ...(io.stdout.isTTY === true ? { footer: (rows: string[]) => { terminal.footer(rows) } } : {})
    })

  let web: WebFace | undefined
  try {
    web = options.webPort == null ? undefined : await startWeb(options, deps)
  } catch (err) {
    // the web app could not start (its port is taken, it was not built)
    output.error(toErrorInfo(err))
    return EXIT_FAILURE
  }

  try {
    const app = await start(options, io, { output, terminal, interactive, deps, web })

    if (typeof app === 'number') {
      return app
    }

    return await runSession({
      app,
      output,
      directory,
      input: io.stdin,
      ...(interactive ? { tty: { stdout: io.stdout, terminal } } : {}),
      signals: io.signals,
      exit: io.exit
    })
  } finally {
    await web?.server.stop()
  }
}

interface WebFace {
  server: WebServer
  gate: AccountGate
}

/** What the node starts with, from the options: the passphrase from wherever it came, the nickname chosen in the web app if any */
function appInit (options: ChatOptions, passphrase: string | undefined, name?: string): AppInit {
  return {
    name: name ?? options.name,
    dataDir: options.dataDir,
    downloads: options.downloads,
    autoAcceptFiles: options.autoAcceptFiles,
    port: options.port,
    relays: options.relays,
    readReceipts: options.readReceipts,
    mdns: options.mdns,
    ...(options.host != null ? { host: options.host } : {}),
    ...(passphrase != null ? { passphrase } : {})
  }
}

/** The built front end: dist/web beside src/ (from the sources) or beside dist/src (from the build) */
async function webAssets (): Promise<Awaited<ReturnType<typeof loadAssets>>> {
  for (const dir of ['../../../dist/web/', '../../../web/']) {
    const assets = await loadAssets(fileURLToPath(new URL(dir, import.meta.url))).catch(() => undefined)
    // a built page has its bundle under /assets/ (the sources in web/ have index.html too, and must not be served)
    if (assets?.has('/index.html') === true && [...assets.keys()].some(path => path.startsWith('/assets/'))) return assets
  }
  throw new Error('the web app is not built: run npm run build:web (npm install does)')
}

async function startWeb (options: ChatOptions, deps: ChatDeps): Promise<WebFace> {
  const gate = new AccountGate({
    dataDir: options.dataDir,
    accounts: deps.accounts ?? APP_ACCOUNTS,
    start: async (passphrase, name, opts) => startApp(appInit(options, passphrase, name), opts)
  })
  const server = new WebServer({ port: options.webPort ?? 0, gate, assets: await webAssets(), uploads: join(options.dataDir, 'uploads') })
  await server.start()
  return { server, gate }
}

interface StartContext {
  output: Output
  terminal: Terminal
  interactive: boolean
  deps: ChatDeps
  web?: WebFace | undefined
}

/** Opens the account and starts the app, or returns the exit code of the failure (reported on the output) */
async function start (options: ChatOptions, io: MainIo, { output, terminal, interactive, deps, web }: StartContext): Promise<ChatApi | number> {
  const interrupts = handleInterrupts(io.signals, io.exit)

  try {
    if (web != null) {
      // with the web app, an account to create or unlock is opened there, unless a passphrase came with the start
      const state = options.passphrase == null ? (await (deps.accounts ?? APP_ACCOUNTS).inspectDataDir(options.dataDir)).state : undefined
      const waiting = state === 'empty' ? 'create' : state === 'protected' ? 'unlock' : undefined
      // the face opens it itself: the browser waits meanwhile (no first start or unlock racing this one)
      if (waiting == null) web.gate.opening()
      output.web(web.server.url, waiting)
      if (waiting != null) {
        const app = await Promise.race([web.gate.opened(), new Promise<undefined>(resolve => { interrupts.signal.addEventListener('abort', () => { resolve(undefined) }, { once: true }) })])
        if (app == null || interrupts.signal.aborted) {
          await app?.stop()
          return EXIT_OK
        }
        return app
      }
    }

    // a stop signal during a prompt cancels it
    const prompts = interactive ? deps.prompts ?? terminalPrompts({ stdin: io.stdin, stdout: io.stdout, signal: interrupts.signal }) : undefined
    const passphrase = await unlock(
      { dataDir: options.dataDir, name: options.name, ...(options.passphrase != null ? { passphrase: options.passphrase } : {}) },
      { sink: terminal, ...(prompts != null ? { prompts } : {}), ...(deps.accounts != null ? { api: deps.accounts } : {}) }
    )

    if (interrupts.signal.aborted) {
      return EXIT_OK
    }

    const app = await startApp(appInit(options, passphrase), { signal: interrupts.signal })
    web?.gate.open(app)

    if (interrupts.signal.aborted) {
      // interrupted just as it came up
      await app.stop()
      return EXIT_OK
    }

    return app
  } catch (err) {
    web?.gate.failed()
    if (interrupts.signal.aborted) {
      return EXIT_OK
    }

    output.error(toErrorInfo(err))
    // Ctrl+C or Ctrl+D at a passphrase prompt: nothing was started
    return err instanceof PromptCancelledError ? EXIT_SIGINT : EXIT_FAILURE
  } finally {
    interrupts.dispose()
  }
}
