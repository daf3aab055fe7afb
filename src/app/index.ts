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
export { AmbiguousPeerError, InvalidCommandError, UnknownPeerError } from './errors.ts'
export { canonicalPeerId, describePeer, shortId } from './resolve.ts'
export type { PeerLike } from './resolve.ts'
export { formatSafetyNumber, scannableSafetyPayload } from '../contacts/safety-number.ts'
export { peerAddrProblem } from './address.ts'
export { validateText } from '../protocol/text.ts'
export { nicknameProblem } from '../protocol/nickname.ts'
export { MAX_NICKNAME_BYTES, MAX_TEXT_BYTES } from '../protocol/constants.ts'
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
