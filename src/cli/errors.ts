/**
 * Errors of the command line, shared by every subcommand. Names are API:
 * `--json` prints them as the `code` of `error` events. Messages are for
 * humans and may change.
 */

/** Missing or invalid arguments, on the command line or in the REPL; the message gives the usage */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'

  constructor (message = 'invalid usage', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The user left a prompt with Ctrl+C or Ctrl+D, or interrupted an export or import (SIGINT, SIGTERM): nothing was written (exit code 130) */
export class PromptCancelledError extends Error {
  static override name = 'PromptCancelledError'
  override name = 'PromptCancelledError'

  constructor (message = 'cancelled, nothing was changed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** An `error` line: `code` is the error's name (README, "Errors") */
export interface ErrorInfo {
  code: string
  message: string
  /** the message it is about */
  id?: string
  /** the peer it is about */
  peer?: string
}

/** The `error` line for anything thrown */
export function toErrorInfo (err: unknown): ErrorInfo {
  return err instanceof Error
    ? { code: err.name, message: err.message }
    : { code: 'Error', message: String(err) }
}
