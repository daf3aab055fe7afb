/**
 * Errors of file transfer. Callers branch on `err.name`; names are API and
 * never change, messages may. No error carries file contents; a file name
 * from the network appears only after safeFileName made it harmless.
 */
import { ProtocolViolationError } from '../protocol/errors.ts'
import type { RefusalReason } from './constants.ts'

/**
 * Every name createUniqueFile may try (`name.ext`, `name (1).ext`, ...
 * `name (999).ext`) already exists in the downloads folder
 */
export class NoFreeFileNameError extends Error {
  static override name = 'NoFreeFileNameError'
  override name = 'NoFreeFileNameError'

  constructor (message = 'no free file name in the downloads folder', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * A path that would resolve outside the downloads folder (a bug guard:
 * safeFileName never yields one); nothing was opened
 */
export class PathOutsideDirError extends Error {
  static override name = 'PathOutsideDirError'
  override name = 'PathOutsideDirError'

  constructor (message = 'path resolves outside the downloads folder', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * `<downloads>/.partial` exists but is not a directory (a file, a symlink,
 * anything else): partial files are never written through it
 */
export class UnsafePartialDirError extends Error {
  static override name = 'UnsafePartialDirError'
  override name = 'UnsafePartialDirError'

  constructor (message = 'partial files folder is not a plain directory', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * A FileRequest or FileReply that does not parse as protobuf, of an unknown
 * kind, with a field out of range, or carrying a field its kind does not
 * have (docs/PROTOCOL.md, "File transfer"); protons' error, if any, is the cause
 */
export class InvalidFileFrameError extends ProtocolViolationError {
  static override name = 'InvalidFileFrameError'
  override name = 'InvalidFileFrameError'

  constructor (message = 'file frame invalid', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * The sender's file is not the one offered: shorter or longer than the
 * offer's size when read, gone, or no longer a regular file. The sender
 * refuses with `changed`; the transfer cannot complete.
 */
export class FileChangedError extends Error {
  static override name = 'FileChangedError'
  override name = 'FileChangedError'

  constructor (message = 'file changed since it was offered', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A CHUNK or END did not start where the bytes received so far end: a gap or an overlap */
export class ChunkOffsetError extends ProtocolViolationError {
  static override name = 'ChunkOffsetError'
  override name = 'ChunkOffsetError'

  constructor (message = 'chunk not at the expected offset', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A CHUNK ran past the size of the file offered */
export class ChunkOverrunError extends ProtocolViolationError {
  static override name = 'ChunkOverrunError'
  override name = 'ChunkOverrunError'

  constructor (message = 'chunk past the end of the file', options?: ErrorOptions) {
    super(message, options)
  }
}

/** END came before the whole file was sent */
export class EarlyEndError extends ProtocolViolationError {
  static override name = 'EarlyEndError'
  override name = 'EarlyEndError'

  constructor (message = 'file ended before its size', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * The replies stopped before END: the stream ended early. Not necessarily
 * a violation (a sender that stops); what was verified so far stands, and
 * the transfer resumes from there.
 */
export class MissingEndError extends Error {
  static override name = 'MissingEndError'
  override name = 'MissingEndError'

  constructor (message = 'replies ended without END', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A reply of a kind that has no place here (an OK among the chunks, say) */
export class UnexpectedReplyError extends ProtocolViolationError {
  static override name = 'UnexpectedReplyError'
  override name = 'UnexpectedReplyError'

  constructor (message = 'unexpected file reply', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The other side answered REFUSED; `reason` is its code (constants.ts, REFUSAL_REASONS) */
export class TransferRefusedError extends Error {
  static override name = 'TransferRefusedError'
  override name = 'TransferRefusedError'
  readonly reason: RefusalReason

  constructor (reason: RefusalReason, message = `transfer refused: ${reason}`, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/**
 * A download ran through a relay and a direct connection to its sender
 * appeared: the download stops there (its verified bytes kept) and goes on
 * over the direct connection. The reason a pull is aborted with, never a
 * failure.
 */
export class TransferMovedError extends Error {
  static override name = 'TransferMovedError'
  override name = 'TransferMovedError'

  constructor (message = 'a direct connection appeared: the download moves to it', options?: ErrorOptions) {
    super(message, options)
  }
}

/** An offer was not accepted on its own: the downloads folder's disk has less free space than the file needs */
export class NotEnoughSpaceError extends Error {
  static override name = 'NotEnoughSpaceError'
  override name = 'NotEnoughSpaceError'

  constructor (message = 'not enough free disk space in the downloads folder', options?: ErrorOptions) {
    super(message, options)
  }
}
