/**
 * The `--json` renderer: exactly one JSON object per line, with only the
 * documented fields (the schema is in the README), whatever else the node's
 * objects carry.
 */
import { JsonLines } from '../json-lines.ts'
import { COMMANDS } from './commands.ts'
import type { ChatMessage, ContactView, PeerView, RelayView, RequestView, RoomEvent, RoomMessage, RoomView, SafetyView, TransferView, WhoamiInfo } from '../../app/index.ts'
import type { ErrorInfo } from '../errors.ts'
import type { Sink } from '../terminal.ts'
import type {
  ContactOrigin, DeliveredEventDetail, FileEventDetail, MessageEventDetail, OfferEventDetail, OfferedEventDetail, Output, PeerEventDetail, PendingMessage, PostedMessage, ProgressEventDetail,
  ReadEventDetail, RelayEventDetail, RequestOutcome, RoomOrigin, SelfInfo, SentEventDetail, TransferAction, TransferResult
} from './output.ts'

export class JsonOutput implements Output {
  private readonly lines: JsonLines

  constructor (sink: Sink) {
    this.lines = new JsonLines(sink)
  }

  web (url: string, waiting: 'create' | 'unlock' | undefined): void {
    this.lines.write('web', { url, waiting })
  }

  ready (self: SelfInfo): void {
    this.lines.write('ready', { peerId: self.peerId, name: self.name, addrs: [...self.addrs] })
  }

  peer (event: PeerEventDetail): void {
    this.lines.write('peer', { peerId: event.peerId, name: event.name, status: event.status, connection: event.connection })
  }

  message (event: MessageEventDetail): void {
    this.lines.write('message', { id: event.id, from: event.from, name: event.name, text: event.text, ts: event.ts, request: event.request === true ? true : undefined, room: event.room })
  }

  pending (message: PendingMessage): void {
    this.lines.write('pending', { id: message.id, to: message.peer, text: message.text, ts: message.ts, stranger: message.stranger === true ? true : undefined })
  }

  /** `to`: the members it was queued for, each of which a `delivered` line names once it has it */
  posted (message: PostedMessage): void {
    this.lines.write('posted', { id: message.id, room: message.room, text: message.text, ts: message.ts, clock: message.clock, to: [...message.to] })
  }

  sent (event: SentEventDetail): void {
    this.lines.write('sent', { id: event.id, to: event.to, room: event.room })
  }

  read (event: ReadEventDetail): void {
    this.lines.write('read', { id: event.id, by: event.by })
  }

  delivered (event: DeliveredEventDetail): void {
    this.lines.write('delivered', { id: event.id, to: event.to, room: event.room })
  }

  relay (event: RelayEventDetail): void {
    this.lines.write('relay', { peerId: event.peerId, addr: event.addr, status: event.status })
  }

  history (peer: string, messages: ChatMessage[]): void {
    this.lines.write('history', { peer, messages: messages.map(chatMessage) })
  }

  /** the same line as a peer's history, with `room` (and its `id`, as `room` lines have) where that has `peer` */
  roomHistory (room: string, id: string, messages: RoomMessage[]): void {
    this.lines.write('history', { room, id, messages: messages.map(roomMessage) })
  }

  peers (peers: PeerView[]): void {
    this.lines.write('peers', { peers: peers.map(peerView) })
  }

  whoami (self: WhoamiInfo): void {
    this.lines.write('whoami', { peerId: self.peerId, name: self.name, addrs: [...self.addrs], relays: self.relays.map(relayView) })
  }

  requests (requests: RequestView[]): void {
    this.lines.write('requests', { requests: requests.map(r => ({ peerId: r.peerId, name: r.name, messages: r.messages, bytes: r.bytes })) })
  }

  accepted (outcome: RequestOutcome): void {
    this.lines.write('accepted', { peerId: outcome.peerId, messages: outcome.messages })
  }

  declined (outcome: RequestOutcome): void {
    this.lines.write('declined', { peerId: outcome.peerId, messages: outcome.messages })
  }

  /** the same line for an event and for a command's result: the peer as it is now */
  contact (view: ContactView, _origin: ContactOrigin): void {
    this.lines.write('contact', { peerId: view.peerId, relation: view.relation, petname: view.petname, verified: view.verified })
  }

  /** the digits only: a QR code is for a terminal */
  async safety (view: SafetyView): Promise<void> {
    this.lines.write('safety', { peer: view.peerId, number: view.number, verified: view.verified })
  }

  /** the same line for an event and for the result of /join or /leave: scripts wait for one shape */
  room (event: RoomEvent, _origin: RoomOrigin): void {
    this.lines.write('room', { room: event.room, id: event.id, status: event.status, member: event.member, name: event.name })
  }

  /** no key: a room view has none, and whatever else an object carries is left out */
  rooms (rooms: RoomView[]): void {
    this.lines.write('rooms', { rooms: rooms.map(roomView) })
  }

  offer (event: OfferEventDetail): void {
    this.lines.write('offer', { id: event.id, from: event.from, name: event.name, size: event.size, sha256: event.sha256, request: event.request === true ? true : undefined, accepted: event.accepted === true ? true : undefined })
  }

  offered (event: OfferedEventDetail): void {
    this.lines.write('offered', { id: event.id, to: event.to, name: event.name, size: event.size, sha256: event.sha256 })
  }

  progress (event: ProgressEventDetail): void {
    this.lines.write('progress', { id: event.id, bytes: event.bytes, size: event.size, rate: event.rate, via: event.via })
  }

  file (event: FileEventDetail): void {
    this.lines.write('file', { id: event.id, status: event.status, path: event.path, reason: event.reason })
  }

  /** one line for /send, /accept-file and /decline-file: the transfer as it is now (`state` says which) */
  transfer (transfer: TransferResult, _action: TransferAction): void {
    this.lines.write('transfer', { ...transferView(transfer), stranger: transfer.stranger === true ? true : undefined })
  }

  files (transfers: TransferView[]): void {
    this.lines.write('files', { files: transfers.map(transferView) })
  }

  connected (peerId: string): void {
    this.lines.write('connected', { peerId })
  }

  chat (peer: string | undefined): void {
    this.lines.write('chat', { peer })
  }

  chatRoom (room: string, id: string): void {
    this.lines.write('chat', { room, id })
  }

  help (): void {
    this.lines.write('help', { commands: COMMANDS.map(c => ({ usage: c.usage, description: c.description })) })
  }

  error (error: ErrorInfo): void {
    this.lines.write('error', { code: error.code, message: error.message, id: error.id, peer: error.peer })
  }

  close (): void {}
}

function transferView (t: TransferView): TransferView {
  return {
    id: t.id,
    peer: t.peer,
    direction: t.direction,
    name: t.name,
    size: t.size,
    sha256: t.sha256,
    state: t.state,
    bytes: t.bytes,
    path: t.path,
    request: t.request === true ? true : undefined
  }
}

/** Only the documented fields, whatever else the node's objects carry */
function chatMessage (m: ChatMessage): ChatMessage {
  return { id: m.id, peer: m.peer, direction: m.direction, from: m.from, name: m.name, text: m.text, ts: m.ts, status: m.status }
}

/** A room's message: `peer` is `#` and the room's id; its room's name and its clock too */
function roomMessage (m: RoomMessage): RoomMessage {
  return { ...chatMessage(m), room: m.room, clock: m.clock }
}

function roomView (r: RoomView): RoomView {
  return {
    id: r.id,
    name: r.name,
    hasKey: r.hasKey,
    joinedAt: r.joinedAt,
    members: r.members.map(m => ({ peerId: m.peerId, name: m.name, online: m.online, provenAt: m.provenAt }))
  }
}

function relayView (r: RelayView): RelayView {
  return { addr: r.addr, peerId: r.peerId, connected: r.connected, reserved: r.reserved }
}

function peerView (p: PeerView): PeerView {
  return {
    peerId: p.peerId,
    name: p.name,
    petname: p.petname,
    relation: p.relation,
    verified: p.verified,
    online: p.online,
    connection: p.connection,
    addrs: [...p.addrs],
    rtt: p.rtt,
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen
  }
}
