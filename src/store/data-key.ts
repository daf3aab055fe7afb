/**
 * The data key: read from the key file (or created with it on first open)
 * and checked against the database's keycheck record, so a key file from
 * another data dir, or a lost one, is never silently replaced by a fresh key.
 */
import { createSecretKey, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { openValue, sealValue } from './at-rest.ts'
import { DATA_KEY_LENGTH, KEY_FILE_NAME, META_KEY_CHECK, SUBLEVEL_META } from './constants.ts'
import { CorruptKeyFileError } from './errors.ts'
import { putSynced } from './handles.ts'
import { decodeKeyFile, encodeKeyFile, readKeyFile, writeKeyFile } from './keyfile.ts'
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

/**
 * The data key of the database `db` (whose meta sublevel is `meta`);
 * throws CorruptKeyFileError if the key file is missing or does not match.
 */
export async function loadDataKey (db: Db, meta: Sublevel, init: DataKeyInit): Promise<KeyObject> {
  const keyPath = join(init.dataDir, KEY_FILE_NAME)
  const check: Uint8Array | undefined = await meta.get(META_KEY_CHECK)
  const file = await readKeyFile(keyPath)

  let raw: Uint8Array
  if (file === undefined) {
    if (check !== undefined) {
      throw new CorruptKeyFileError('key file is missing but the database holds encrypted data')
    }
    raw = randomBytes(DATA_KEY_LENGTH)
    await writeKeyFile(keyPath, await encodeKeyFile(raw, init.passphrase))
    init.log('created key file (%s)', init.passphrase === undefined ? 'unprotected' : 'passphrase-protected')
  } else {
    if ((file.mode & 0o077) !== 0) {
      init.log.error('key file %s is accessible to group or others (mode %s)', keyPath, file.mode.toString(8))
    }
    raw = await decodeKeyFile(file.bytes, init.passphrase)
  }
  const dataKey = createSecretKey(raw)
  raw.fill(0)

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
