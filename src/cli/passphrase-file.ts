/**
 * The passphrase for non-interactive use: SECURECHAT_PASSPHRASE or
 * `--passphrase-file FILE`, never both. The file is read while the command
 * line is parsed (synchronously, a few bytes), so every subcommand that takes
 * the option gets a plain `passphrase` and needs no wiring of its own; its
 * problems are UsageErrors (exit code 2), like any other bad option value.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { UsageError } from './errors.ts'

/** More than any passphrase's first line; a longer one is a mistake (a key, a log) */
const MAX_FIRST_LINE_BYTES = 4096

const FLAG = '--passphrase-file'

function describeFailure (err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error'
}

/**
 * The first line of `path` without its line ending (LF or CRLF). Refused
 * with a UsageError: a file that cannot be read, that group or others may
 * read or write (like ssh with a private key: the passphrase is only as
 * private as its file), a directory, an empty first line, one over 4 KiB,
 * or one that is not UTF-8. Works with a pipe (`--passphrase-file
 * <(pass show securechat)`), whose mode is 0600. `flag` names the option
 * in the messages (passwd's --new-passphrase-file reads the same way).
 */
export function readPassphraseFile (path: string, flag = FLAG): string {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot open it (${describeFailure(err)})`, { cause: err })
  }

  const buffer = Buffer.alloc(MAX_FIRST_LINE_BYTES + 2)
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) {
      throw new UsageError(`${flag} ${path}: is a directory`)
    }
    const mode = stat.mode & 0o777
    if ((mode & 0o077) !== 0) {
      throw new UsageError(`${flag} ${path}: group or others may read or change it (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`)
    }

    // up to the first newline: a pipe may deliver it in several pieces
    let length = 0
    while (length < buffer.length && !buffer.subarray(0, length).includes(0x0a)) {
      let n: number
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null)
      } catch (err) {
        throw new UsageError(`${flag} ${path}: cannot read it (${describeFailure(err)})`, { cause: err })
      }
      if (n === 0) {
        break
      }
      length += n
    }

    const newline = buffer.subarray(0, length).indexOf(0x0a)
    let end = newline === -1 ? length : newline
    if (end > 0 && buffer[end - 1] === 0x0d) {
      end -= 1
    }
    if (end > MAX_FIRST_LINE_BYTES) {
      throw new UsageError(`${flag} ${path}: the first line is over ${MAX_FIRST_LINE_BYTES} bytes, not a passphrase`)
    }
    if (end === 0) {
      throw new UsageError(`${flag} ${path}: the first line is empty`)
    }

    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, end))
    } catch (err) {
      throw new UsageError(`${flag} ${path}: the first line is not UTF-8 text`, { cause: err })
    }
  } finally {
    buffer.fill(0)
    closeSync(fd)
  }
}

/**
 * The passphrase from SECURECHAT_PASSPHRASE (empty counts as unset) or from
 * `--passphrase-file` (the parsed value `file`); both given is a UsageError.
 */
export function passphraseFromSources (file: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const fromEnv = env.SECURECHAT_PASSPHRASE
  const hasEnv = fromEnv != null && fromEnv !== ''

  if (file != null && hasEnv) {
    throw new UsageError(`give the passphrase either in SECURECHAT_PASSPHRASE or with ${FLAG}, not both`)
  }
  if (file != null) {
    if (file === '') {
      throw new UsageError(`${FLAG} must not be empty`)
    }
    return readPassphraseFile(file)
  }
  return hasEnv ? fromEnv : undefined
}
