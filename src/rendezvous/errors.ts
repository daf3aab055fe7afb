/**
 * Errors of /rendezvous/1.0.0. Callers branch on `err.name`; names are API
 * and never change, messages may.
 *
 * A refusal by the rendezvous point (a non-OK status) is a
 * RendezvousRefusedError, one subclass per status, carrying the status and
 * the point's statusText: the point did its job and said no. A message
 * that breaks the protocol (undecodable, of the wrong type, a response OK
 * without a TTL) is an InvalidRendezvousMessageError, a
 * ProtocolViolationError.
 * Framing failures are libp2p's own classes (InvalidDataLengthError, ...),
 * timeouts its TimeoutError, a relay that does not speak the protocol its
 * UnsupportedProtocolError.
 */
import { ProtocolViolationError } from '../protocol/errors.ts'

/** The wire status of a refusal, as the spec names it */
export type RefusalStatus =
  | 'E_INVALID_NAMESPACE'
  | 'E_INVALID_SIGNED_PEER_RECORD'
  | 'E_INVALID_TTL'
  | 'E_INVALID_COOKIE'
  | 'E_NOT_AUTHORIZED'
  | 'E_INTERNAL_ERROR'
  | 'E_UNAVAILABLE'

/** The rendezvous point refused the request; `status` says why */
export class RendezvousRefusedError extends Error {
  static override name = 'RendezvousRefusedError'
  override name = 'RendezvousRefusedError'
  readonly status: RefusalStatus
  /** the point's own words, truncated; never shown as ours */
  readonly statusText: string

  constructor (status: RefusalStatus, statusText = '', message = `rendezvous point refused: ${status}`, options?: ErrorOptions) {
    super(message, options)
    this.status = status
    this.statusText = statusText
  }
}

/** E_INVALID_NAMESPACE: empty, or longer than 255 bytes */
export class InvalidNamespaceError extends RendezvousRefusedError {
  static override name = 'InvalidNamespaceError'
  override name = 'InvalidNamespaceError'

  constructor (statusText = '', message = 'rendezvous namespace refused', options?: ErrorOptions) {
    super('E_INVALID_NAMESPACE', statusText, message, options)
  }
}

/**
 * E_INVALID_SIGNED_PEER_RECORD: the record did not parse, was not a peer
 * record, its key was not Ed25519 or not the sender's, its signature did
 * not verify, or it named another peer than its signer. Thrown on the
 * server side too, by the record check (record.ts), to pick the status.
 */
export class InvalidSignedPeerRecordError extends RendezvousRefusedError {
  static override name = 'InvalidSignedPeerRecordError'
  override name = 'InvalidSignedPeerRecordError'

  constructor (statusText = '', message = 'signed peer record refused', options?: ErrorOptions) {
    super('E_INVALID_SIGNED_PEER_RECORD', statusText, message, options)
  }
}

/** E_INVALID_TTL: outside the point's [min, max] */
export class InvalidTtlError extends RendezvousRefusedError {
  static override name = 'InvalidTtlError'
  override name = 'InvalidTtlError'

  constructor (statusText = '', message = 'rendezvous TTL refused', options?: ErrorOptions) {
    super('E_INVALID_TTL', statusText, message, options)
  }
}

/** E_INVALID_COOKIE: not one of the point's, for another namespace, or from before it restarted: discover again without one */
export class InvalidCookieError extends RendezvousRefusedError {
  static override name = 'InvalidCookieError'
  override name = 'InvalidCookieError'

  constructor (statusText = '', message = 'rendezvous cookie refused', options?: ErrorOptions) {
    super('E_INVALID_COOKIE', statusText, message, options)
  }
}

/** E_NOT_AUTHORIZED: this peer, or the peers connected from its address, hold as many registrations as the point allows */
export class RegistrationNotAuthorizedError extends RendezvousRefusedError {
  static override name = 'RegistrationNotAuthorizedError'
  override name = 'RegistrationNotAuthorizedError'

  constructor (statusText = '', message = 'rendezvous registration not authorized', options?: ErrorOptions) {
    super('E_NOT_AUTHORIZED', statusText, message, options)
  }
}

/** E_INTERNAL_ERROR: the point failed */
export class RendezvousInternalError extends RendezvousRefusedError {
  static override name = 'RendezvousInternalError'
  override name = 'RendezvousInternalError'

  constructor (statusText = '', message = 'rendezvous point failed', options?: ErrorOptions) {
    super('E_INTERNAL_ERROR', statusText, message, options)
  }
}

/** E_UNAVAILABLE: over the point's request rate, or the namespace or the point is full; try again later */
export class RendezvousUnavailableError extends RendezvousRefusedError {
  static override name = 'RendezvousUnavailableError'
  override name = 'RendezvousUnavailableError'

  constructor (statusText = '', message = 'rendezvous point unavailable', options?: ErrorOptions) {
    super('E_UNAVAILABLE', statusText, message, options)
  }
}

/** A message that is no valid rendezvous message where one was expected: undecodable, of the wrong type, or missing what its type requires */
export class InvalidRendezvousMessageError extends ProtocolViolationError {
  static override name = 'InvalidRendezvousMessageError'
  override name = 'InvalidRendezvousMessageError'

  constructor (message = 'rendezvous message invalid', options?: ErrorOptions) {
    super(message, options)
  }
}
