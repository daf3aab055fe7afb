/**
 * Errors of the /securechat/profile/1.0.0 protocol. Callers branch on
 * `err.name`; names are API and never change, messages may. Each extends
 * ProtocolViolationError: the remote peer misbehaved, it did not merely go
 * away. Framing failures (an oversized frame) are libp2p's own classes, as
 * for /securechat/1.0.0.
 */
import { ProtocolViolationError } from '../protocol/errors.ts'

/** The envelope or the record in it was malformed, of another payload type, or its nickname invalid */
export class InvalidProfileError extends ProtocolViolationError {
  static override name = 'InvalidProfileError'
  override name = 'InvalidProfileError'

  constructor (message = 'profile invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The envelope's signature did not verify for the profile domain (tampered, or signed for another purpose) */
export class InvalidProfileSignatureError extends ProtocolViolationError {
  static override name = 'InvalidProfileSignatureError'
  override name = 'InvalidProfileSignatureError'

  constructor (message = 'profile signature verification failed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The envelope was signed by another key than the connection's remote peer */
export class UnexpectedProfileSignerError extends ProtocolViolationError {
  static override name = 'UnexpectedProfileSignerError'
  override name = 'UnexpectedProfileSignerError'

  constructor (message = 'profile not signed by the connected peer', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The profile's seq was older than the last one accepted from that peer in this run */
export class StaleProfileError extends ProtocolViolationError {
  static override name = 'StaleProfileError'
  override name = 'StaleProfileError'

  constructor (message = 'profile older than the one already accepted', options?: ErrorOptions) {
    super(message, options)
  }
}
