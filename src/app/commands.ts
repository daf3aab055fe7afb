/**
 * The commands of the application API: what a face (the REPL, `--json`, the
 * web app) may ask of a node, and what each one answers. Plain data, so a
 * face can build them from typed text or receive them as JSON.
 *
 * `peer` fields take what a user typed: a full peer id, a nickname or a
 * unique peer id prefix (resolve.ts); results always carry full peer ids.
 */
import type { ChatMessage, PeerView, RelayView } from '../types.ts'

export type Command =
  /** store a message durably as `pending` and queue it for delivery */
  | { type: 'send', peer: string, text: string }
  /** the last `limit` messages with a peer, oldest first (default 50) */
  | { type: 'history', peer: string, limit?: number }
  /** every known peer */
  | { type: 'peers' }
  /** dial a multiaddr that ends in /p2p/<peer id> */
  | { type: 'connect', multiaddr: string }
  /** this node: peer id, nickname, listen addresses, relays */
  | { type: 'whoami' }
  /** the user has seen these messages from `peer`: send a read receipt (if enabled; best effort) */
  | { type: 'markRead', peer: string, ids: string[] }
  /** the full peer id a `<peer>` argument stands for */
  | { type: 'resolve', peer: string }

export type CommandType = Command['type']

/** This node, as `whoami` answers */
export interface WhoamiInfo {
  peerId: string
  name: string
  /** listen addresses, each ending in /p2p/<peerId> */
  addrs: string[]
  relays: RelayView[]
}

/** What each command resolves with, by command type */
export interface CommandResults {
  send: ChatMessage
  history: { peer: string, messages: ChatMessage[] }
  peers: PeerView[]
  connect: { peerId: string }
  whoami: WhoamiInfo
  markRead: { peer: string, ids: string[] }
  resolve: { peerId: string }
}

export type ResultOf<C extends Command> = CommandResults[C['type']]

/** Every command type, in the order docs/API.md lists them */
export const COMMAND_TYPES: readonly CommandType[] = ['send', 'history', 'peers', 'connect', 'whoami', 'markRead', 'resolve']
