/**
 * How `init` and `passwd` end on a failure: the message on stderr, and the
 * exit code: 130 for a prompt left with Ctrl+C or Ctrl+D (nothing was
 * written), 2 for a bad argument found only when the command ran (an
 * unreadable passphrase file), 1 for anything else.
 */
import { PromptCancelledError, UsageError } from '../errors.ts'
import { EXIT_FAILURE, EXIT_SIGINT, EXIT_USAGE } from '../signals.ts'
import type { Sink } from '../terminal.ts'

export function reportAccountError (err: unknown, sink: Sink): number {
  const message = err instanceof Error ? err.message : String(err)
  sink.err(`error: ${message}`)

  if (err instanceof PromptCancelledError) {
    return EXIT_SIGINT
  }

  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE
}
