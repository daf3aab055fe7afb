/**
 * `securechat [chat]`: open the account (on a terminal: registration of an
 * empty data dir, the passphrase of a protected one), start the app (a node
 * behind the application API), then run a session on it: text for people,
 * or `--json` lines for programs; interactive when stdin and stdout are
 * terminals. `--json` and a start without a terminal never prompt.
 */
import { startApp } from '../../app/index.ts'
import { terminalPrompts, unlock } from '../account/index.ts'
import { PromptCancelledError, toErrorInfo } from '../errors.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, handleInterrupts } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import { PeerDirectory } from './directory.ts'
import { JsonOutput } from './json-output.ts'
import { runSession } from './session.ts'
import { TextOutput } from './text-output.ts'
import type { ChatApi } from '../../app/index.ts'
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

  const app = await start(options, io, { output, terminal, interactive, deps })

  if (typeof app === 'number') {
    return app
  }

  return runSession({
    app,
    output,
    directory,
    input: io.stdin,
    ...(interactive ? { tty: { stdout: io.stdout, terminal } } : {}),
    signals: io.signals,
    exit: io.exit
  })
}

interface StartContext {
  output: Output
  terminal: Terminal
  interactive: boolean
  deps: ChatDeps
}

/** Opens the account and starts the app, or returns the exit code of the failure (reported on the output) */
async function start (options: ChatOptions, io: MainIo, { output, terminal, interactive, deps }: StartContext): Promise<ChatApi | number> {
  const interrupts = handleInterrupts(io.signals, io.exit)

  try {
    // a stop signal during a prompt cancels it
    const prompts = interactive ? deps.prompts ?? terminalPrompts({ stdin: io.stdin, stdout: io.stdout, signal: interrupts.signal }) : undefined
    const passphrase = await unlock(
      { dataDir: options.dataDir, name: options.name, ...(options.passphrase != null ? { passphrase: options.passphrase } : {}) },
      { sink: terminal, ...(prompts != null ? { prompts } : {}), ...(deps.accounts != null ? { api: deps.accounts } : {}) }
    )

    if (interrupts.signal.aborted) {
      return EXIT_OK
    }

    const app = await startApp({
      name: options.name,
      dataDir: options.dataDir,
      downloads: options.downloads,
      autoAcceptFiles: options.autoAcceptFiles,
      port: options.port,
      relays: options.relays,
      readReceipts: options.readReceipts,
      mdns: options.mdns,
      ...(options.host != null ? { host: options.host } : {}),
      ...(passphrase != null ? { passphrase } : {})
    }, { signal: interrupts.signal })

    if (interrupts.signal.aborted) {
      // interrupted just as it came up
      await app.stop()
      return EXIT_OK
    }

    return app
  } catch (err) {
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
