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
export { AmbiguousPeerError, DataDirNotEmptyError, InvalidCommandError, UnknownPeerError } from './errors.ts'
export { canonicalPeerId, describePeer, shortId } from './resolve.ts'
export type { PeerLike } from './resolve.ts'
export { formatSafetyNumber, scannableSafetyPayload } from '../contacts/safety-number.ts'
export { peerAddrProblem } from './address.ts'
export { validateText } from '../protocol/text.ts'
export { nicknameProblem } from '../protocol/nickname.ts'
export { MAX_NICKNAME_BYTES, MAX_TEXT_BYTES } from '../protocol/constants.ts'
export { checkPassphrase, inspectDataDir } from '../store/data-dir.ts'
export type { DataDirInfo, DataDirState } from '../store/data-dir.ts'
export { changePassphrase } from '../store/passwd.ts'
export type { ChatMessage, ConnectionKind, ContactView, Direction, MessageStatus, PeerRelation, PeerStatus, PeerView, RelayView, RequestView, SafetyView } from '../types.ts'

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
