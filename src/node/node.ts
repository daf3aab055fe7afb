/**
 * The node's facade: the ChatNode interface (src/types.ts) over libp2p and
 * the services, and createChatNode, which opens the store, builds libp2p
 * (config.ts) and starts it. Events of the services become ChatNode events
 * here; nothing else happens here.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { createLibp2p } from 'libp2p'
import { BlockedPeerError, InvalidPeerIdError, NodeStoppedError, UnreachablePeerError } from '../errors.ts'
import { loadOrCreateIdentity } from '../identity.ts'
import { parsePeerAddr, parsePeerId } from '../net/multiaddr.ts'
import { nicknameProblem } from '../protocol/nickname.ts'
import { isProtocolViolation } from '../protocol/errors.ts'
import { UnknownRoomError } from '../rooms/errors.ts'
import { createStore } from '../store/index.ts'
import { libp2pOptions } from './config.ts'
import { SessionErrors } from './session-errors.ts'
import type { ChatServices } from './config.ts'
import type { ChatNodeInit } from './index.ts'
import type { Store } from '../store/index.ts'
import type { ContactInfo } from '../contacts/index.ts'
import type { ChatMessage, ChatNode, ChatNodeEvents, ContactView, HistoryOptions, PeerView, RelayView, RequestView, RoomEvent, RoomMessage, RoomPost, RoomView, SafetyView, SendOptions, TransferView } from '../types.ts'
import type { AbortOptions, Libp2p, Logger, PeerId } from '@libp2p/interface'

class SecureChatNode extends TypedEventEmitter<ChatNodeEvents> implements ChatNode {
  readonly peerId: string
  readonly name: string
  private readonly libp2p: Libp2p<ChatServices>
  private readonly store: Store
  private readonly log: Logger
  /** rejected sessions, shown once per peer per window and a few per window in all (session-errors.ts) */
  private readonly sessionErrors: SessionErrors
  private stopping?: Promise<void>
  /** room events wait for the member's nickname one after the other, so they keep their order */
  private roomEvents: Promise<void> = Promise.resolve()

  constructor (libp2p: Libp2p<ChatServices>, store: Store, name: string) {
    super()
    this.libp2p = libp2p
    this.store = store
    this.name = name
    this.peerId = libp2p.peerId.toString()
    this.log = libp2p.logger.forComponent('securechat:node')
    this.sessionErrors = new SessionErrors((line) => { this.showSessionError(line) })
    this.forwardEvents()
  }

  addrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  relays (): RelayView[] {
    return this.libp2p.services.relayKeeper.status()
  }

  async send (peer: string, text: string, options: SendOptions = {}): Promise<ChatMessage> {
    this.checkRunning()
    return this.libp2p.services.delivery.send(parsePeerId(peer), text, options)
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    this.checkRunning()
    return this.store.history(parsePeerId(peer).toString(), { limit: options.limit, signal: options.signal })
  }

  markRead (peer: string, ids: string[]): void {
    if (this.stopping == null) {
      this.libp2p.services.receipts.markRead(peer, ids)
    }
  }

  async peers (options: AbortOptions = {}): Promise<PeerView[]> {
    this.checkRunning()
    const { presence, liveness, contacts } = this.libp2p.services

    return (await presence.peers(options)).map(p => {
      const seen = liveness.liveness(p.peerId)
      const view: PeerView = { ...p, ...contactView(contacts.info(p.peerId)), lastSeen: Math.max(p.lastSeen, seen?.lastSeen ?? 0) }

      if (seen?.rtt != null) {
        view.rtt = seen.rtt
      }

      return view
    })
  }

  contact (peer: string): ContactView {
    this.checkRunning()
    return contactView(this.libp2p.services.contacts.info(parsePeerId(peer).toString()))
  }

    async connect (address: string, options: AbortOptions = {}): Promise<string> {
    this.checkRunning()
    return this.libp2p.services.presence.connect(address, options)
  }

  async requests (options: AbortOptions = {}): Promise<RequestView[]> {
    this.checkRunning()
    const names = new Map((await this.store.peers(options)).map(p => [p.peerId, p.name]))

    return this.libp2p.services.contacts.requests().map(r => {
      const view: RequestView = { peerId: r.peer, messages: r.messages, bytes: r.bytes }
      const name = names.get(r.peer)
      if (name != null) view.name = name
      return view
    })
  }

  async accept (peer: string, options: AbortOptions = {}): Promise<number> {
    this.checkRunning()
    return this.libp2p.services.contacts.accept(parsePeerId(peer), options)
  }

  async decline (peer: string, options: AbortOptions = {}): Promise<number> {
    this.checkRunning()
    return this.libp2p.services.contacts.decline(parsePeerId(peer), options)
  }

  async block (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    return this.changeContact(peer, async (contacts, id) => contacts.block(id, options))
  }

  async unblock (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    return this.changeContact(peer, async (contacts, id) => contacts.unblock(id, options))
  }

  async setPetname (peer: string, petname: string | null, options: AbortOptions = {}): Promise<ContactView> {
    return this.changeContact(peer, async (contacts, id) => contacts.setPetname(id, petname, options))
  }

  async verify (peer: string, options: AbortOptions = {}): Promise<ContactView> {
    return this.changeContact(peer, async (contacts, id) => contacts.verify(id, options))
  }

  async safety (peer: string): Promise<SafetyView> {
    this.checkRunning()
    return this.libp2p.services.contacts.safety(parsePeerId(peer))
  }

  async join (room: string, key?: string, options: AbortOptions = {}): Promise<RoomView> {
    this.checkRunning()
    return this.named(await this.libp2p.services.rooms.join(room, key, options), options)
  }

  async leave (room: string, options: AbortOptions = {}): Promise<RoomView> {
    this.checkRunning()
    const left = await this.libp2p.services.rooms.leave(room, options)
    if (left == null) {
      throw new UnknownRoomError(`not in room '${room}': /rooms lists the rooms joined`)
    }
    return this.named(left, options)
  }

  async rooms (options: AbortOptions = {}): Promise<RoomView[]> {
    this.checkRunning()
    const names = await this.names(options)
    return this.libp2p.services.rooms.rooms().map(r => withNames(r, names))
  }

  async post (room: string, text: string, options: SendOptions = {}): Promise<RoomPost> {
    this.checkRunning()
    return this.libp2p.services.delivery.post(room, text, options)
  }

  async roomHistory (room: string, options: HistoryOptions = {}): Promise<RoomMessage[]> {
    this.checkRunning()
    const joined = this.libp2p.services.rooms.find(room)
    if (joined == null) {
      throw new UnknownRoomError(`not in room '${room}': /rooms lists the rooms joined`)
    }
    const messages = await this.store.history(`#${joined.id}`, { limit: options.limit, signal: options.signal })
    return messages.map(m => ({ ...m, room: joined.name, clock: m.clock ?? 0 }))
  }

  async sendFile (peer: string, path: string, options: AbortOptions = {}): Promise<TransferView> {
    this.checkRunning()
    const id = parsePeerId(peer)
    if (id.equals(this.libp2p.peerId)) {
      throw new InvalidPeerIdError('cannot send a file to yourself')
    }
    if (this.libp2p.services.contacts.isBlocked(id.toString())) {
      throw new BlockedPeerError('that peer is blocked: /unblock it first')
    }
    return this.libp2p.services.files.offer(id, path, options)
  }

  async acceptFile (id: string, options: AbortOptions = {}): Promise<TransferView> {
    this.checkRunning()
    return this.libp2p.services.files.accept(id, options)
  }

  async declineFile (id: string, options: AbortOptions = {}): Promise<TransferView> {
    this.checkRunning()
    return this.libp2p.services.files.decline(id, options)
  }

  async files (options: AbortOptions = {}): Promise<TransferView[]> {
    this.checkRunning()
    return this.libp2p.services.files.transfers(options)
  }

  /** nicknames by peer id, from the peer book */
  private async names (options: AbortOptions): Promise<Map<string, string>> {
    const names = new Map<string, string>()
    for (const p of await this.store.peers(options)) {
      if (p.name != null) names.set(p.peerId, p.name)
    }
    return names
  }

  private async named (room: RoomView, options: AbortOptions): Promise<RoomView> {
    return room.members.length === 0 ? room : withNames(room, await this.names(options))
  }

    private async changeContact (peer: string, change: (contacts: ChatServices['contacts'], id: PeerId) => Promise<void>): Promise<ContactView> {
    this.checkRunning()
    const id = parsePeerId(peer)

    if (id.equals(this.libp2p.peerId)) {
      throw new InvalidPeerIdError('that is this node')
    }

    await change(this.libp2p.services.contacts, id)
    return contactView(this.libp2p.services.contacts.info(id.toString()))
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.sessionErrors.stop()

      try {
        await this.libp2p.stop()
      } finally {
        await this.store.close()
      }
    })()

    return this.stopping
  }

  private checkRunning (): void {
    if (this.stopping != null) {
      throw new NodeStoppedError()
    }
  }

  private emit<K extends keyof ChatNodeEvents>(type: K, detail: ChatNodeEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail })
  }

  /** the services' events, as ChatNode events */
  private forwardEvents (): void {
    const { presence, delivery, receipts, relayKeeper, chat } = this.libp2p.services

    presence.addEventListener('peer', (evt) => { this.emit('peer', evt.detail) })
    delivery.addEventListener('message', (evt) => {
      const m = evt.detail
      this.emit('message', { id: m.id, from: m.from, name: m.name, text: m.text, ts: m.ts, ...(m.request === true ? { request: true } : {}), ...(m.room == null ? {} : { room: m.room }) })
    })
    delivery.addEventListener('sent', (evt) => { this.emit('sent', evt.detail) })
    delivery.addEventListener('delivered', (evt) => { this.emit('delivered', evt.detail) })
    delivery.addEventListener('failing', (evt) => {
      const { peer, error, outbox } = evt.detail
      this.emit('error', {
        code: UnreachablePeerError.name,
        message: `${outbox} message(s) to ${peer} not delivered yet (${error.name}: ${error.message}); retrying in the background`,
        peer
      })
    })
    receipts.addEventListener('read', (evt) => { this.emit('read', evt.detail) })
    receipts.addEventListener('delivered', (evt) => { this.emit('delivered', evt.detail) })
    relayKeeper.addEventListener('relay', (evt) => { this.emit('relay', evt.detail) })
    this.libp2p.services.contacts.addEventListener('contact', (evt) => { this.emit('contact', contactView(evt.detail)) })
    chat.addEventListener('session:error', (evt) => { this.onSessionError(evt.detail.peer, evt.detail.error) })
    this.libp2p.services.rooms.addEventListener('room', (evt) => { this.onRoom(evt.detail) })
    const { files } = this.libp2p.services
    files.addEventListener('offer', (evt) => {
      const t = evt.detail
      this.emit('offer', { id: t.id, from: t.peer, name: t.name, size: t.size, sha256: t.sha256, ...(t.request === true ? { request: true } : {}), ...(t.state === 'accepted' ? { accepted: true } : {}) })
    })
    files.addEventListener('offered', (evt) => {
      const t = evt.detail
      this.emit('offered', { id: t.id, to: t.peer, name: t.name, size: t.size, sha256: t.sha256 })
    })
    files.addEventListener('progress', (evt) => { this.emit('progress', evt.detail) })
    files.addEventListener('file', (evt) => { this.emit('file', evt.detail) })
  }

  /** a room event, with the member's nickname when the peer book has one; in order */
  private onRoom (event: RoomEvent): void {
    if (event.member == null) {
      this.roomEvents = this.roomEvents.then(() => { this.emit('room', event) })
      return
    }
    const member = event.member
    const named = this.store.getPeer(member).catch(() => undefined)
    this.roomEvents = this.roomEvents.then(async () => {
      const name = (await named)?.name
      this.emit('room', name == null ? event : { ...event, name })
    })
  }

  /**
   * A peer's session failed. A protocol violation (a forged Hello, a
   * tampered frame, an oversized or overrunning sender) is shown to the user;
   * a peer that merely went away (reset, closed, timed out) is only logged.
   * Shown once per peer per window, and a few per window in all; the rest
   * as summaries (session-errors.ts).
   */
  private onSessionError (peer: PeerId, err: Error): void {
    if (this.stopping == null && isProtocolViolation(err)) {
      this.sessionErrors.push(peer.toString(), err)
    } else {
      this.log('session from %p ended - %s: %s', peer, err.name, err.message)
    }
  }

  private showSessionError (line: ChatNodeEvents['error']['detail']): void {
    if (this.stopping == null) {
      this.emit('error', line)
    }
  }
}

/** `room` with each member's nickname, where known */
function withNames (room: RoomView, names: Map<string, string>): RoomView {
  return {
    ...room,
    members: room.members.map(m => {
      const name = names.get(m.peerId)
      return name == null ? m : { ...m, name }
    })
  }
}

/** Only the documented fields of a contact */
function contactView (info: ContactInfo): ContactView {
  const view: ContactView = { peerId: info.peerId, relation: info.relation, verified: info.verified }
  if (info.petname != null) view.petname = info.petname
  return view
}

/**
 * Opens the data dir, builds and starts the node. Rejects with a typed error
 * (DataDirInUseError, WrongPassphraseError, CorruptKeyFileError,
 * InvalidMultiaddrError, ...) and leaves nothing open.
 */
export async function createChatNode (init: ChatNodeInit, options: AbortOptions = {}): Promise<ChatNode> {
  const problem = nicknameProblem(init.name)

  if (problem != null) {
    throw new TypeError(`name ${problem}`)
  }

  const relays = (init.relays ?? []).map(addr => parsePeerAddr(addr, 'relay multiaddr').ma)
  const store = createStore({
    dataDir: init.dataDir,
    passphrase: init.passphrase,
    maxOutboxPerPeer: init.maxOutboxPerPeer,
    maxOutboxTotal: init.maxOutboxTotal,
    maxRequestMessagesPerPeer: init.maxRequestMessagesPerPeer,
    maxRequestBytesPerPeer: init.maxRequestBytesPerPeer,
    maxRequestBytesTotal: init.maxRequestBytesTotal,
    logger: defaultLogger()
  })
  await store.open(options)

  try {
    const privateKey = await loadOrCreateIdentity(store, options)
    // the connection gater reads the services through this (see config.ts)
    let built: Libp2p<ChatServices> | undefined
    const libp2p = await createLibp2p(libp2pOptions(init, privateKey, store, relays, () => built))
    built = libp2p
    const node = new SecureChatNode(libp2p, store, init.name)

    try {
      await libp2p.start()
      options.signal?.throwIfAborted()
    } catch (err) {
      await Promise.resolve(libp2p.stop()).catch(() => {})
      throw err
    }

    return node
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
