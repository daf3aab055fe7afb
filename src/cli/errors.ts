/**
 * Errors of the command line and the REPL. Names are API: `--json` prints
 * them as the `code` of `error` events. Messages are for humans and may change.
 */

/** A REPL line started with `/` but named no known command */
export class UnknownCommandError extends Error {
  static override name = 'UnknownCommandError'
  override name = 'UnknownCommandError'

  constructor (message = 'unknown command, type /help for the list', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Missing or invalid arguments, on the command line or in the REPL; the message gives the usage */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'

  constructor (message = 'invalid usage', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Plain text was typed outside chat mode */
export class NoActiveChatError extends Error {
  static override name = 'NoActiveChatError'
  override name = 'NoActiveChatError'

  constructor (message = 'no active chat: use /chat <peer> first, or /msg <peer> <text>', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A peer argument matched no known peer and is not a valid peer id */
export class UnknownPeerError extends Error {
  static override name = 'UnknownPeerError'
  override name = 'UnknownPeerError'

  constructor (message = 'unknown peer', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A peer argument matched several peers; the message lists them as `name (shortid)` */
export class AmbiguousPeerError extends Error {
  static override name = 'AmbiguousPeerError'
  override name = 'AmbiguousPeerError'

  constructor (message = 'ambiguous peer', options?: ErrorOptions) {
    super(message, options)
  }
}
