/**
 * Errors of the store. Callers branch on `err.name`; names are API and never
 * change, messages may. No error carries a key, a passphrase or plaintext:
 * a corrupt record names its sublevel and key (metadata stored in clear
 * anyway), never its contents.
 */

/** An operation was called before `open()` finished or after `close()` began */
export class StoreNotOpenError extends Error {
  static override name = 'StoreNotOpenError'
  override name = 'StoreNotOpenError'

  constructor (message = 'store is not open', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A stored value failed authentication, decryption or validation */
export class CorruptRecordError extends Error {
  static override name = 'CorruptRecordError'
  override name = 'CorruptRecordError'

  /** the sublevel holding the record */
  readonly sublevel: string
  /** the record's key (metadata, stored in clear) */
  readonly key: string

  constructor (sublevel: string, key: string, message = `record ${sublevel}/${key} failed authentication or validation`, options?: ErrorOptions) {
    super(message, options)
    this.sublevel = sublevel
    this.key = key
  }
}

/** The key file is missing, unreadable, malformed or does not match the database */
export class CorruptKeyFileError extends Error {
  static override name = 'CorruptKeyFileError'
  override name = 'CorruptKeyFileError'

  constructor (message = 'key file is corrupt', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The passphrase did not unwrap the data key, or a passphrase was given for an unprotected key file (or none for a protected one) */
export class WrongPassphraseError extends Error {
  static override name = 'WrongPassphraseError'
  override name = 'WrongPassphraseError'

  constructor (message = 'wrong passphrase', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Another store (in this or another process) holds the data dir's LevelDB
 * lock. `cause` is level's error (code LEVEL_DATABASE_NOT_OPEN, its cause
 * code LEVEL_LOCKED).
 */
export class DataDirInUseError extends Error {
  static override name = 'DataDirInUseError'
  override name = 'DataDirInUseError'

  constructor (message = 'data dir is in use by another securechat process', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The outbox (messages not yet acknowledged) is full for that peer or in total; nothing was written */
export class OutboxFullError extends Error {
  static override name = 'OutboxFullError'
  override name = 'OutboxFullError'

  constructor (message = 'outbox is full', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The quarantine of message requests is full for that peer or in total; nothing was written (and nothing is acked) */
export class RequestQuotaError extends Error {
  static override name = 'RequestQuotaError'
  override name = 'RequestQuotaError'

  constructor (message = 'message request quota reached', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The database is in a store format this version cannot read (written by a newer securechat) */
export class StoreFormatError extends Error {
  static override name = 'StoreFormatError'
  override name = 'StoreFormatError'

  constructor (message = 'data dir is in an unknown store format', options?: ErrorOptions) {
    super(message, options)
  }
}

/** restore() into a store that already holds an identity, a peer or a message; nothing was written */
export class StoreNotEmptyError extends Error {
  static override name = 'StoreNotEmptyError'
  override name = 'StoreNotEmptyError'

  constructor (message = 'store is not empty', options?: ErrorOptions) {
    super(message, options)
  }
}

/** putRoom() or restore() past MAX_STORED_ROOMS rooms or MAX_ROOM_MEMBERS members in a room; nothing was written */
export class RoomLimitError extends Error {
  static override name = 'RoomLimitError'
  override name = 'RoomLimitError'

  constructor (message = 'room limit reached', options?: ErrorOptions) {
    super(message, options)
  }
}

/** putTransfer() of a new transfer past MAX_STORED_TRANSFERS; nothing was written */
export class TransferLimitError extends Error {
  static override name = 'TransferLimitError'
  override name = 'TransferLimitError'

  constructor (message = 'transfer limit reached', options?: ErrorOptions) {
    super(message, options)
  }
}
