/**
 * The store format of a database, checked at every open: format 2 is used
 * as it is; a database without a format record is new (the record is
 * written) or of format 1, migrated in place (migrate-v1.ts); any other
 * format was written by a newer securechat and is refused with
 * StoreFormatError, changing nothing.
 *
 * After a migration, the files still hold format-1 keys: as deleted
 * entries until compaction, as file key ranges in the manifest, and in the
 * info log (`LOG`, `LOG.old`), which names the keys a manual compaction
 * stops at. The scrub, run while the scrub mark is set (so a kill redoes
 * it): compact everything, close, delete the info logs, reopen (LevelDB
 * writes a new manifest of the files there are now), clear the mark. In
 * the moment between close and reopen the database is a whole format-2
 * one: another process may take it, and then this open fails with
 * DataDirInUseError.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openValue, sealValue } from './at-rest.ts'
import { META_FORMAT_KEY, META_SCRUB_KEY, STORE_FORMAT, SUBLEVEL_META } from './constants.ts'
import { StoreFormatError } from './errors.ts'
import { createDb, handlesOf, putSynced } from './handles.ts'
import { hasV1Records, migrateV1 } from './migrate-v1.ts'
import { decodeText, encodeText } from './records.ts'
import type { Db, Handles, ReportCorrupt } from './handles.ts'
import type { Logger } from '@libp2p/interface'

/** level's type covers the browser too; on Node it is classic-level, which compacts */
interface Compactable {
  compactRange(start: string, end: string): Promise<void>
}

/** LevelDB's info logs: they name keys, and LevelDB starts a new one at open */
const INFO_LOGS = ['LOG', 'LOG.old']

/**
 * Checks the format of the open database `handles` (at `dbPath`),
 * migrating it if needed, and resolves with the handles to use: the same,
 * or (after a scrub) those of the reopened database. `open` opens a
 * database at `dbPath` the way the first open did (its errors translated).
 */
export async function upgrade (handles: Handles, dbPath: string, open: (db: Db) => Promise<void>, log: Logger, report: ReportCorrupt): Promise<Handles> {
  const sealed: Uint8Array | undefined = await handles.meta.get(META_FORMAT_KEY)
  if (sealed !== undefined) {
    // the keycheck passed, so a record that fails to open here is corrupt (CorruptRecordError)
    const format = decodeText(openValue(handles.dataKey, SUBLEVEL_META, META_FORMAT_KEY, sealed))
    if (format !== String(STORE_FORMAT)) {
      throw new StoreFormatError(`data dir is in store format ${JSON.stringify(format).slice(0, 24)}; this securechat reads format ${STORE_FORMAT} (and migrates format 1)`)
    }
  } else if (await hasV1Records(handles)) {
    const summary = await migrateV1(handles, report)
    log('migrated store format 1 to %d: %d peers, %d messages, %d unreadable records deleted', STORE_FORMAT, summary.peers, summary.messages, summary.dropped)
  } else {
    await putSynced(handles.db, handles.meta, META_FORMAT_KEY, sealValue(handles.dataKey, SUBLEVEL_META, META_FORMAT_KEY, encodeText(String(STORE_FORMAT))))
    return handles
  }

  if (await handles.meta.get(META_SCRUB_KEY) === undefined) {
    return handles
  }
  // every key is ASCII below 0x7f (sublevel prefixes start with '!'): this range is the whole database
  await (handles.db as unknown as Compactable).compactRange('\u0000', '\u007f')
  await handles.db.close()
  await Promise.all(INFO_LOGS.map(async name => rm(join(dbPath, name), { force: true })))
  const db = createDb(dbPath)
  await open(db)
  const reopened = handlesOf(db, handles.dataKey)
  await reopened.db.batch([{ type: 'del', sublevel: reopened.meta, key: META_SCRUB_KEY }], { sync: true })
  return reopened
}
