/**
 * The store format of a database, checked at every open: format 2 is used
 * as it is; a database without a format record is new (the record is
 * written) or of format 1, migrated; any other format was written by a newer
 * securechat and is refused with StoreFormatError, changing nothing.
 *
 * A migration writes a new database next to the old one (`db.migrating`,
 * migrate-v1.ts) while the old one is open (so its lock keeps other
 * processes out), then swaps them: `db` -> `db.old`, `db.migrating` -> `db`,
 * and removes `db.old`. A crash at any point leaves a state that
 * recoverSwap() and the next open finish: before the first rename the old
 * database is still `db` (the half-written new one is removed and the
 * migration runs again); after it, the new one is complete and only needs
 * its name.
 */
import { mkdir, rename, rm } from 'node:fs/promises'
import { openValue, sealValue } from './at-rest.ts'
import { DATA_DIR_MODE, META_FORMAT_KEY, STORE_FORMAT, SUBLEVEL_META } from './constants.ts'
import { StoreFormatError } from './errors.ts'
import { createDb, handlesOf, putSynced } from './handles.ts'
import { copyV1, hasV1Records } from './migrate-v1.ts'
import { decodeText, encodeText } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { Logger } from '@libp2p/interface'

const MIGRATING_SUFFIX = '.migrating'
const OLD_SUFFIX = '.old'

function errorCode (err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code
}

/**
 * Before `dbPath` is opened: a migration killed between its two renames left
 * no `db` but a complete `db.migrating`, which becomes `db`.
 */
export async function recoverSwap (dbPath: string): Promise<void> {
  try {
    await rename(dbPath + MIGRATING_SUFFIX, dbPath)
  } catch (err) {
    // ENOENT: no migration was under way; ENOTEMPTY/EEXIST: `db` is there, and the open that holds its lock clears up
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(err) as string)) {
      throw err
    }
  }
}

/** With `dbPath` open (its lock held): what a killed migration left behind */
async function removeLeftovers (dbPath: string): Promise<void> {
  await rm(dbPath + MIGRATING_SUFFIX, { recursive: true, force: true })
  await rm(dbPath + OLD_SUFFIX, { recursive: true, force: true })
}

/**
 * Checks the format of the open database `handles` (at `dbPath`), migrating
 * it if needed, and resolves with the handles to use: the same, or those of
 * the migrated database (the old ones are then closed).
 */
export async function upgrade (handles: Handles, dbPath: string, log: Logger, report: ReportCorrupt): Promise<Handles> {
  await removeLeftovers(dbPath)
  const sealed: Uint8Array | undefined = await handles.meta.get(META_FORMAT_KEY)
  if (sealed !== undefined) {
    // the keycheck passed, so a record that fails to open here is corrupt (CorruptRecordError)
    const format = decodeText(openValue(handles.dataKey, SUBLEVEL_META, META_FORMAT_KEY, sealed))
    if (format !== String(STORE_FORMAT)) {
      throw new StoreFormatError(`data dir is in store format ${JSON.stringify(format).slice(0, 24)}; this securechat reads format ${STORE_FORMAT} (and migrates format 1)`)
    }
    return handles
  }
  if (!await hasV1Records(handles)) {
    await putSynced(handles.db, handles.meta, META_FORMAT_KEY, sealValue(handles.dataKey, SUBLEVEL_META, META_FORMAT_KEY, encodeText(String(STORE_FORMAT))))
    return handles
  }

  const migrating = dbPath + MIGRATING_SUFFIX
  await mkdir(migrating, { mode: DATA_DIR_MODE })
  const target = createDb(migrating)
  try {
    await target.open()
    const summary = await copyV1(handles, handlesOf(target, handles.dataKey), report)
    log('migrated store format 1 to %d: %d peers, %d messages, %d unreadable records left out', STORE_FORMAT, summary.peers, summary.messages, summary.dropped)
  } finally {
    await target.close()
  }
  await handles.db.close()
  await rename(dbPath, dbPath + OLD_SUFFIX)
  await rename(migrating, dbPath)
  const db = createDb(dbPath)
  await db.open()
  await rm(dbPath + OLD_SUFFIX, { recursive: true, force: true })
  return handlesOf(db, handles.dataKey)
}
