/**
 * Opening a store's database, in this order: the key file (read and
 * unwrapped, nothing else: a wrong passphrase or a damaged key file throws
 * here and the data dir is exactly as it was, since opening LevelDB alone
 * rewrites its log and manifest); the data dir (mode 0700) and, on a new
 * one, the key file; LevelDB at `<dataDir>/db` (0700); the data key checked
 * against its keycheck record; the store format (a format-1 database is
 * migrated here, upgrade.ts). A held lock becomes
 * DataDirInUseError; on any failure the database is closed again.
 */
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR_MODE, DB_DIR_NAME, SUBLEVEL_META } from './constants.ts'
import { checkDataKey, createDataKey, keyFilePath, readDataKey } from './data-key.ts'
import { CorruptKeyFileError, DataDirInUseError } from './errors.ts'
import { createDb, handlesOf, openSublevel } from './handles.ts'
import { removeKeyFileTemps } from './keyfile-io.ts'
import { upgrade } from './upgrade.ts'
import type { DataKeyInit } from './data-key.ts'
import type { Db, Handles, ReportCorrupt } from './handles.ts'
import type { AbortOptions } from '@libp2p/interface'

function errorCode (err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code
}

/**
 * level reports a held lock as LEVEL_DATABASE_NOT_OPEN with cause
 * LEVEL_LOCKED (abstract-level's codes are API): that becomes
 * DataDirInUseError, any other failure passes through unchanged.
 */
function translateOpenError (err: unknown): unknown {
  if (errorCode(err) === 'LEVEL_LOCKED' || errorCode((err as { cause?: unknown } | undefined)?.cause) === 'LEVEL_LOCKED') {
    return new DataDirInUseError(undefined, { cause: err })
  }
  return err
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      return false
    }
    throw err
  }
}

/** Opens the database in `init.dataDir`; the caller closes `handles.db` */
export async function openHandles (init: DataKeyInit, report: ReportCorrupt, options: AbortOptions = {}): Promise<Handles> {
  let dataKey = await readDataKey(init)
  options.signal?.throwIfAborted()

  let db: Db | undefined
  try {
    await mkdir(init.dataDir, { recursive: true, mode: DATA_DIR_MODE })
    const dbPath = join(init.dataDir, DB_DIR_NAME)
    if (dataKey === undefined) {
      if (await exists(dbPath)) {
        // refused before LevelDB opens (which would rewrite its log): the data is under the lost key
        throw new CorruptKeyFileError('key file is missing but the data dir holds a database')
      }
      // a new data dir: the key file before the database, so that a crash in
      // between leaves a key file and no database, which opens next time
      dataKey = await createDataKey(init)
    }
    // LevelDB would create it 0755 under the usual umask
    await mkdir(dbPath, { recursive: true, mode: DATA_DIR_MODE })
    const openDb = async (db: Db): Promise<void> => { await db.open().catch((err: unknown) => { throw translateOpenError(err) }) }
    db = createDb(dbPath)
    await openDb(db)
    options.signal?.throwIfAborted()

    const opened = db
    await checkDataKey(db, openSublevel(db, SUBLEVEL_META), dataKey)
    // the passphrase is proven: what a killed passwd left behind can go
    await removeKeyFileTemps(keyFilePath(init.dataDir))
    options.signal?.throwIfAborted()

    const handles = await upgrade(handlesOf(opened, dataKey), dbPath, openDb, init.log, report)
    db = handles.db
    options.signal?.throwIfAborted()
    return handles
  } catch (err) {
    await db?.close().catch(() => {})
    throw err
  }
}
