/**
 * Errors a user of a securechat node can see (besides the protocol's, in
 * src/protocol/errors.ts, and the store's, in src/store/errors.ts). Names are
 * API: the CLI prints them as the `code` of `error` events.
 */

/** A message with no text (or only white space) */
export class EmptyMessageError extends Error {
  static override name = 'EmptyMessageError'
  override name = 'EmptyMessageError'

  constructor (message = 'message is empty', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A message longer than MAX_TEXT_BYTES */
export class MessageTooLargeError extends Error {
  static override name = 'MessageTooLargeError'
  override name = 'MessageTooLargeError'

  constructor (message = 'message is too large', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A string that is not a valid peer id */
export class InvalidPeerIdError extends Error {
  static override name = 'InvalidPeerIdError'
  override name = 'InvalidPeerIdError'

  constructor (message = 'invalid peer id', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A string that is not a valid multiaddr, or lacks the /p2p/<peer id> part where one is needed */
export class InvalidMultiaddrError extends Error {
  static override name = 'InvalidMultiaddrError'
  override name = 'InvalidMultiaddrError'

  constructor (message = 'invalid multiaddr', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The peer could not be dialled, or did not answer in time */
export class UnreachablePeerError extends Error {
  static override name = 'UnreachablePeerError'
  override name = 'UnreachablePeerError'

  constructor (message = 'peer unreachable', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The node was used after stop() */
export class NodeStoppedError extends Error {
  static override name = 'NodeStoppedError'
  override name = 'NodeStoppedError'

  constructor (message = 'node is stopped', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The peer is blocked: nothing is sent to it or stored from it until it is unblocked */
export class BlockedPeerError extends Error {
  static override name = 'BlockedPeerError'
  override name = 'BlockedPeerError'

  constructor (message = 'peer is blocked', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A name the user chose (a petname) that breaks the nickname rules */
export class InvalidNameError extends Error {
  static override name = 'InvalidNameError'
  override name = 'InvalidNameError'

  constructor (message = 'invalid name', options?: ErrorOptions) {
    super(message, options)
  }
}
