/**
 * Changing the passphrase of a data dir: the same data key, unwrapped with
 * the old passphrase and wrapped under the new one (or stored raw, with
 * none); no record is re-encrypted. The key file is replaced by
 * keyfile-io.ts's replaceKeyFile (temp file 0600, fsync, rename, fsync of
 * the directory), so a crash at any point leaves the old passphrase or the
 * new one working, never neither: the old file stays whole until the rename.
 *
 * On a data dir in use by a running node, passwd is allowed, on purpose.
 * The data key does not change, the running store holds it in memory and
 * never reads the key file again, and the file is replaced by rename(2), so
 * a node starting meanwhile reads the old file or the new one, whole; the
 * running node goes on undisturbed and its next start takes the new
 * passphrase. Refusing would also need a lock that level cannot test
 * without opening the database (which rewrites its files, and would fail
 * against the running node anyway), or a lock file of our own, which a
 * SIGKILL leaves behind to block every later passwd until removed by hand.
 * Two passwd at once on one data dir: each checks the old passphrase
 * against the file it read and renames its own file in, the last rename
 * wins and the key file opens with that one's new passphrase. A store
 * opening meanwhile may remove a passwd's temp file: that passwd then fails
 * and the old passphrase stays.
 */
import { assertOptionalPassphrase } from './data-dir.ts'
import { keyFilePath } from './data-key.ts'
import { CorruptKeyFileError } from './errors.ts'
import { DEFAULT_SCRYPT_PARAMS, decodeKeyFile, encodeKeyFile } from './keyfile.ts'
import { readKeyFile, removeKeyFileTemps, replaceKeyFile } from './keyfile-io.ts'
import type { KeyFileStep } from './keyfile-io.ts'
import type { ScryptParams } from './keyfile.ts'
import type { AbortOptions } from '@libp2p/interface'

export interface RewrapOptions extends AbortOptions {
  /** called after each step of the replacement (the crash test kills the process there) */
  afterStep?: (step: KeyFileStep) => void
  /** scrypt cost of the new wrapping; default DEFAULT_SCRYPT_PARAMS */
  params?: ScryptParams
}

/**
 * Re-wraps the data key of `dataDir` under `newPassphrase` (none: the key
 * file holds the key itself). WrongPassphraseError if `oldPassphrase` (none
 * for an unprotected data dir) does not open the key file, and
 * CorruptKeyFileError if there is none or it is damaged: both before
 * anything is written. The signal is honoured until the new file is about
 * to be renamed in, not after.
 */
export async function changePassphrase (dataDir: string, oldPassphrase: string | undefined, newPassphrase: string | undefined, options: AbortOptions = {}): Promise<void> {
  await rewrapKeyFile(dataDir, oldPassphrase, newPassphrase, options)
}

/** changePassphrase, with the hooks the tests use */
export async function rewrapKeyFile (dataDir: string, oldPassphrase: string | undefined, newPassphrase: string | undefined, options: RewrapOptions = {}): Promise<void> {
  assertOptionalPassphrase(oldPassphrase, 'old passphrase')
  assertOptionalPassphrase(newPassphrase, 'new passphrase')
  options.signal?.throwIfAborted()
  const keyPath = keyFilePath(dataDir)
  const file = await readKeyFile(keyPath)
  if (file === undefined) {
    throw new CorruptKeyFileError('there is no key file in the data dir')
  }
  const raw = await decodeKeyFile(file.bytes, oldPassphrase)
  let bytes: Uint8Array
  try {
    bytes = await encodeKeyFile(raw, newPassphrase, options.params ?? DEFAULT_SCRYPT_PARAMS)
  } finally {
    raw.fill(0)
  }
  try {
    options.signal?.throwIfAborted()
    // the old passphrase is proven: what an earlier killed passwd left can go
    await removeKeyFileTemps(keyPath)
    await replaceKeyFile(keyPath, bytes, options.afterStep)
  } finally {
    bytes.fill(0)
  }
}
