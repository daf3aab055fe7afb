/**
 * The delivery service (public face: index.ts): the node's side of the
 * outbox and the inbox. The drain itself, with its ordering and retry
 * rules, is the queue (queue.ts); this file wires it to the store, the
 * /securechat protocol, the relay keeper and libp2p's events.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { BlockedPeerError, InvalidPeerIdError } from '../errors.ts'
import { newMessageId } from '../protocol/envelope.ts'
import { validateText } from '../protocol/text.ts'
import { NotRoomMemberError, RoomFloodError, UnknownRoomError } from '../rooms/errors.ts'
import { RequestQuotaError } from '../store/errors.ts'
import { isRoomConversation } from '../store/index.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { DeliveryQueue } from './queue.ts'
import { RoomClocks } from './room-clocks.ts'
import { RoomQuota } from './room-quota.ts'
import type { Delivery, DeliveryComponents, DeliveryEvents, DeliveryInit } from './index.ts'
import type { IncomingMessage, MessagesStored, OutgoingMessage, RoomStamp } from '../protocol/index.ts'
import type { ContactInfo } from '../contacts/index.ts'
import type { ChatMessage, PeerRelation, RoomEvent, RoomPost } from '../types.ts'
import type { AbortOptions, Connection, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface'

/**
 * Records of a room's history read for its highest clock, on its first
 * message after a start (with the store's slack of 64: see history.ts). A
 * clock higher than all of these would need over 1,000 later messages with
 * lower clocks to be missed
 */
const ROOM_CLOCK_SCAN = 1024

export class DeliveryService extends TypedEventEmitter<DeliveryEvents> implements Delivery, Startable {
  readonly [Symbol.toStringTag] = 'securechat:delivery'
  readonly [serviceCapabilities]: string[] = ['securechat:delivery']
  readonly [serviceDependencies]: string[] = ['securechat:chat', 'securechat:contacts', 'securechat:relay-keeper', 'securechat:rooms']

  private readonly components: DeliveryComponents
  private readonly init: DeliveryInit
  private readonly log: Logger
  private readonly tasks: BackgroundTasks
  private queue?: DeliveryQueue
  private readonly clocks: RoomClocks
  /** how fast members who are not contacts may write */
  private readonly quota = new RoomQuota()

  constructor (components: DeliveryComponents, init: DeliveryInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('securechat:delivery')
    this.tasks = new BackgroundTasks(this.log)
    this.clocks = new RoomClocks({
      load: async (id) => {
        // the recent end of the room's history holds its highest clocks (history.ts orders by them)
        const recent = await components.store.history(roomConversation(id), { limit: ROOM_CLOCK_SCAN })
        return recent.map(m => m.clock ?? 0)
      }
    })
  }

  async start (): Promise<void> {
    this.tasks.start()
    this.queue = this.createQueue()
    this.components.chat.handleMessages(this.receive)
    this.components.events.addEventListener('connection:open', this.onConnection)
    this.components.relayKeeper.addEventListener('relay', this.onRelay)
    this.components.lan.addEventListener('peer', this.onLanPeer)
    this.components.contacts.addEventListener('contact', this.onContact)
    this.components.rooms.addEventListener('room', this.onRoom)
  }

  /** resume every outbox left from an earlier run, once the network is up */
  async afterStart (): Promise<void> {
    await this.queue?.start()
  }

  /** no new attempt once libp2p begins to stop; waits for the running batches */
  async beforeStop (): Promise<void> {
    this.components.events.removeEventListener('connection:open', this.onConnection)
    this.components.relayKeeper.removeEventListener('relay', this.onRelay)
    this.components.lan.removeEventListener('peer', this.onLanPeer)
    this.components.contacts.removeEventListener('contact', this.onContact)
    this.components.rooms.removeEventListener('room', this.onRoom)
    await this.queue?.stop()
  }

  async stop (): Promise<void> {
    await this.tasks.stop()
  }

  async post (room: string, text: string, options: AbortOptions = {}): Promise<RoomPost> {
    validateText(text)
    const joined = this.components.rooms.find(room)

    if (joined == null) {
      throw new UnknownRoomError(`not in room '${room}': /rooms lists the rooms joined`)
    }

    const self = this.components.peerId.toString()
    const { contacts } = this.components
    const clock = await this.clocks.next(joined.id)
    // after the clock (its first read may take a while): a member blocked meanwhile gets nothing, now or after an unblock
    const to = (this.components.rooms.byId(joined.id)?.members ?? []).filter(m => m !== self && !contacts.isBlocked(m))
    const message: ChatMessage = {
      id: newMessageId(),
      peer: roomConversation(joined.id),
      direction: 'out',
      from: self,
      name: this.init.nickname ?? '',
      text,
      ts: Date.now(),
      clock,
      // nobody to wait for: it went to every member there is
      status: to.length === 0 ? 'sent' : 'pending'
    }

    let admitted: string[] = []
    await this.components.store.append(message, { ...options, fresh: true, to, admitted: (members) => { admitted = members } })

    for (const member of admitted) {
      this.queue?.kick(member)
    }

    return { ...message, status: admitted.length === 0 ? 'sent' : 'pending', room: joined.name, clock, to: admitted }
  }

  async send (peer: PeerId, text: string, options: AbortOptions = {}): Promise<ChatMessage> {
    validateText(text)

    if (peer.equals(this.components.peerId)) {
      throw new InvalidPeerIdError('cannot send a message to yourself')
    }

    if (this.components.contacts.isBlocked(peer.toString())) {
      throw new BlockedPeerError('that peer is blocked: /unblock it first')
    }

    // writing to a peer makes it a contact (and its held requests history)
    await this.components.contacts.add(peer, options)

    const message: ChatMessage = {
      id: newMessageId(),
      peer: peer.toString(),
      direction: 'out',
      from: this.components.peerId.toString(),
      name: this.init.nickname ?? '',
      text,
      ts: Date.now(),
      status: 'pending'
    }

    // a fresh random 128-bit id: the store need not look for an earlier copy
    await this.components.store.append(message, { ...options, fresh: true })

    this.safeDispatchEvent('queued', { detail: message })
    this.queue?.kick(message.peer)
    return message
  }

  /**
   * Stores a run of verified messages from one peer before the protocol
   * acks them, in one write; a duplicate is acked again but not shown. A
   * message from a peer who is not a contact is a request, held in the
   * store's bounded quarantine: past its bounds the store stops there
   * (RequestQuotaError), no ack goes out for it or what follows and the
   * sender's outbox keeps them. Nothing from a blocked peer is stored.
   */
  private readonly receive = async (messages: IncomingMessage[], options: AbortOptions): Promise<MessagesStored> => {
    const first = messages[0]
    if (first === undefined) {
      return { stored: 0 }
    }
    const peer = first.from.toString()
    const relation = this.components.contacts.relation(peer)

    if (relation === 'blocked') {
      return { stored: 0, error: new BlockedPeerError() }
    }

    // in order, each stretch of direct messages or of one room's messages in one write
    let stored = 0
    for (const stretch of stretches(messages)) {
      const outcome = stretch[0]?.room === undefined
        ? await this.receiveDirect(peer, relation, stretch, options)
        : await this.receiveRoom(peer, stretch, options)
      stored += outcome.stored
      if (outcome.error !== undefined || outcome.stored < stretch.length) {
        return { stored, error: outcome.error ?? new Error('message not stored') }
      }
    }
    return { stored }
  }

  /**
   * A stretch of messages to one room from `peer`. Only a proven member may
   * write there (NotRoomMemberError otherwise: not acked, so a member whose
   * proof is still on its way sends again); it need not be a contact. A
   * message to a room we are not in (we left it) is acked and dropped, so
   * the sender's outbox does not keep it for ever.
   */
  private async receiveRoom (peer: string, messages: IncomingMessage[], options: AbortOptions): Promise<MessagesStored> {
    const id = (messages[0] as IncomingMessage & { room: RoomStamp }).room.id
    const room = this.components.rooms.byId(id)

    if (room == null) {
      return { stored: messages.length }
    }

    if (!room.members.includes(peer)) {
      return { stored: 0, error: new NotRoomMemberError(`${peer} has not proved it is a member of that room`) }
    }

    // a member that is not a contact writes at a bounded rate: the rest of the run waits
    const contact = this.components.contacts.relation(peer) === 'contact'
    const now = Date.now()
    let allowed = 0
    while (allowed < messages.length && (contact || this.quota.take(id, peer, now))) allowed++
    const flood = allowed < messages.length ? new RoomFloodError(`${peer} writes to a room faster than a member who is not a contact may`) : undefined

    for (const m of messages.slice(0, allowed)) {
      // in order: later messages of the run are measured against this one
      await this.clocks.heard(id, (m.room as RoomStamp).clock)
    }

    const records: ChatMessage[] = messages.slice(0, allowed).map(m => ({
      id: m.id,
      peer: roomConversation(id),
      direction: 'in',
      from: peer,
      name: m.nickname,
      text: m.text,
      ts: m.timestamp,
      clock: (m.room as RoomStamp).clock
    }))
    const { added, error } = await this.components.store.appendMany(records, options)

    added.forEach((isNew, i) => {
      const record = records[i] as ChatMessage & { clock: number }
      if (isNew) {
        this.safeDispatchEvent('message', { detail: { ...record, room: room.name } })
      }
    })

    const failure = error ?? flood
    return { stored: added.length, ...(failure === undefined ? {} : { error: failure }) }
  }

  /** A stretch of direct messages from `peer` */
  private async receiveDirect (peer: string, relation: PeerRelation, messages: IncomingMessage[], options: AbortOptions): Promise<MessagesStored> {
    const records: ChatMessage[] = messages.map(m => ({
      id: m.id,
      peer: m.from.toString(),
      direction: 'in',
      from: m.from.toString(),
      name: m.nickname,
      text: m.text,
      ts: m.timestamp
    }))
    const request = relation !== 'contact'
    const { added, error } = await this.components.store.appendMany(records, { ...options, request })

    if (error?.name === RequestQuotaError.name) {
      this.components.contacts.noteRefused(peer)
    }

    added.forEach((isNew, i) => {
      const stored = records[i] as ChatMessage
      if (isNew) {
        this.safeDispatchEvent('message', { detail: request ? { ...stored, request: true } : stored })
      }
    })

    return { stored: added.length, ...(error === undefined ? {} : { error }) }
  }

  private readonly onConnection = (evt: CustomEvent<Connection>): void => {
    if (!this.components.relayKeeper.isRelay(evt.detail.remotePeer)) {
      this.queue?.kick(evt.detail.remotePeer.toString())
    }
  }

  /** a LAN announcement of a peer we have messages for: try now, not at the end of its backoff */
  private readonly onLanPeer = (evt: CustomEvent<PeerInfo>): void => {
    this.queue?.kick(evt.detail.id.toString())
  }

  /** a blocked member gets none of the room messages still waiting for it, even after an unblock */
  private readonly onContact = (evt: CustomEvent<ContactInfo>): void => {
    const { peerId, relation } = evt.detail
    if (relation === 'blocked') {
      this.tasks.run('drop a blocked member\'s room messages', async (signal) => {
        const dropped = await this.components.store.dropFanout({ member: peerId }, { signal })
        if (dropped > 0) this.log('dropped %d room message(s) waiting for blocked %s', dropped, peerId)
      })
    }
  }

  /** a room left: what its members have not received yet is not sent any more */
  private readonly onRoom = (evt: CustomEvent<RoomEvent>): void => {
    if (evt.detail.status === 'left') {
      const room = roomConversation(evt.detail.id)
      this.tasks.run('drop a left room\'s waiting messages', async (signal) => {
        const dropped = await this.components.store.dropFanout({ room }, { signal })
        if (dropped > 0) this.log('dropped %d waiting message(s) of a room left', dropped)
      })
    }
  }

  private readonly onRelay = (evt: RelayEvent): void => {
    if (evt.detail.status === 'reserved') {
      // peers behind the same relay may be reachable again
      const queue = this.queue
      this.tasks.run('retry every outbox', async () => queue?.kickAll())
    }
  }

  private createQueue (): DeliveryQueue {
    const { store, chat, relayKeeper } = this.components

    return new DeliveryQueue({
      store,
      log: this.log,
      window: this.init.window,
      retryBase: this.init.retryBase,
      retryCap: this.init.retryCap,
      sendBatch: async (peer, messages, options) => {
        if (this.components.contacts.isBlocked(peer)) {
          // kept for after an unblock, but never dialled meanwhile
          throw new BlockedPeerError()
        }

        const peerId = peerIdFromString(peer)
        await relayKeeper.routeThroughRelays(peerId, options)
        await chat.sendBatch(peerId, messages.map(outgoing), options)
      },
      onSent: (m, to) => { this.safeDispatchEvent('sent', { detail: { id: m.id, to, ...this.roomOf(m) } }) },
      onDelivered: (m, to) => { this.safeDispatchEvent('delivered', { detail: { id: m.id, to, ...this.roomOf(m) } }) },
      onFailed: (peer, error, firstFailure) => {
        // tell the user once per failure streak; later attempts are only logged
        if (firstFailure) {
          this.safeDispatchEvent('failing', { detail: { peer, error, outbox: store.outboxSize(peer) } })
        }
      }
    })
  }

  /** `{ room: name }` for a message of a room still joined, `{}` otherwise */
  private roomOf (message: ChatMessage): { room?: string } {
    if (!isRoomConversation(message.peer)) return {}
    const room = this.components.rooms.byId(message.peer.slice(1))
    return room == null ? {} : { room: room.name }
  }
}

type RelayEvent = CustomEvent<{ status: 'reserved' | 'lost' }>

/** A room's conversation in the store: `#` and its id */
function roomConversation (id: string): string {
  return `#${id}`
}

/** A stored message as the protocol sends it: a room message with its room's id and clock */
function outgoing (m: ChatMessage): OutgoingMessage {
  const message: OutgoingMessage = { id: m.id, timestamp: m.ts, text: m.text }
  if (isRoomConversation(m.peer) && m.clock !== undefined) {
    message.room = { id: m.peer.slice(1), clock: m.clock }
  }
  return message
}

/** `messages` cut where they go from direct to a room or from one room to another, in order */
function stretches (messages: IncomingMessage[]): IncomingMessage[][] {
  const out: IncomingMessage[][] = []
  let last: IncomingMessage | undefined
  for (const m of messages) {
    if (last === undefined || last.room?.id !== m.room?.id) {
      out.push([])
    }
    out[out.length - 1]?.push(m)
    last = m
  }
  return out
}
