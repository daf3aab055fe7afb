/**
 * The data key: read from the key file before the database is opened (so a
 * wrong passphrase or a damaged file changes nothing in the data dir),
 * created with it on first open, and checked against the database's keycheck
 * record, so a key file from another data dir, or a lost one, is never
 * silently replaced by a fresh key.
 */
import { createSecretKey, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { openValue, sealValue } from './at-rest.ts'
import { DATA_KEY_LENGTH, KEY_FILE_NAME, META_KEY_CHECK, SUBLEVEL_META } from './constants.ts'
import { CorruptKeyFileError, DataDirInUseError } from './errors.ts'
import { putSynced } from './handles.ts'
import { decodeKeyFile, encodeKeyFile } from './keyfile.ts'
import { createKeyFile, readKeyFile } from './keyfile-io.ts'
import { decodeText, encodeText } from './records.ts'
import type { Db, Sublevel } from './handles.ts'
import type { Logger } from '@libp2p/interface'

/** Plaintext of the meta/keycheck record */
const KEY_CHECK = 'securechat-store-v1'

export interface DataKeyInit {
  dataDir: string
  passphrase: string | undefined
  log: Logger
}

export function keyFilePath (dataDir: string): string {
  return join(dataDir, KEY_FILE_NAME)
}

/**
 * The data key of the key file, or undefined if there is none. Only reads:
 * throws WrongPassphraseError or CorruptKeyFileError with the data dir as
 * it was.
 */
export async function readDataKey (init: DataKeyInit): Promise<KeyObject | undefined> {
  const keyPath = keyFilePath(init.dataDir)
  const file = await readKeyFile(keyPath)
  if (file === undefined) {
    return undefined
  }
  if ((file.mode & 0o077) !== 0) {
    // faces warn about it before they start (inspectDataDir's looseModes)
    init.log.error('key file %s is accessible to group or others (mode %s)', keyPath, file.mode.toString(8))
  }
  // the file's bytes hold the raw key when there is no passphrase
  const raw = await decodeKeyFile(file.bytes, init.passphrase).finally(() => file.bytes.fill(0))
  try {
    return createSecretKey(raw)
  } finally {
    raw.fill(0)
  }
}

/**
 * A fresh data key in a new key file (wrapped under the passphrase, if one
 * is given). DataDirInUseError if a key file appeared meanwhile: another
 * store (in this process or another) is setting up the same data dir.
 */
export async function createDataKey (init: DataKeyInit): Promise<KeyObject> {
  const raw = randomBytes(DATA_KEY_LENGTH)
  try {
    const keyPath = keyFilePath(init.dataDir)
    try {
      await createKeyFile(keyPath, await encodeKeyFile(raw, init.passphrase))
    } catch (err) {
      // EEXIST from link(2); or ENOENT when the other process's store,
      // opened meanwhile, removed our temp file as a leftover
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' || await readKeyFile(keyPath).catch(() => undefined) !== undefined) {
        throw new DataDirInUseError('another securechat process is setting up this data dir', { cause: err })
      }
      throw err
    }
    init.log('created key file (%s)', init.passphrase === undefined ? 'unprotected' : 'passphrase-protected')
    return createSecretKey(raw)
  } finally {
    raw.fill(0)
  }
}

/**
 * Checks `dataKey` against the keycheck record of the database `db` (whose
 * meta sublevel is `meta`), writing the record on first open, and returns
 * it: CorruptKeyFileError if the key is not this database's.
 */
export async function checkDataKey (db: Db, meta: Sublevel, dataKey: KeyObject): Promise<KeyObject> {
  const check: Uint8Array | undefined = await meta.get(META_KEY_CHECK)

  if (check === undefined) {
    await putSynced(db, meta, META_KEY_CHECK, sealValue(dataKey, SUBLEVEL_META, META_KEY_CHECK, encodeText(KEY_CHECK)))
  } else {
    let matches = false
    try {
      matches = decodeText(openValue(dataKey, SUBLEVEL_META, META_KEY_CHECK, check)) === KEY_CHECK
    } catch {
      // a failed decryption is the mismatch reported below
    }
    if (!matches) {
      throw new CorruptKeyFileError('key file does not match the database')
    }
  }
  return dataKey
}
