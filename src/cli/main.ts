/**
 * `securechat`: parse the command line, then dispatch on the subcommand.
 * Exit codes: 0 clean stop, 1 startup or stop failure, 2 usage error,
 * 130/143 forced by a second SIGINT/SIGTERM.
 */
import { parseArgs } from './args.ts'
import { PeerDirectory } from './directory.ts'
import { UsageError } from './errors.ts'
import { JsonOutput, TextOutput, toErrorInfo } from './output.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, EXIT_USAGE, runSession } from './session.ts'
import { Terminal } from './terminal.ts'
import { version } from './version.ts'
import type { ChatOptions } from './args.ts'
import type { Output } from './output.ts'
import type { SignalSource } from './session.ts'
import type { ChatNode } from '../types.ts'

/** The process around main(); tests replace parts of it */
export interface MainIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  env: Record<string, string | undefined>
  signals: SignalSource
  exit: (code: number) => void
}

export async function main (argv: string[], io: Partial<MainIo> = {}): Promise<number> {
  const full: MainIo = {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    signals: io.signals ?? process,
    exit: io.exit ?? ((code: number) => process.exit(code))
  }

  let invocation

  try {
    invocation = parseArgs(argv, { env: full.env })
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr.write(`error: ${err.message}\nRun 'securechat --help' for usage.\n`)
      return EXIT_USAGE
    }

    throw err
  }

  switch (invocation.command) {
    case 'help':
      full.stdout.write(invocation.text)
      return EXIT_OK
    case 'version':
      full.stdout.write(`securechat ${version()}\n`)
      return EXIT_OK
    case 'chat':
      return chat(invocation.options, full)
    // other subcommands live in their own modules, imported lazily so that
    // one does not load what another needs
    case 'relay':
      return (await import('./commands/relay.ts')).relay(invocation.options, full)
    case 'relay-health':
      return (await import('./commands/relay-health.ts')).relayHealth(invocation.options, full)
  }
}

async function chat (options: ChatOptions, io: MainIo): Promise<number> {
  const terminal = new Terminal(io.stdout, io.stderr)
  const directory = new PeerDirectory()
  const interactive = !options.json && io.stdin.isTTY === true && io.stdout.isTTY === true
  const noColor = io.env.NO_COLOR != null && io.env.NO_COLOR !== ''
  const output: Output = options.json
    ? new JsonOutput(terminal)
    : new TextOutput(terminal, { color: io.stdout.isTTY === true && !noColor, names: id => directory.name(id) })

  const node = await startNode(options, io, output)

  if (typeof node === 'number') {
    return node
  }

  return runSession({
    node,
    output,
    directory,
    input: io.stdin,
    ...(interactive ? { tty: { stdout: io.stdout, terminal } } : {}),
    signals: io.signals,
    exit: io.exit
  })
}

/** Starts the node, or returns the exit code of the failure (reported on the output) */
async function startNode (options: ChatOptions, io: MainIo, output: Output): Promise<ChatNode | number> {
  const controller = new AbortController()
  const interrupt = (code: number): void => {
    if (controller.signal.aborted) {
      io.exit(code)
    }

    controller.abort()
  }
  const onSigint = (): void => { interrupt(EXIT_SIGINT) }
  const onSigterm = (): void => { interrupt(EXIT_SIGTERM) }
  io.signals.on('SIGINT', onSigint)
  io.signals.on('SIGTERM', onSigterm)

  try {
    // loaded here, not at the top, so that --help and friends stay fast and
    // do not depend on the whole network stack
    const { createChatNode } = await import('../node.ts')

    const node = await createChatNode({
      name: options.name,
      dataDir: options.dataDir,
      port: options.port,
      relays: options.relays,
      readReceipts: options.readReceipts,
      mdns: options.mdns,
      ...(options.host != null ? { host: options.host } : {}),
      ...(options.passphrase != null ? { passphrase: options.passphrase } : {})
    }, { signal: controller.signal })

    if (controller.signal.aborted) {
      // interrupted just as it came up
      await node.stop()
      return EXIT_OK
    }

    return node
  } catch (err) {
    if (controller.signal.aborted) {
      return EXIT_OK
    }

    output.error(toErrorInfo(err))
    return EXIT_FAILURE
  } finally {
    io.signals.off('SIGINT', onSigint)
    io.signals.off('SIGTERM', onSigterm)
  }
}
