/**
 * Errors of the /securechat/1.0.0 protocol. Callers branch on `err.name`;
 * names are API and never change, messages may. Crypto failures say which
 * stage failed, never which key or plaintext was involved.
 */

/** A Hello was malformed: wrong version, key length, nickname or missing field */
export class InvalidHandshakeError extends Error {
  static override name = 'InvalidHandshakeError'
  override name = 'InvalidHandshakeError'

  constructor (message = 'handshake message invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The Hello signature did not verify against the remote peer's identity key */
export class InvalidSignatureError extends Error {
  static override name = 'InvalidSignatureError'
  override name = 'InvalidSignatureError'

  constructor (message = 'handshake signature verification failed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The Hello timestamp was too far from the local clock */
export class StaleHandshakeError extends Error {
  static override name = 'StaleHandshakeError'
  override name = 'StaleHandshakeError'

  constructor (message = 'handshake timestamp outside the allowed clock skew', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame failed AES-GCM authentication: tampered, truncated or under the wrong key */
export class DecryptionError extends Error {
  static override name = 'DecryptionError'
  override name = 'DecryptionError'

  constructor (message = 'frame authentication failed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame carried a counter already used in this direction */
export class ReplayError extends Error {
  static override name = 'ReplayError'
  override name = 'ReplayError'

  constructor (message = 'frame counter already seen', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A frame carried a counter ahead of the expected one: a frame was dropped or reordered */
export class OutOfOrderError extends Error {
  static override name = 'OutOfOrderError'
  override name = 'OutOfOrderError'

  constructor (message = 'frame counter ahead of the expected counter', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A decrypted envelope was malformed (unknown type, bad id, text too long) */
export class InvalidEnvelopeError extends Error {
  static override name = 'InvalidEnvelopeError'
  override name = 'InvalidEnvelopeError'

  constructor (message = 'envelope invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The session sent as many frames as it may; a new session must be opened */
export class SessionExhaustedError extends Error {
  static override name = 'SessionExhaustedError'
  override name = 'SessionExhaustedError'

  constructor (message = 'session frame counter exhausted', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The remote peer's identity key cannot be used (not embedded in its peer id, or unsupported) */
export class UnsupportedPeerKeyError extends Error {
  static override name = 'UnsupportedPeerKeyError'
  override name = 'UnsupportedPeerKeyError'

  constructor (message = 'remote identity key unavailable or unsupported', options?: ErrorOptions) {
    super(message, options)
  }
}
