/**
 * The application API, the one import of every face (REPL, `--json`, web).
 * See api.ts and docs/API.md.
 */
import { chatApp } from './app.ts'
import type { ChatApi } from './api.ts'
import type { ChatNodeInit } from '../node/index.ts'
import type { AbortOptions } from '@libp2p/interface'

export { chatApp } from './app.ts'
export { CHAT_EVENT_TYPES } from './api.ts'
export type { ChatApi, ChatEvents, ChatEventType } from './api.ts'
export { COMMAND_TYPES } from './commands.ts'
export type { Command, CommandResults, CommandType, ResultOf, WhoamiInfo } from './commands.ts'
export { AmbiguousPeerError, AmbiguousTransferError, DataDirNotEmptyError, InvalidCommandError, NoAccountError, UnknownPeerError, UnknownTransferError } from './errors.ts'
export { MIN_TRANSFER_PREFIX } from './transfers.ts'
export { ArchiveCorruptError, ArchiveExistsError, ArchiveTruncatedError, UnsupportedArchiveError } from '../archive/errors.ts'
export { canonicalPeerId, describePeer, shortId } from './resolve.ts'
export type { PeerLike } from './resolve.ts'
export { formatSafetyNumber, scannableSafetyPayload } from '../contacts/safety-number.ts'
export { peerAddrProblem } from './address.ts'
export { validateText } from '../protocol/text.ts'
export { nicknameProblem } from '../protocol/nickname.ts'
export { MAX_NICKNAME_BYTES, MAX_TEXT_BYTES } from '../protocol/constants.ts'
export { MAX_ROOM_KEY_BYTES, MAX_ROOM_NAME_BYTES, roomKeyProblem, roomNameProblem } from '../rooms/room-keys.ts'
export { InvalidRoomKeyError, InvalidRoomNameError, UnknownRoomError } from '../rooms/errors.ts'
export { RoomLimitError, TransferLimitError } from '../store/errors.ts'
export { checkPassphrase, inspectDataDir } from '../store/data-dir.ts'
export type { DataDirInfo, DataDirState } from '../store/data-dir.ts'
export { changePassphrase } from '../store/passwd.ts'
export { MIN_SCORE, describeStrength, estimateStrength } from './strength.ts'
export type { Score, Strength } from './strength.ts'
export type { ChatMessage, ConnectionKind, ContactView, Direction, MessageStatus, PeerRelation, PeerStatus, PeerView, RelayView, RequestView, RoomEvent, RoomMemberView, RoomMessage, RoomPost, RoomView, SafetyView, TransferView } from '../types.ts'

export type AppInit = ChatNodeInit

/**
 * Opens the data dir, starts a node and returns its API. Rejects with a
 * typed error (DataDirInUseError, WrongPassphraseError, CorruptKeyFileError,
 * InvalidMultiaddrError, ...) and leaves nothing running.
 */
export async function startApp (init: AppInit, options: AbortOptions = {}): Promise<ChatApi> {
  // loaded here, not at the top, so that faces that only parse arguments or
  // print help do not load the whole network stack
  const { createChatNode } = await import('../node/index.ts')
  return chatApp(await createChatNode(init, options))
}

/** A new account: where, and its passphrase (none: the key file holds the data key itself) */
export interface AccountInit {
  dataDir: string
  passphrase?: string
}

export interface CreatedAccount {
  /** the new identity's peer id */
  peerId: string
}

/**
 * Registration: creates the identity in `init.dataDir`, which must be empty
 * (see inspectDataDir; created with mode 0700 if missing), with the key file
 * wrapped under `init.passphrase` if one is given; opens nothing on the
 * network. Rejects with DataDirNotEmptyError if the data dir already holds
 * an account, DataDirInUseError, or the store's errors.
 */
export async function createAccount (init: AccountInit, options: AbortOptions = {}): Promise<CreatedAccount> {
  // loaded here, not at the top, like the node in startApp: LevelDB stays unloaded for --help
  return (await import('./account.ts')).createAccount(init, options)
}

/** An export: the account in `dataDir` to a new archive `file`, under `passphrase` */
export interface ExportInit {
  dataDir: string
  /** must not exist; its directory must */
  file: string
  /** the data dir's passphrase when it has one; for an unprotected data dir, the archive's own */
  passphrase: string
}

export interface ExportSummary {
  file: string
  /** the account's peer id */
  peerId: string
  /** peer-book entries and messages archived */
  peers: number
  messages: number
  /** the archive's size */
  bytes: number
  /** records the store could not read (failed authentication: damaged on disk), left out of the archive */
  unreadable?: number
}

/** An import: the archive `file` into the new data dir `dataDir`, which the passphrase then protects */
export interface ImportInit {
  file: string
  /** must not exist or be an empty directory */
  dataDir: string
  passphrase: string
}

export interface ImportSummary {
  dataDir: string
  /** the restored account's peer id, the exported one's */
  peerId: string
  /** peer-book entries and messages restored */
  peers: number
  messages: number
  /** strangers left out: more than a node keeps in its peer book (1,000) */
  strangersLeftOut?: number
}

/** What an archive's header says, read without the passphrase */
export interface ArchiveInfo {
  /** the archive format version */
  version: number
}

/**
 * Backup: writes everything the account in `init.dataDir` holds (identity,
 * peer book with petnames and marks, history, outbox, held message
 * requests) to the new file `init.file`, encrypted and authenticated under
 * `init.passphrase`; opens nothing on the network. The file appears only
 * once whole (temp file 0600, fsync, link, fsync of the directory).
 * Rejects with ArchiveExistsError (before anything else), NoAccountError,
 * WrongPassphraseError, DataDirInUseError (a node runs on the data dir:
 * stop it first), CorruptKeyFileError, AbortError; on any failure no file
 * is left.
 */
export async function exportArchive (init: ExportInit, options: AbortOptions = {}): Promise<ExportSummary> {
  // loaded here, not at the top, like createAccount: LevelDB and libp2p stay unloaded for --help
  return (await import('./backup.ts')).exportArchive(init, options)
}

/**
 * Restore: the archive `init.file` into the new data dir `init.dataDir`,
 * protected by `init.passphrase` (the archive's): the same peer id,
 * contacts, history, outbox and held requests. Rejects with
 * DataDirNotEmptyError (before reading the archive), UnsupportedArchiveError,
 * WrongPassphraseError (both before writing anything), ArchiveCorruptError,
 * ArchiveTruncatedError, AbortError; on any failure nothing is left, the
 * target as it was.
 */
export async function importArchive (init: ImportInit, options: AbortOptions = {}): Promise<ImportSummary> {
  return (await import('./backup.ts')).importArchive(init, options)
}

/** Resolves if an export can write `file`: nothing is there (ArchiveExistsError otherwise) and its directory exists (the file system's ENOENT otherwise). Only reads */
export async function checkExportTarget (file: string, options: AbortOptions = {}): Promise<void> {
  return (await import('./backup.ts')).checkExportTarget(file, options)
}

/** Resolves if `dataDir` can take an import: missing, or an empty directory; DataDirNotEmptyError otherwise. Only reads */
export async function checkImportTarget (dataDir: string, options: AbortOptions = {}): Promise<void> {
  return (await import('./backup.ts')).checkImportTarget(dataDir, options)
}

/** Reads an archive's header: UnsupportedArchiveError, ArchiveTruncatedError or ArchiveCorruptError when it is not a readable archive. Needs no passphrase */
export async function inspectArchive (file: string, options: AbortOptions = {}): Promise<ArchiveInfo> {
  return (await import('./backup.ts')).inspectArchive(file, options)
}

/**
 * Resolves if `passphrase` opens the archive `file`: inspectArchive's
 * errors, then WrongPassphraseError (also for none: every archive has one).
 * Only reads its header, and runs scrypt, so a prompt can retry freely.
 */
export async function checkArchivePassphrase (file: string, passphrase?: string, options: AbortOptions = {}): Promise<void> {
  return (await import('./backup.ts')).checkArchivePassphrase(file, passphrase, options)
}
