/** The web face's failures a browser sees (as `{ error: { code, message } }` with an HTTP status) */

/** A request without the access token (or with another), or one that cannot be ours: wrong Host, another Origin */
export class WebAccessDeniedError extends Error {
  static override name = 'WebAccessDeniedError'
  override name = 'WebAccessDeniedError'

  constructor (message = 'access denied: open the URL securechat printed, with its token', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A request body that is not JSON, is over MAX_BODY_BYTES, or did not arrive in time */
export class InvalidRequestBodyError extends Error {
  static override name = 'InvalidRequestBodyError'
  override name = 'InvalidRequestBodyError'

  constructor (message = 'the request body is not a JSON object of at most 128 KiB', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A command or an event stream before the account is open (first start or unlock comes first) */
export class AccountClosedError extends Error {
  static override name = 'AccountClosedError'
  override name = 'AccountClosedError'

  constructor (message = 'the account is not open yet: create it or unlock it first', options?: ErrorOptions) {
    super(message, options)
  }
}

/** create on a data dir that holds an account, unlock on one that has none or is open already */
export class AccountStateError extends Error {
  static override name = 'AccountStateError'
  override name = 'AccountStateError'

  constructor (message = 'the account is not in a state for that', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Too many wrong passphrases in a short time: wait and try again */
export class TooManyAttemptsError extends Error {
  static override name = 'TooManyAttemptsError'
  override name = 'TooManyAttemptsError'

  constructor (message = 'too many attempts: wait a few seconds', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A first start with a weak passphrase, or none, that the user did not confirm */
export class WeakPassphraseError extends Error {
  static override name = 'WeakPassphraseError'
  override name = 'WeakPassphraseError'

  constructor (message = 'no passphrase: anyone who can read your files can read your messages. Confirm it, or choose one', options?: ErrorOptions) {
    super(message, options)
  }
}
