/**
 * Backup and restore of an account: a data dir's store, records and all, to
 * one archive file (src/archive) and back into a new data dir. Loaded
 * lazily (see index.ts), so that faces which only parse arguments do not
 * load LevelDB.
 *
 * Export opens the store (so a running node's data dir is refused: its
 * LevelDB lock is held) and streams its records() into the archive, which
 * appears under its name only once whole. Import restores into a scratch
 * data dir `.<name>.import-<hex>` next to the target, created with the
 * archive's passphrase, and renames it onto the target only once the store
 * is closed: a wrong passphrase, a damaged or cut archive, an abort or a
 * crash leave the target as it was (a crash may leave the scratch dir,
 * whose name says what it is).
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ArchiveCorruptError } from '../archive/errors.ts'
import * as archive from '../archive/index.ts'
import { inspectDataDir } from '../store/data-dir.ts'
import { WrongPassphraseError } from '../store/errors.ts'
import { DataDirInUseError, createStore, isRoomConversation } from '../store/index.ts'
import { DataDirNotEmptyError, NoAccountError } from './errors.ts'
import type { ArchiveInfo, ExportInit, ExportSummary, ImportInit, ImportSummary } from './index.ts'
import type { Store, StoreRecord } from '../store/index.ts'
import type { AbortOptions } from '@libp2p/interface'

/** The scratch data dir, like every data dir the store makes */
const SCRATCH_DIR_MODE = 0o700

function assertPassphrase (passphrase: unknown): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new TypeError('an archive needs a non-empty passphrase')
  }
}

function errorCode (err: unknown): unknown {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

function peerIdOf (key: Uint8Array): string {
  return peerIdFromPrivateKey(privateKeyFromProtobuf(key)).toString()
}

interface Tally {
  /** the identity's */
  peerId?: string
  peers: number
  messages: number
  /** strangers left out past the peer book's bound */
  strangers: number
}

/** Counts the records going by, and notes the identity's peer id (export: they come from our own store) */
async function * tally (records: AsyncIterable<StoreRecord>, counts: Tally): AsyncGenerator<StoreRecord> {
  for await (const record of records) {
    if (record.type === 'identity') {
      counts.peerId = peerIdOf(record.key)
    } else if (record.type === 'peer') {
      counts.peers++
    } else if (record.type === 'message') {
      counts.messages++
    }
    yield record
  }
}

/** Strangers a node keeps in its peer book (src/presence: MAX_STRANGERS); more would only slow its start */
const MAX_RESTORED_STRANGERS = 1000
const KEY_PROBE = new TextEncoder().encode('securechat import: the identity signs')

/** The identity's peer id, if it is an Ed25519 key whose public half is its own; ArchiveCorruptError otherwise */
async function checkedIdentity (key: Uint8Array): Promise<string> {
  const privateKey = privateKeyFromProtobuf(key)
  if (privateKey.type !== 'Ed25519') {
    throw new ArchiveCorruptError(`archive holds a ${privateKey.type} identity: securechat identities are Ed25519`)
  }
  // a key whose stored public half is another key's would claim that key's peer id
  if (!await privateKey.publicKey.verify(KEY_PROBE, await privateKey.sign(KEY_PROBE))) {
    throw new ArchiveCorruptError('archive holds an identity whose public key is not its own')
  }
  return peerIdFromPrivateKey(privateKey).toString()
}

/**
 * What import lets into the store of an archive that authenticated: it may
 * still be crafted by whoever knows its passphrase (a "backup" handed to
 * the user). The identity is a real Ed25519 key of its own peer id; no
 * record is about that peer id itself; outgoing messages are from it; a
 * message still to be sent goes only to a peer the archive makes a contact
 * (or blocked: kept, not sent), since restored outboxes are delivered at
 * start without asking; strangers past the peer book's bound are left out.
 */
async function * checked (records: AsyncIterable<StoreRecord>, counts: Tally): AsyncGenerator<StoreRecord> {
  const relations = new Map<string, string>()
  let strangers = 0
  for await (const record of records) {
    if (record.type === 'identity') {
      counts.peerId = await checkedIdentity(record.key)
      yield record
      continue
    }
    const self = counts.peerId
    if (self === undefined) {
      throw new ArchiveCorruptError('archive does not begin with its identity')
    }
    if (record.type === 'peer') {
      if (record.peer.peerId === self) {
        throw new ArchiveCorruptError('archive holds a peer-book entry for its own identity')
      }
      if (record.peer.relation === undefined && ++strangers > MAX_RESTORED_STRANGERS) {
        counts.strangers++
        continue
      }
      relations.set(record.peer.peerId, record.peer.relation ?? 'stranger')
      counts.peers++
    } else if (record.type === 'message') {
      const { message } = record
      if (message.peer === self) {
        throw new ArchiveCorruptError('archive holds a conversation with its own identity')
      }
      if (message.direction === 'out' && message.from !== self) {
        throw new ArchiveCorruptError('archive holds an outgoing message from another identity')
      }
      if (message.direction === 'in' && message.from === self) {
        throw new ArchiveCorruptError('archive holds an incoming message from its own identity')
      }
      // a room message is restored without the members it waited for (the archive has no fan-out): nothing of it is sent
      const queued = message.direction === 'out' && message.status !== 'delivered' && message.status !== 'read' && !isRoomConversation(message.peer)
      const relation = relations.get(message.peer)
      if (queued && relation !== 'contact' && relation !== 'blocked') {
        throw new ArchiveCorruptError('archive holds a message to send to a peer that is not a contact')
      }
      counts.messages++
    }
    yield record
  }
}

/** Removes `path` if the process exits before `done()`: a forced exit (a second Ctrl+C) leaves no scratch dir */
function removeOnExit (path: string): () => void {
  const remove = (): void => { rmSync(path, { recursive: true, force: true }) }
  process.once('exit', remove)
  return () => { process.off('exit', remove) }
}

async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Opens `store`; a running node's lock becomes a DataDirInUseError that says what to do */
async function openStore (store: Store, dataDir: string, options: AbortOptions): Promise<void> {
  try {
    await store.open(options)
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      throw new DataDirInUseError(`data dir ${dataDir} is in use by a running securechat node: stop the node first`, { cause: err })
    }
    throw err
  }
}

export async function exportArchive (init: ExportInit, options: AbortOptions = {}): Promise<ExportSummary> {
  assertPassphrase(init.passphrase)
  await archive.checkArchiveTarget(init.file)
  const { state } = await inspectDataDir(init.dataDir, options)
  if (state === 'empty') {
    throw new NoAccountError(`no account in data dir ${init.dataDir}: nothing to export`)
  }

  // an unprotected data dir opens without one; the archive is under it all the same
  let unreadable = 0
  const store = createStore({ dataDir: init.dataDir, passphrase: state === 'protected' ? init.passphrase : undefined, logger: defaultLogger(), onCorrupt: () => { unreadable++ } })
  await openStore(store, init.dataDir, options)
  try {
    const identity = await store.getIdentity(options)
    if (identity === undefined) {
      throw new NoAccountError(`data dir ${init.dataDir} holds no identity yet: nothing to export`)
    }
    const counts: Tally = { peers: 0, messages: 0, strangers: 0 }
    const records = tally(store.records(options), counts)
    const bytes = await archive.writeArchiveFile(init.file, archive.sealArchive(records, init.passphrase, options), options)
    return { file: init.file, peerId: peerIdOf(identity), peers: counts.peers, messages: counts.messages, bytes, ...(unreadable > 0 ? { unreadable } : {}) }
  } finally {
    await store.close()
  }
}

export async function checkImportTarget (dataDir: string, options: AbortOptions = {}): Promise<void> {
  options.signal?.throwIfAborted()
  let info
  try {
    info = await lstat(dataDir)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      return
    }
    throw err
  }
  if (!info.isDirectory() || (await readdir(dataDir)).length > 0) {
    throw new DataDirNotEmptyError(`data dir ${dataDir} is not empty: an import restores into a new data dir only (choose another --data-dir)`)
  }
}

export async function inspectArchive (file: string, options: AbortOptions = {}): Promise<ArchiveInfo> {
  const { version } = await archive.readArchiveFile(file, archive.readArchiveHeader, options)
  return { version }
}

export async function checkArchivePassphrase (file: string, passphrase?: string, options: AbortOptions = {}): Promise<void> {
  if (passphrase === undefined) {
    await inspectArchive(file, options)
    throw new WrongPassphraseError('the archive is protected by a passphrase and none was given')
  }
  await archive.readArchiveFile(file, async chunks => archive.checkArchivePassphrase(chunks, passphrase, options), options)
}

export async function checkExportTarget (file: string, options: AbortOptions = {}): Promise<void> {
  options.signal?.throwIfAborted()
  await archive.checkArchiveTarget(file)
}

/** A new, empty scratch data dir next to `dataDir` (its parents created if missing); `remove` undoes all of it */
async function createScratchDir (dataDir: string): Promise<{ path: string, remove: () => Promise<void> }> {
  const parent = dirname(dataDir)
  // the first directory mkdir created, if it had to
  const created = await mkdir(parent, { recursive: true, mode: SCRATCH_DIR_MODE })
  const path = join(parent, `.${basename(dataDir)}.import-${randomBytes(6).toString('hex')}`)
  try {
    await mkdir(path, { mode: SCRATCH_DIR_MODE })
  } catch (err) {
    if (created !== undefined) {
      await rm(created, { recursive: true, force: true })
    }
    throw err
  }
  return {
    path,
    remove: async () => {
      await rm(created ?? path, { recursive: true, force: true, maxRetries: 3 })
    }
  }
}

/** rename(2) onto the target, which may be missing or an empty directory, never anything else */
async function moveIntoPlace (scratch: string, dataDir: string): Promise<void> {
  try {
    await rename(scratch, dataDir)
  } catch (err) {
    if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(errorCode(err) as string)) {
      throw new DataDirNotEmptyError(`data dir ${dataDir} is no longer empty: nothing was imported`, { cause: err })
    }
    throw err
  }
  await syncDir(dirname(dataDir))
}

export async function importArchive (init: ImportInit, options: AbortOptions = {}): Promise<ImportSummary> {
  assertPassphrase(init.passphrase)
  await checkImportTarget(init.dataDir, options)

  return archive.readArchiveFile(init.file, async chunks => {
    // the header and the passphrase are checked before anything is created
    const records = await archive.openArchive(chunks, init.passphrase, options)
    const scratch = await createScratchDir(init.dataDir)
    const keep = removeOnExit(scratch.path)
    const counts: Tally = { peers: 0, messages: 0, strangers: 0 }
    try {
      const store = createStore({ dataDir: scratch.path, passphrase: init.passphrase, logger: defaultLogger() })
      let restored
      await store.open(options)
      try {
        restored = await store.restore(checked(records, counts), options)
      } catch (err) {
        // the archive's decoder validates as the store does: a record the store still refuses is the archive's
        // fault, and so is a bound it exceeds (a real node's outbox and quarantine fit in a node)
        throw (err instanceof Error && ['TypeError', 'OutboxFullError', 'RequestQuotaError', 'StoreNotEmptyError'].includes(err.name))
          ? new ArchiveCorruptError(`archive holds a record the store refuses (${err.name})`, { cause: err })
          : err
      } finally {
        await store.close()
      }
      if (counts.peerId === undefined) {
        // openArchive never ends without the identity; never move an account without one into place
        throw new ArchiveCorruptError('archive holds no identity')
      }
      options.signal?.throwIfAborted()
      await moveIntoPlace(scratch.path, init.dataDir)
      keep()
      return { dataDir: init.dataDir, peerId: counts.peerId, peers: restored.peers, messages: restored.messages, ...(counts.strangers > 0 ? { strangersLeftOut: counts.strangers } : {}) }
    } catch (err) {
      await records.return(undefined)
      await scratch.remove()
      keep()
      throw err
    }
  }, options)
}
