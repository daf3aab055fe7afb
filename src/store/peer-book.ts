/**
 * The peer book: one sealed StoredPeer per peer, under the keyed hash of its
 * id. A record that fails to open or does not match its key is corrupt; the peer book is a cache, so
 * an upsert replaces such a record (after reporting it) instead of failing.
 */
import { openValue, sealValue } from './at-rest.ts'
import { SUBLEVEL_PEERS } from './constants.ts'
import { CorruptRecordError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { decodePeer, encodePeer } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { PeerUpdate, StoredPeer } from './index.ts'

function decodePeerRecord (handles: Handles, key: string, sealed: Uint8Array): StoredPeer {
  const peer = decodePeer(openValue(handles.dataKey, SUBLEVEL_PEERS, key, sealed))
  if (handles.names.peer(peer.peerId) !== key) {
    throw new Error('stored peer does not match its key')
  }
  return peer
}

/** The entry for `peerId`; undefined if there is none, CorruptRecordError if it cannot be read */
export async function readPeer (handles: Handles, peerId: string): Promise<StoredPeer | undefined> {
  const key = handles.names.peer(peerId)
  const sealed: Uint8Array | undefined = await handles.peers.get(key)
  if (sealed === undefined) {
    return undefined
  }
  try {
    return decodePeerRecord(handles, key, sealed)
  } catch (err) {
    throw asCorrupt(err, SUBLEVEL_PEERS, key)
  }
}

/** The whole peer book by peer id, without the entries that cannot be read */
export async function scanPeers (handles: Handles, options: { signal?: AbortSignal }, report: ReportCorrupt): Promise<StoredPeer[]> {
  const peers: StoredPeer[] = []
  for await (const [key, sealed] of handles.peers.iterator({ signal: options.signal })) {
    try {
      peers.push(decodePeerRecord(handles, key, sealed))
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_PEERS, key))
    }
  }
  // keys are hashes: sorted here, so the order does not depend on the names key
  return peers.sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
}

/**
 * Merges `update`, seen at `seen`, into the stored entry: `name` and `addrs`
 * replace the stored ones when given, `firstSeen` stays, `lastSeen` only
 * moves forward. Returns the entry as written. Run it inside the write queue.
 */
export async function upsertPeer (handles: Handles, update: PeerUpdate, seen: number, report: ReportCorrupt): Promise<StoredPeer> {
  let existing: StoredPeer | undefined
  try {
    existing = await readPeer(handles, update.peerId)
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) {
      throw err
    }
    report(err)
  }
  const peer: StoredPeer = {
    peerId: update.peerId,
    addrs: [...(update.addrs ?? existing?.addrs ?? [])],
    firstSeen: existing?.firstSeen ?? seen,
    lastSeen: Math.max(existing?.lastSeen ?? seen, seen)
  }
  const name = update.name ?? existing?.name
  if (name !== undefined) {
    peer.name = name
  }
  // null clears a relation or petname; undefined keeps the stored one
  const relation = update.relation === null ? undefined : update.relation ?? existing?.relation
  if (relation !== undefined) {
    peer.relation = relation
  }
  const petname = update.petname === null ? undefined : update.petname ?? existing?.petname
  if (petname !== undefined) {
    peer.petname = petname
  }
  if (update.verified ?? (existing?.verified === true)) {
    peer.verified = true
  }
  await writePeer(handles, peer)
  return peer
}

/** Writes `peer` as it is (validated by the caller), not synced: the peer book is a cache, restore() syncs at its end */
export async function writePeer (handles: Handles, peer: StoredPeer): Promise<void> {
  const key = handles.names.peer(peer.peerId)
  await handles.peers.put(key, sealValue(handles.dataKey, SUBLEVEL_PEERS, key, encodePeer(peer)))
}

/** Removes `peerId`'s entry (its history stays). Run it inside the write queue. */
export async function deletePeer (handles: Handles, peerId: string): Promise<void> {
  await handles.peers.del(handles.names.peer(peerId))
}
