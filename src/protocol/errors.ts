/**
 * Errors of the /securechat/1.0.0 protocol. Callers branch on `err.name`;
 * names are API and never change, messages may. Crypto failures say which
 * stage failed, never which key or plaintext was involved.
 */
import { StreamBufferError } from '@libp2p/interface'
import { InvalidDataLengthError, InvalidDataLengthLengthError, InvalidMessageLengthError } from '@libp2p/utils'

/**
 * A remote peer broke the protocol: a forged or malformed Hello, a tampered,
 * replayed or reordered frame, an invalid envelope. Every such error extends
 * this class, so a caller tells "the peer misbehaved" (worth showing the
 * user) from "the peer went away" (only logged) with one `instanceof`.
 */
export class ProtocolViolationError extends Error {
  static override name = 'ProtocolViolationError'
  override name = 'ProtocolViolationError'

  constructor (message = 'protocol violation', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A Hello was malformed: wrong version, key length, nickname or missing field */
export class InvalidHandshakeError extends ProtocolViolationError {
  static override name = 'InvalidHandshakeError'
  override name = 'InvalidHandshakeError'

  constructor (message = 'handshake message invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The Hello signature did not verify against the remote peer's identity key */
export class InvalidSignatureError extends ProtocolViolationError {
  static override name = 'InvalidSignatureError'
  override name = 'InvalidSignatureError'

  constructor (message = 'handshake signature verification failed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The Hello timestamp was too far from the local clock */
export class StaleHandshakeError extends ProtocolViolationError {
  static override name = 'StaleHandshakeError'
  override name = 'StaleHandshakeError'

  constructor (message = 'handshake timestamp outside the allowed clock skew', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame failed AES-GCM authentication: tampered, truncated or under the wrong key */
export class DecryptionError extends ProtocolViolationError {
  static override name = 'DecryptionError'
  override name = 'DecryptionError'

  constructor (message = 'frame authentication failed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame carried a counter already used in this direction */
export class ReplayError extends ProtocolViolationError {
  static override name = 'ReplayError'
  override name = 'ReplayError'

  constructor (message = 'frame counter already seen', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame carried a counter ahead of the expected one: a frame was dropped or reordered */
export class OutOfOrderError extends ProtocolViolationError {
  static override name = 'OutOfOrderError'
  override name = 'OutOfOrderError'

  constructor (message = 'frame counter ahead of the expected counter', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A decrypted envelope was malformed (unknown type, bad id, text too long) */
export class InvalidEnvelopeError extends ProtocolViolationError {
  static override name = 'InvalidEnvelopeError'
  override name = 'InvalidEnvelopeError'

  constructor (message = 'envelope invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The session sent as many frames as it may; a new session must be opened */
export class SessionExhaustedError extends ProtocolViolationError {
  static override name = 'SessionExhaustedError'
  override name = 'SessionExhaustedError'

  constructor (message = 'session frame counter exhausted', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The remote peer's identity key cannot be used (not embedded in its peer id, or unsupported) */
export class UnsupportedPeerKeyError extends ProtocolViolationError {
  static override name = 'UnsupportedPeerKeyError'
  override name = 'UnsupportedPeerKeyError'

  constructor (message = 'remote identity key unavailable or unsupported', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * The framing failures libp2p raises when a peer breaks the length-prefixed
 * framing: an oversized frame or length prefix, or a sender that overran our
 * read buffer. They are libp2p's classes (their names are passed through to
 * the user unchanged), so they cannot extend ProtocolViolationError.
 */
const FRAMING_VIOLATIONS: ReadonlyArray<new (...args: never[]) => Error> = [
  InvalidDataLengthError, InvalidDataLengthLengthError, InvalidMessageLengthError, StreamBufferError
]

/** True when `err` means the remote peer broke the protocol, not that it merely went away */
export function isProtocolViolation (err: unknown): err is Error {
  return err instanceof ProtocolViolationError || FRAMING_VIOLATIONS.some(E => err instanceof E)
}
