/**
 * The commands of the application API: what a face (the REPL, `--json`, the
 * web app) may ask of a node, and what each one answers. Plain data, so a
 * face can build them from typed text or receive them as JSON.
 *
 * `peer` fields take what a user typed: a full peer id, a nickname or a
 * unique peer id prefix (resolve.ts); results always carry full peer ids.
 * `room` fields take a joined room's name (in any case, with or without a
 * leading `#`) or its id; results carry the name as joined.
 * `id` fields of the file commands take a transfer id or a unique start of
 * one, at least 4 characters (transfers.ts); results carry full ids.
 */
import type { ResolvedBy } from './resolve.ts'
import type { ChatMessage, ContactView, PeerView, RelayView, RequestView, RoomMessage, RoomPost, RoomView, SafetyView, TransferView } from '../types.ts'

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
  /** peers whose messages are held as requests (they are not contacts) */
  | { type: 'requests' }
  /** accept a peer's message request: it becomes a contact, its held messages ordinary history */
  | { type: 'accept', peer: string }
  /** drop a peer's held messages; it stays a stranger */
  | { type: 'decline', peer: string }
  /** refuse a peer's connections and store nothing from it */
  | { type: 'block', peer: string }
  | { type: 'unblock', peer: string }
  /** set the user's own name for a peer (null removes it); it wins over the peer's nickname everywhere */
  | { type: 'name', peer: string, petname: string | null }
  /** the safety number of this node and a peer (docs/PROTOCOL.md) */
  | { type: 'safety', peer: string }
  /** mark a peer verified once the safety numbers were compared; it becomes a contact too */
  | { type: 'verify', peer: string }
  /** join a room by its name and, for a room with one, its key (a secret: never shown, logged or put in an error) */
  | { type: 'join', room: string, key?: string }
  /** leave a room, named as joined (or by its id) */
  | { type: 'leave', room: string }
  /** the joined rooms and their members, online or not */
  | { type: 'rooms' }
  /** store a message to a joined room durably and queue it for each of its members (not blocked) */
  | { type: 'post', room: string, text: string }
  /** the last `limit` messages of a joined room, in (clock, sender) order, oldest first (default 50) */
  | { type: 'roomHistory', room: string, limit?: number }
  /** offer the file at `path` (this node's file system, relative to its working directory) to a peer: hashed, stored, offered in the background */
  | { type: 'sendFile', peer: string, path: string }
  /** accept an incoming offer: fetched in the background into the downloads folder */
  | { type: 'acceptFile', id: string }
  /** decline an incoming offer; the sender is told */
  | { type: 'declineFile', id: string }
  /** every transfer, both ways, oldest first */
  | { type: 'files' }

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
  /** `stranger`: the peer it went to was not a contact (it is one now): the face says so, whatever the user typed */
  send: ChatMessage & { stranger?: true }
  history: { peer: string, messages: ChatMessage[] }
  peers: PeerView[]
  connect: { peerId: string }
  whoami: WhoamiInfo
  markRead: { peer: string, ids: string[] }
  resolve: { peerId: string, by: ResolvedBy, stranger: boolean }
  requests: RequestView[]
  accept: { peerId: string, messages: number }
  decline: { peerId: string, messages: number }
  block: ContactView
  unblock: ContactView
  name: ContactView
  safety: SafetyView
  verify: ContactView
  join: RoomView
  leave: RoomView
  rooms: RoomView[]
  /**
   * `to`: the members it was queued for, as the room's member list says
   * just before the post (proven members that are not blocked); empty: no
   * member yet, nobody was sent it (it is in the room's history all the same)
   */
  post: RoomPost
  /** `room`: the room's name as joined, `id` its id (two rooms may share a name: one with a key, one without) */
  roomHistory: { room: string, id: string, messages: RoomMessage[] }
  /** `stranger`: as for `send`, the peer it is offered to was not a contact */
  sendFile: TransferView & { stranger?: true }
  acceptFile: TransferView
  declineFile: TransferView
  files: TransferView[]
}

export type ResultOf<C extends Command> = CommandResults[C['type']]

/** Every command type, in the order docs/API.md lists them */
export const COMMAND_TYPES: readonly CommandType[] = ['send', 'history', 'peers', 'connect', 'whoami', 'markRead', 'resolve', 'requests', 'accept', 'decline', 'block', 'unblock', 'name', 'safety', 'verify', 'join', 'leave', 'rooms', 'post', 'roomHistory', 'sendFile', 'acceptFile', 'declineFile', 'files']
