/**
 * Errors of the backup archive (securechat export / import). Callers branch
 * on `err.name`; names are API and never change, messages may. No message
 * carries key material, the passphrase or plaintext: a failure says which
 * stage failed (the header, frame n, a record), never what it held. A wrong
 * passphrase is the store's WrongPassphraseError, and a data dir that is
 * not empty the app's DataDirNotEmptyError.
 */

/** The archive failed authentication or is malformed: damaged, or changed by someone; nothing was written */
export class ArchiveCorruptError extends Error {
  static override name = 'ArchiveCorruptError'
  override name = 'ArchiveCorruptError'

  constructor (message = 'archive is damaged or was tampered with', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The archive ends before its final frame: an incomplete copy; nothing was written */
export class ArchiveTruncatedError extends Error {
  static override name = 'ArchiveTruncatedError'
  override name = 'ArchiveTruncatedError'

  constructor (message = 'archive is truncated: it ends before its last frame', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Not a securechat archive, or one of a version this securechat cannot read */
export class UnsupportedArchiveError extends Error {
  static override name = 'UnsupportedArchiveError'
  override name = 'UnsupportedArchiveError'

  constructor (message = 'not a securechat archive', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The export target already exists: an archive never replaces a file */
export class ArchiveExistsError extends Error {
  static override name = 'ArchiveExistsError'
  override name = 'ArchiveExistsError'

  constructor (message = 'archive file already exists', options?: ErrorOptions) {
    super(message, options)
  }
}
