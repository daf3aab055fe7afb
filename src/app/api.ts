/**
 * The application API: the one surface every face of securechat uses (the
 * REPL's text output, `--json`, the web app). Typed commands in
 * (commands.ts), typed events out (the ChatNode's events), every async call
 * cancellable with an AbortSignal. No face reaches around it into libp2p or
 * the store. Documented in docs/API.md, which a test checks against these
 * types.
 */
import type { Command, ResultOf } from './commands.ts'
import type { ChatNodeEvents } from '../types.ts'
import type { AbortOptions, TypedEventTarget } from '@libp2p/interface'

/** The events of the API, one per `--json` event line type */
export type ChatEvents = ChatNodeEvents

export type ChatEventType = keyof ChatEvents

/** Every event type, in the order docs/API.md lists them */
export const CHAT_EVENT_TYPES: readonly ChatEventType[] = ['peer', 'message', 'sent', 'delivered', 'read', 'relay', 'contact', 'room', 'offer', 'offered', 'progress', 'file', 'error']

export interface ChatApi extends TypedEventTarget<ChatEvents> {
  /** this node's peer id */
  readonly peerId: string
  /** the nickname this node announces */
  readonly name: string
  /**
   * Runs one command. Rejects with a typed error (its `name` is the code
   * faces show): InvalidCommandError, UnknownPeerError, AmbiguousPeerError,
   * InvalidPeerIdError, InvalidMultiaddrError, EmptyMessageError,
   * MessageTooLargeError, OutboxFullError, UnreachablePeerError,
   * BlockedPeerError, InvalidNameError, InvalidRoomNameError,
   * InvalidRoomKeyError, RoomLimitError, UnknownRoomError,
   * UnknownTransferError, AmbiguousTransferError, TransferLimitError,
   * NodeStoppedError, the file system's errors (sendFile: ENOENT...), or
   * the signal's reason when aborted.
   */
  execute<C extends Command>(command: C, options?: AbortOptions): Promise<ResultOf<C>>
  /** Stops the node and closes the store; resolves once everything has stopped. Idempotent. */
  stop(): Promise<void>
}
