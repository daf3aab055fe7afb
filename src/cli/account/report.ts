/**
 * How the account subcommands (`init`, `passwd`, `export`, `import`) end on
 * a failure: the message on stderr (as an `error` line on stdout with
 * `--json`), and the exit code: 130 for a prompt left with Ctrl+C or
 * Ctrl+D (nothing was written), 2 for a bad argument found only when the
 * command ran (an unreadable passphrase file), 1 for anything else.
 */
import { PromptCancelledError, UsageError, toErrorInfo } from '../errors.ts'
import { JsonLines } from '../json-lines.ts'
import { EXIT_FAILURE, EXIT_SIGINT, EXIT_USAGE } from '../signals.ts'
import type { Sink } from '../terminal.ts'

export function reportAccountError (err: unknown, sink: Sink, options: { json?: boolean } = {}): number {
  if (options.json === true) {
    new JsonLines(sink).write('error', { ...toErrorInfo(err) })
  } else {
    sink.err(`error: ${err instanceof Error ? err.message : String(err)}`)
  }

  if (err instanceof PromptCancelledError) {
    return EXIT_SIGINT
  }

  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE
}
