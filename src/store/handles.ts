/**
 * The handles of an open store and what every module touching them shares.
 * One LevelDB at `<dataDir>/db`, one sublevel per namespace:
 *
 *   identity  'self'                -> sealed protobuf private key
 *   peers     P<hash(peer)>         -> sealed JSON StoredPeer
 *   history   C<hash(peer)>!<seq>   -> sealed JSON ChatMessage
 *   index     M<hash(peer, id)>     -> sealed history key (dedup, lookups)
 *   outbox    <history key>         -> sealed peer id: outgoing, not yet delivered
 *   requests  <history key>         -> sealed JSON {peer, bytes}: an incoming message request (quarantine)
 *   rooms     R<hash(room id)>      -> sealed JSON StoredRoom, padded by member bucket (room-record.ts)
 *   transfers T<hash(transfer id)>  -> sealed JSON StoredTransfer (transfer-record.ts)
 *   fanout    F<hash(member)>!G<hash(member, history key)> -> sealed JSON {member, key}: a room message not yet delivered to it (fanout.ts)
 *   meta      'keycheck'            -> sealed constant: proves the key file matches
 *             'format'              -> sealed store format (2)
 *
 * Every value is sealed by at-rest.ts under the data key from keyfile.ts;
 * the hashes are keys.ts's KeyNames, under a key derived from it. The
 * `rooms` and `fanout` sublevels came after store format 2 and did not change it: a
 * database without them has no keys under their prefixes and opens as it is.
 */
import type { KeyObject } from 'node:crypto'
import { Level } from 'level'
import {
  SUBLEVEL_FANOUT, SUBLEVEL_HISTORY, SUBLEVEL_IDENTITY, SUBLEVEL_INDEX, SUBLEVEL_META, SUBLEVEL_OUTBOX, SUBLEVEL_PEERS, SUBLEVEL_REQUESTS, SUBLEVEL_ROOMS, SUBLEVEL_TRANSFERS
} from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { deriveNamesKey, KeyNames } from './keys.ts'

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
  rooms: Sublevel
  fanout: Sublevel
  transfers: Sublevel
  dataKey: KeyObject
  names: KeyNames
}

/** A LevelDB at `path`, not yet opened: utf8 keys, raw values */
export function createDb (path: string): Db {
  return new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
}

/** The handles of the open database `db`, whose data key is `dataKey` */
export function handlesOf (db: Db, dataKey: KeyObject): Handles {
  return {
    db,
    identity: openSublevel(db, SUBLEVEL_IDENTITY),
    peers: openSublevel(db, SUBLEVEL_PEERS),
    history: openSublevel(db, SUBLEVEL_HISTORY),
    index: openSublevel(db, SUBLEVEL_INDEX),
    meta: openSublevel(db, SUBLEVEL_META),
    outbox: openSublevel(db, SUBLEVEL_OUTBOX),
    requests: openSublevel(db, SUBLEVEL_REQUESTS),
    rooms: openSublevel(db, SUBLEVEL_ROOMS),
    fanout: openSublevel(db, SUBLEVEL_FANOUT),
    transfers: openSublevel(db, SUBLEVEL_TRANSFERS),
    dataKey,
    names: new KeyNames(deriveNamesKey(dataKey))
  }
}

/** One operation of a batch through the root database */
export type BatchOp = { type: 'put', sublevel: Sublevel, key: string, value: Uint8Array } | { type: 'del', sublevel: Sublevel, key: string }

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
