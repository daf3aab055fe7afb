/**
 * Errors of the REPL (besides UsageError, ../errors.ts). Names are API:
 * `--json` prints them as the `code` of `error` events. Messages are for
 * humans and may change.
 */

/** A REPL line started with `/` but named no known command */
export class UnknownCommandError extends Error {
  static override name = 'UnknownCommandError'
  override name = 'UnknownCommandError'

  constructor (message = 'unknown command, type /help for the list', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Plain text was typed outside chat mode */
export class NoActiveChatError extends Error {
  static override name = 'NoActiveChatError'
  override name = 'NoActiveChatError'

  constructor (message = 'no active chat: use /chat <peer> or /chat #<room> first, or /msg <peer> <text>', options?: ErrorOptions) {
    super(message, options)
  }
}
