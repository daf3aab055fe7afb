/**
 * Opening a store's database: the data dir (mode 0700), LevelDB at
 * `<dataDir>/db`, the data key checked against it, and the sublevels. A held
 * lock becomes DataDirInUseError; on any failure the database is closed
 * again.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import {
  DATA_DIR_MODE, DB_DIR_NAME, SUBLEVEL_HISTORY, SUBLEVEL_IDENTITY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_OUTBOX,
  SUBLEVEL_PEERS, SUBLEVEL_REQUESTS
} from './constants.ts'
import { loadDataKey } from './data-key.ts'
import { DataDirInUseError } from './errors.ts'
import { openSublevel } from './handles.ts'
import type { DataKeyInit } from './data-key.ts'
import type { Db, Handles } from './handles.ts'
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

/** Opens the database in `init.dataDir`; the caller closes `handles.db` */
export async function openHandles (init: DataKeyInit, options: AbortOptions = {}): Promise<Handles> {
  let db: Db | undefined
  try {
    await mkdir(init.dataDir, { recursive: true, mode: DATA_DIR_MODE })
    db = new Level<string, Uint8Array>(join(init.dataDir, DB_DIR_NAME), { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open().catch((err: unknown) => { throw translateOpenError(err) })
    options.signal?.throwIfAborted()

    const meta = openSublevel(db, SUBLEVEL_META)
    const dataKey = await loadDataKey(db, meta, init)
    options.signal?.throwIfAborted()

    return {
      db,
      identity: openSublevel(db, SUBLEVEL_IDENTITY),
      peers: openSublevel(db, SUBLEVEL_PEERS),
      history: openSublevel(db, SUBLEVEL_HISTORY),
      index: openSublevel(db, SUBLEVEL_INDEX),
      meta,
      outbox: openSublevel(db, SUBLEVEL_OUTBOX),
      requests: openSublevel(db, SUBLEVEL_REQUESTS),
      dataKey
    }
  } catch (err) {
    await db?.close().catch(() => {})
    throw err
  }
}
