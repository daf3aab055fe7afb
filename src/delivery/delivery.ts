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
import { RequestQuotaError } from '../store/errors.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { DeliveryQueue } from './queue.ts'
import type { Delivery, DeliveryComponents, DeliveryEvents, DeliveryInit } from './index.ts'
import type { IncomingMessage, MessagesStored } from '../protocol/index.ts'
import type { ChatMessage } from '../types.ts'
import type { AbortOptions, Connection, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface'

export class DeliveryService extends TypedEventEmitter<DeliveryEvents> implements Delivery, Startable {
  readonly [Symbol.toStringTag] = 'securechat:delivery'
  readonly [serviceCapabilities]: string[] = ['securechat:delivery']
  readonly [serviceDependencies]: string[] = ['securechat:chat', 'securechat:contacts', 'securechat:relay-keeper']

  private readonly components: DeliveryComponents
  private readonly init: DeliveryInit
  private readonly log: Logger
  private readonly tasks: BackgroundTasks
  private queue?: DeliveryQueue

  constructor (components: DeliveryComponents, init: DeliveryInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('securechat:delivery')
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.tasks.start()
    this.queue = this.createQueue()
    this.components.chat.handleMessages(this.receive)
    this.components.events.addEventListener('connection:open', this.onConnection)
    this.components.relayKeeper.addEventListener('relay', this.onRelay)
    this.components.lan.addEventListener('peer', this.onLanPeer)
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
    await this.queue?.stop()
  }

  async stop (): Promise<void> {
    await this.tasks.stop()
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
        await chat.sendBatch(peerId, messages.map(m => ({ id: m.id, timestamp: m.ts, text: m.text })), options)
      },
      onSent: (m) => { this.safeDispatchEvent('sent', { detail: { id: m.id, to: m.peer } }) },
      onDelivered: (m) => { this.safeDispatchEvent('delivered', { detail: { id: m.id, to: m.peer } }) },
      onFailed: (peer, error, firstFailure) => {
        // tell the user once per failure streak; later attempts are only logged
        if (firstFailure) {
          this.safeDispatchEvent('failing', { detail: { peer, error, outbox: store.outboxSize(peer) } })
        }
      }
    })
  }
}

type RelayEvent = CustomEvent<{ status: 'reserved' | 'lost' }>
