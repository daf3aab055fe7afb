/**
 * Errors of the application API (besides the node's, src/errors.ts, and the
 * protocol's and store's). Names are API: faces print them as the `code` of
 * `error` events. Messages are for humans and may change.
 */

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

/** A command that is not one of the API's, or whose fields have the wrong types (a face's bug, or a hostile web client) */
export class InvalidCommandError extends Error {
  static override name = 'InvalidCommandError'
  override name = 'InvalidCommandError'

  constructor (message = 'invalid command', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Registration in a data dir that already holds an account (a key file or a database) */
export class DataDirNotEmptyError extends Error {
  static override name = 'DataDirNotEmptyError'
  override name = 'DataDirNotEmptyError'

  constructor (message = 'data dir already holds an account', options?: ErrorOptions) {
    super(message, options)
  }
}

/** `passwd` or an export on a data dir that holds no account yet */
export class NoAccountError extends Error {
  static override name = 'NoAccountError'
  override name = 'NoAccountError'

  constructor (message = 'no account in this data dir (create one with securechat init)', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A transfer `id` that matches no incoming file transfer, as a whole or as the start of one (at least 4 characters) */
export class UnknownTransferError extends Error {
  static override name = 'UnknownTransferError'
  override name = 'UnknownTransferError'

  constructor (message = 'unknown file transfer', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A transfer `id` prefix that starts several incoming file transfers; the message lists them by id and sender */
export class AmbiguousTransferError extends Error {
  static override name = 'AmbiguousTransferError'
  override name = 'AmbiguousTransferError'

  constructor (message = 'ambiguous file transfer id', options?: ErrorOptions) {
    super(message, options)
  }
}
