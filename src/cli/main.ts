/**
 * `securechat`: parse the command line, then dispatch on the subcommand.
 * Exit codes (signals.ts): 0 clean stop, 1 startup or stop failure, 2 usage
 * error, 130/143 forced by a second SIGINT/SIGTERM; 130 also for a prompt
 * left with Ctrl+C or Ctrl+D.
 */
import { parseArgs } from './args.ts'
import { UsageError } from './errors.ts'
import { EXIT_OK, EXIT_USAGE } from './signals.ts'
import { version } from './version.ts'
import type { MainIo } from './io.ts'

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
    // each subcommand lives in its own folder, imported lazily so that one
    // does not load what another needs, and --help stays fast
    case 'chat':
      return (await import('./chat/index.ts')).chat(invocation.options, full)
    case 'init':
      return (await import('./init/index.ts')).init(invocation.options, full)
    case 'passwd':
      return (await import('./passwd/index.ts')).passwd(invocation.options, full)
    case 'export':
      return (await import('./export/index.ts')).exportCommand(invocation.options, full)
    case 'import':
      return (await import('./import/index.ts')).importCommand(invocation.options, full)
    case 'relay':
      return (await import('./relay/index.ts')).relay(invocation.options, full)
    case 'relay-health':
      return (await import('./relay-health/index.ts')).relayHealth(invocation.options, full)
  }
}
