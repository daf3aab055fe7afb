/**
 * The handles of an open store and what every module touching them shares.
 * One LevelDB at `<dataDir>/db`, one sublevel per namespace:
 *
 *   identity  'self'                   -> sealed protobuf private key
 *   peers     <peerId>                 -> sealed JSON StoredPeer
 *   history   <peer>!<time>!<seq>!<id> -> sealed JSON ChatMessage
 *   index     <peer>!<id>              -> sealed history key (dedup, lookups)
 *   outbox    <history key>            -> sealed empty value: outgoing, not yet delivered
 *   requests  <history key>            -> sealed byte count: an incoming message request (quarantine)
 *   meta      'clock'                  -> sealed last (time, seq)
 *             'keycheck'               -> sealed constant: proves the key file matches
 *
 * Every value is sealed by at-rest.ts under the data key from keyfile.ts.
 */
import type { KeyObject } from 'node:crypto'
import { CorruptRecordError } from './errors.ts'
import type { Level } from 'level'

export type Db = Level<string, Uint8Array>

/** A namespace of the database: utf8 keys, raw (sealed) values */
export function openSublevel (db: Db, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
}

export type Sublevel = ReturnType<typeof openSublevel>

export interface Handles {
  db: Db
  identity: Sublevel
  peers: Sublevel
  history: Sublevel
  index: Sublevel
  meta: Sublevel
  outbox: Sublevel
  requests: Sublevel
  dataKey: KeyObject
}

/** Where a scan reports a record it skipped */
export type ReportCorrupt = (err: CorruptRecordError) => void

/** A put through the root database, so that `sync` reaches LevelDB (sublevel typings do not carry it) */
export async function putSynced (db: Db, sublevel: Sublevel, key: string, value: Uint8Array): Promise<void> {
  await db.batch([{ type: 'put', sublevel, key, value }], { sync: true })
}

/** `err`, a failure to read record `sublevel/key`, as CorruptRecordError (with it as cause) */
export function asCorrupt (err: unknown, sublevel: string, key: string): CorruptRecordError {
  if (err instanceof CorruptRecordError) {
    return err
  }
  return new CorruptRecordError(sublevel, key, undefined, { cause: err })
}
