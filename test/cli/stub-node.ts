/**
 * A ChatNode without a network: it records calls, keeps sent and accepted
 * messages as history, holds messages from non-contacts as requests, keeps
 * relations, petnames and verified marks in its peer list (with a `contact`
 * event for every change, as the real node), keeps joined rooms and their
 * members (with `room` events, as the real node), keeps room messages with
 * a Lamport clock per room (posted ones and ones a test makes a member
 * write), keeps file transfers (offered ones from real files on disk,
 * incoming ones a test makes a peer offer, with `offer`, `offered`,
 * `progress` and `file` events as the real node), and lets tests fire node
 * events and fail or stall any method.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { InvalidRoomKeyError, InvalidRoomNameError, RoomLimitError, UnknownRoomError, roomKeyProblem, roomNameProblem } from '../../src/app/index.ts'
import { BlockedPeerError, EmptyMessageError, InvalidMultiaddrError, NodeStoppedError } from '../../src/errors.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { ChatMessage, ChatNode, ChatNodeEvents, ContactView, HistoryOptions, PeerRelation, PeerView, RelayView, RequestView, RoomMemberView, RoomMessage, RoomPost, RoomView, SafetyView, SendOptions, TransferView } from '../../src/types.ts'

/** A joined room as the stub keeps it: with its key, which no view carries */
export interface StubRoom {
  id: string
  name: string
  key?: string
  joinedAt: number
  members: RoomMemberView[]
}

/** Rooms a node can be in (src/rooms: MAX_JOINED_ROOMS) */
const MAX_ROOMS = 64

/** A known peer; a contact unless said otherwise */
export function peerView (peerId: string, name?: string, online = false, relation: PeerRelation = 'contact'): PeerView {
  return { peerId, name, relation, verified: false, online, addrs: [], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000 }
}

export interface StubNodeInit {
  peerId: string
  name?: string
  peers?: PeerView[]
}

export class StubNode extends TypedEventEmitter<ChatNodeEvents> implements ChatNode {
  readonly peerId: string
  readonly name: string
  knownPeers: PeerView[]
  knownRelays: RelayView[] = []
  readonly sent: ChatMessage[] = []
  /** incoming messages that are history (from contacts, or accepted) */
  readonly received: ChatMessage[] = []
  /** incoming messages held as requests, by sender */
  readonly held = new Map<string, ChatMessage[]>()
  readonly calls: string[] = []
  stopped = false
  /** replace to make a method fail or hang */
  failNext?: Error
  /** awaited at the start of every method except stop(): delay or stall calls */
  gate?: (call: string, options: AbortOptions) => Promise<void>
  /** stop() waits for this */
  stopGate: Promise<void> = Promise.resolve()
  /** joined rooms by id */
  readonly joined = new Map<string, StubRoom>()
  /** the messages of every room, posted and received, in the order they came */
  readonly roomMessages: RoomMessage[] = []
  /** file transfers by id, both ways, oldest first */
  readonly transfers = new Map<string, TransferView>()
  /** commands running right now, and the most at once */
  running = 0
  maxRunning = 0

  constructor (init: StubNodeInit) {
    super()
    this.peerId = init.peerId
    this.name = init.name ?? 'me'
    this.knownPeers = init.peers ?? []
  }

  addrs (): string[] {
    return [`/ip4/127.0.0.1/tcp/4001/p2p/${this.peerId}`]
  }

  relays (): RelayView[] {
    return this.knownRelays.map(r => ({ ...r }))
  }

  private async enter (call: string, options: AbortOptions = {}): Promise<void> {
    this.calls.push(call)
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)

    try {
      await this.gate?.(call, options)
    } finally {
      this.running--
    }

    options.signal?.throwIfAborted()

    if (this.stopped) {
      throw new NodeStoppedError()
    }

    const err = this.failNext

    if (err != null) {
      this.failNext = undefined
      throw err
    }
  }

  async send (peer: string, text: string, options: SendOptions = {}): Promise<ChatMessage> {
    await this.enter(`send ${peer} ${text}`, options)

    if (text.trim() === '') {
      throw new EmptyMessageError()
    }

    if (this.known(peer).relation === 'blocked') {
      throw new BlockedPeerError()
    }

    // writing to a peer makes it a contact (its held requests become history)
    if (this.known(peer).relation !== 'contact') {
      this.takeHeld(peer)
      this.change(peer, p => { p.relation = 'contact' })
    }

    const message: ChatMessage = {
      id: randomBytes(16).toString('hex'),
      peer,
      direction: 'out',
      from: this.peerId,
      name: this.name,
      text,
      ts: Date.now(),
      status: 'pending'
    }
    this.sent.push(message)
    return { ...message }
  }

  /** read receipts the session asked for, as `peer id` */
  readonly marked: string[] = []

  markRead (peer: string, ids: string[]): void {
    for (const id of ids) this.marked.push(`${peer} ${id}`)
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    await this.enter(`history ${peer} ${options.limit}`, options)
    return [...this.received, ...this.sent].filter(m => m.peer === peer).sort((a, b) => a.ts - b.ts).slice(-(options.limit ?? 50))
  }

  /**
   * A message arrives from `from`, as the node would take it: dropped from a
   * blocked peer, history from a contact, held as a request (and marked so)
   * from anyone else. Fires the `message` event; returns what was stored.
   */
  receive (from: string, name: string, text: string, ts = Date.now()): ChatMessage | undefined {
    const peer = this.known(from, name)

    if (peer.relation === 'blocked') {
      return undefined
    }

    peer.name = name
    const message: ChatMessage = { id: randomBytes(16).toString('hex'), peer: from, direction: 'in', from, name, text, ts }
    const request = peer.relation !== 'contact'

    if (request) {
      this.held.set(from, [...(this.held.get(from) ?? []), message])
      peer.relation = 'request'
    } else {
      this.received.push(message)
    }

    this.safeDispatchEvent('message', { detail: { id: message.id, from, name, text, ts, ...(request ? { request: true as const } : {}) } })
    return message
  }

  async requests (options: AbortOptions = {}): Promise<RequestView[]> {
    await this.enter('requests', options)
    return [...this.held].map(([peerId, messages]) => {
      const view: RequestView = { peerId, messages: messages.length, bytes: messages.reduce((n, m) => n + Buffer.byteLength(m.text), 0) }
      const name = this.knownPeers.find(p => p.peerId === peerId)?.name
      if (name != null) view.name = name
      return view
    })
  }

  async accept (peer: string, options: AbortOptions = {}): Promise<number> {
    await this.enter(`accept ${peer}`, options)
    const messages = this.takeHeld(peer)
    this.change(peer, p => { p.relation = 'contact' })
    return messages
  }

  async decline (peer: string, options: AbortOptions = {}): Promise<number> {
    await this.enter(`decline ${peer}`, options)
    const messages = this.held.get(peer)?.length ?? 0
    this.held.delete(peer)
    // as the real node: no contact event, the peer just has no requests any more
    const known = this.known(peer)
    if (known.relation === 'request') known.relation = 'stranger'
    return messages
  }

  async block (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    await this.enter(`block ${peer}`, options)
    this.held.delete(peer)
    return this.change(peer, p => { p.relation = 'blocked' })
  }

  async unblock (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    await this.enter(`unblock ${peer}`, options)
    // as the real node: a peer that is not blocked is left alone, with no event
    return this.known(peer).relation === 'blocked' ? this.change(peer, p => { p.relation = 'stranger' }) : this.view(peer)
  }

  async setPetname (peer: string, petname: string | null, options: AbortOptions = {}): Promise<ContactView> {
    await this.enter(`name ${peer} ${petname}`, options)
    return this.change(peer, p => { if (petname == null) delete p.petname; else p.petname = petname })
  }

  async verify (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    await this.enter(`verify ${peer}`, options)
    this.takeHeld(peer)
    return this.change(peer, p => { p.verified = true; p.relation = 'contact' })
  }

  /** Not the real algorithm: 60 digits that depend on both peer ids only, in either order */
  async safety (peer: string, options: AbortOptions = {}): Promise<SafetyView> {
    await this.enter(`safety ${peer}`, options)
    const digest = createHash('sha512').update([this.peerId, peer].sort().join(' ')).digest()
    const number = [...digest.subarray(0, 60)].map(b => String(b % 10)).join('')
    return { peerId: peer, number, verified: this.known(peer).verified }
  }

  /** The peer's entry, added as a stranger when it is not known yet */
  private known (peerId: string, name?: string): PeerView {
    let peer = this.knownPeers.find(p => p.peerId === peerId)

    if (peer == null) {
      peer = peerView(peerId, name, false, 'stranger')
      this.knownPeers.push(peer)
    }

    return peer
  }

  /** Held requests become history; how many */
  private takeHeld (peer: string): number {
    const messages = this.held.get(peer) ?? []
    this.held.delete(peer)
    this.received.push(...messages)
    return messages.length
  }

  /** Changes a peer's entry and fires `contact`, as the real node does before the command resolves */
  private change (peerId: string, update: (peer: PeerView) => void): ContactView {
    update(this.known(peerId))
    const view = this.view(peerId)
    this.safeDispatchEvent('contact', { detail: { ...view } })
    return view
  }

  private view (peerId: string): ContactView {
    const peer = this.known(peerId)
    const view: ContactView = { peerId, relation: peer.relation, verified: peer.verified }
    if (peer.petname != null) view.petname = peer.petname
    return view
  }

  contact (peer: string): ContactView {
    this.calls.push(`contact ${peer}`)
    return this.view(peer)
  }

  async peers (options: AbortOptions = {}): Promise<PeerView[]> {
    await this.enter('peers', options)
    return this.knownPeers.map(p => ({ ...p }))
  }

  async connect (multiaddr: string, options: AbortOptions = {}): Promise<string> {
    await this.enter(`connect ${multiaddr}`, options)
    const peer = /\/p2p\/([^/]+)$/.exec(multiaddr)?.[1]

    if (peer == null) {
      throw new InvalidMultiaddrError('multiaddr must end in /p2p/<peer id>')
    }

    return peer
  }

  /**
   * As the real node: the name and key rules, at most 64 rooms, a room
   * joined already is returned as it is (no event). The call is recorded
   * without the key. Not the real KDF: the id is a plain hash of the
   * canonical name and the key.
   */
  async join (room: string, key?: string, options: AbortOptions = {}): Promise<RoomView> {
    await this.enter(`join ${room}${key === undefined ? '' : ' with a key'}`, options)
    const nameProblem = roomNameProblem(room)
    if (nameProblem != null) throw new InvalidRoomNameError(`room name ${nameProblem}`)
    const keyProblem = key === undefined ? undefined : roomKeyProblem(key)
    if (keyProblem != null) throw new InvalidRoomKeyError(`room key ${keyProblem}`)
    const id = createHash('sha256').update(`${canonical(room)}\0${key ?? ''}`).digest('hex').slice(0, 32)
    const existing = this.joined.get(id)

    if (existing != null) {
      return this.roomView(existing)
    }

    if (this.joined.size >= MAX_ROOMS) {
      throw new RoomLimitError(`a node can be in at most ${MAX_ROOMS} rooms: /leave one first`)
    }

    const joined: StubRoom = { id, name: room, joinedAt: Date.now(), members: [] }
    if (key !== undefined) joined.key = key
    this.joined.set(id, joined)
    this.safeDispatchEvent('room', { detail: { room, id, status: 'joined' } })
    return this.roomView(joined)
  }

  async leave (room: string, options: AbortOptions = {}): Promise<RoomView> {
    await this.enter(`leave ${room}`, options)
    const found = this.findRoom(room)

    if (found == null) {
      throw new UnknownRoomError(`not in room '${room}': /rooms lists the rooms joined`)
    }

    this.joined.delete(found.id)
    this.safeDispatchEvent('room', { detail: { room: found.name, id: found.id, status: 'left' } })
    return this.roomView(found)
  }

  async rooms (options: AbortOptions = {}): Promise<RoomView[]> {
    await this.enter('rooms', options)
    return [...this.joined.values()].map(r => this.roomView(r)).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  /**
   * A peer proves it is in `room` (online), or its connection closes
   * (offline), as the real node reports it: a `room` event with the
   * nickname the peer list has for it
   */
  roomMember (room: string, peerId: string, online: boolean, provenAt = Date.now()): void {
    const found = this.findRoom(room)
    if (found == null) throw new Error(`stub: not in room ${room}`)
    const member = found.members.find(m => m.peerId === peerId)

    if (member == null) {
      found.members.push({ peerId, online, provenAt })
    } else {
      member.online = online
      if (online) member.provenAt = provenAt
    }

    const name = this.knownPeers.find(p => p.peerId === peerId)?.name
    this.safeDispatchEvent('room', { detail: { room: found.name, id: found.id, status: online ? 'online' : 'offline', member: peerId, ...(name == null ? {} : { name }) } })
  }

  /**
   * As the real node: the text rule, the room joined (by name in any case,
   * or by id), the room's next Lamport clock; stored as `pending`, or as
   * `delivered` when it has no member that is not blocked (nobody to wait for)
   */
  async post (room: string, text: string, options: SendOptions = {}): Promise<RoomPost> {
    await this.enter(`post ${room} ${text}`, options)

    if (text.trim() === '') {
      throw new EmptyMessageError()
    }

    const found = this.joinedRoom(room)
    const to = found.members.filter(m => this.knownPeers.find(p => p.peerId === m.peerId)?.relation !== 'blocked')
    const message: RoomMessage = {
      id: randomBytes(16).toString('hex'),
      peer: `#${found.id}`,
      direction: 'out',
      from: this.peerId,
      name: this.name,
      text,
      ts: Date.now(),
      status: to.length === 0 ? 'sent' : 'pending',
      room: found.name,
      clock: this.nextClock(found)
    }
    this.roomMessages.push(message)
    return { ...message, to: to.map(m => m.peerId).filter(p => p !== this.peerId) }
  }

  async roomHistory (room: string, options: HistoryOptions = {}): Promise<RoomMessage[]> {
    await this.enter(`roomHistory ${room} ${options.limit}`, options)
    const found = this.joinedRoom(room)
    return this.roomMessages
      .filter(m => m.peer === `#${found.id}`)
      .sort((a, b) => a.clock - b.clock || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
      .slice(-(options.limit ?? 50))
      .map(m => ({ ...m }))
  }

  /**
   * A member writes to `room`, as the node would take it: stored with its
   * clock (default: the room's next), never a request; fires `message` with
   * the room's name. Returns what was stored.
   */
  roomReceive (room: string, from: string, name: string, text: string, options: { clock?: number, ts?: number } = {}): RoomMessage {
    const found = this.joinedRoom(room)
    const ts = options.ts ?? Date.now()
    const message: RoomMessage = {
      id: randomBytes(16).toString('hex'), peer: `#${found.id}`, direction: 'in', from, name, text, ts, room: found.name, clock: options.clock ?? this.nextClock(found)
    }
    this.roomMessages.push(message)
    this.safeDispatchEvent('message', { detail: { id: message.id, from, name, text, ts, room: found.name } })
    return message
  }

  /** The room's Lamport clock, one past every message seen in it */
  private nextClock (room: StubRoom): number {
    return Math.max(0, ...this.roomMessages.filter(m => m.peer === `#${room.id}`).map(m => m.clock)) + 1
  }

  private joinedRoom (room: string): StubRoom {
    const found = this.findRoom(room)

    if (found == null) {
      throw new UnknownRoomError(`not in room '${room}': /rooms lists the rooms joined`)
    }

    return found
  }

  /** a room by the name it was joined under (any case) or by id */
  private findRoom (room: string): StubRoom | undefined {
    return this.joined.get(room) ?? [...this.joined.values()].find(r => canonical(r.name) === canonical(room))
  }

  private roomView (room: StubRoom): RoomView {
    return {
      id: room.id,
      name: room.name,
      hasKey: room.key !== undefined,
      joinedAt: room.joinedAt,
      members: room.members.map(m => {
        const name = this.knownPeers.find(p => p.peerId === m.peerId)?.name
        return { ...m, ...(name == null ? {} : { name }) }
      })
    }
  }

  /** As the real node: a regular file, hashed; not to a blocked peer; `offered` fires once the peer has the offer (offerReceived) */
  async sendFile (peer: string, path: string, options: AbortOptions = {}): Promise<TransferView> {
    await this.enter(`sendFile ${peer} ${path}`, options)

    if (this.knownPeers.find(p => p.peerId === peer)?.relation === 'blocked') {
      throw new BlockedPeerError()
    }

    if (!(await stat(path)).isFile()) {
      throw new TypeError(`not a file: ${path}`)
    }

    const data = await readFile(path)
    const transfer: TransferView = {
      id: randomBytes(16).toString('hex'),
      peer,
      direction: 'out',
      name: basename(path),
      size: data.byteLength,
      sha256: createHash('sha256').update(data).digest('hex'),
      state: 'offered',
      bytes: 0,
      path
    }
    this.transfers.set(transfer.id, transfer)
    return { ...transfer }
  }

  /** The peer of an outgoing offer has it: `offered` */
  offerReceived (id: string): void {
    const t = this.transfer(id)
    this.safeDispatchEvent('offered', { detail: { id, to: t.peer, name: t.name, size: t.size, sha256: t.sha256 } })
  }

  /** A peer offers us a file: stored as an incoming `offered` transfer, `offer` fires (`request` when the peer is not a contact) */
  offerFile (from: string, name: string, size: number, id = randomBytes(16).toString('hex'), accepted = false): TransferView {
    const request = this.knownPeers.find(p => p.peerId === from)?.relation !== 'contact'
    const sha256 = createHash('sha256').update(name).digest('hex')
    const transfer: TransferView = { id, peer: from, direction: 'in', name, size, sha256, state: accepted ? 'accepted' : 'offered', bytes: 0, ...(request ? { request: true as const } : {}) }
    this.transfers.set(id, transfer)
    this.safeDispatchEvent('offer', { detail: { id, from, name, size, sha256, ...(request ? { request: true as const } : {}), ...(accepted ? { accepted: true as const } : {}) } })
    return { ...transfer }
  }

  /** Bytes of a transfer so far: `progress` */
  fileProgress (id: string, bytes: number, rate: number, via: 'direct' | 'relay' = 'direct'): void {
    const t = this.transfer(id)
    t.bytes = bytes
    this.safeDispatchEvent('progress', { detail: { id, bytes, size: t.size, rate, via } })
  }

  /** A transfer ends: `file` */
  fileDone (id: string, status: 'complete' | 'failed' | 'declined', more: { path?: string, reason?: string } = {}): void {
    const t = this.transfer(id)
    t.state = status

    if (status === 'complete') {
      t.bytes = t.size
      if (t.direction === 'in' && more.path != null) t.path = more.path
    }

    this.safeDispatchEvent('file', { detail: { id, status, ...more } })
  }

  async acceptFile (id: string, options: AbortOptions = {}): Promise<TransferView> {
    await this.enter(`acceptFile ${id}`, options)
    const t = this.transfer(id)
    if (t.direction !== 'in' || t.state !== 'offered') throw new TypeError(`stub: transfer ${id} is not an offer to us`)
    t.state = 'accepted'
    return { ...t }
  }

  async declineFile (id: string, options: AbortOptions = {}): Promise<TransferView> {
    await this.enter(`declineFile ${id}`, options)
    const t = this.transfer(id)
    if (t.direction !== 'in' || t.state !== 'offered') throw new TypeError(`stub: transfer ${id} is not an offer to us`)
    t.state = 'declined'
    this.safeDispatchEvent('file', { detail: { id, status: 'declined' } })
    return { ...t }
  }

  async files (options: AbortOptions = {}): Promise<TransferView[]> {
    await this.enter('files', options)
    return [...this.transfers.values()].map(t => ({ ...t }))
  }

  private transfer (id: string): TransferView {
    const t = this.transfers.get(id)
    if (t == null) throw new Error(`stub: no transfer ${id}`)
    return t
  }

  async stop (): Promise<void> {
    this.calls.push('stop')
    this.stopped = true
    await this.stopGate
  }
}

/** The room-name form rooms are told apart by, as src/rooms/room-keys.ts canonicalRoomName */
function canonical (name: string): string {
  return name.normalize('NFKC').toLowerCase()
}
