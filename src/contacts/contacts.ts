/**
 * The contacts service (public face: index.ts). Relations, petnames and
 * verification live in the peer book (the store); this service keeps them
 * in memory too, loaded before libp2p starts accepting connections, so the
 * connection gater and every inbound message can ask without a disk read.
 */
import { serviceCapabilities } from '@libp2p/interface'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { UnsupportedPeerKeyError } from '../protocol/errors.ts'
import { nicknameProblem } from '../protocol/nickname.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { safetyNumber } from './safety-number.ts'
import type { ContactInfo, Contacts, ContactsComponents, ContactsEvents, ContactsInit, PeerRelation, SafetyNumber } from './index.ts'
import type { RequestSummary, StoredPeer } from '../store/index.ts'
import type { AbortOptions, Logger, PeerId, Startable } from '@libp2p/interface'

/** The peer-store tag that makes libp2p prune a contact's connections last */
const CONTACT_TAG = 'securechat-contact'
const DEFAULT_TAG_VALUE = 100

interface Known {
  relation?: 'contact' | 'blocked'
  petname?: string
  verified: boolean
}

export class ContactsService extends TypedEventEmitter<ContactsEvents> implements Contacts, Startable {
  readonly [Symbol.toStringTag] = 'securechat:contacts'
  readonly [serviceCapabilities]: string[] = ['securechat:contacts']

  private readonly components: ContactsComponents
  private readonly log: Logger
  private readonly tagValue: number
  private readonly tasks: BackgroundTasks
  /** peers with a relation, a petname or a verification; everyone else is a stranger */
  private readonly known = new Map<string, Known>()
  /** strangers whose messages the full quarantine refused (bounded like the quarantine: one entry per held peer) */
  private readonly refused = new Set<string>()

  constructor (components: ContactsComponents, init: ContactsInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:contacts')
    this.tagValue = init.tagValue ?? DEFAULT_TAG_VALUE
    this.tasks = new BackgroundTasks(this.log)
  }

  /** before any transport listens: the gater must know who is blocked from the first connection on */
  async beforeStart (): Promise<void> {
    this.known.clear()

    for (const p of await this.components.store.peers()) {
      this.remember(p)
    }
  }

  async start (): Promise<void> {
    this.tasks.start()

    for (const [peer, k] of this.known) {
      if (k.relation === 'contact') {
        this.tasks.run('tag a contact', async (signal) => this.tag(peer, true, signal))
      }
    }
  }

  async stop (): Promise<void> {
    await this.tasks.stop()
  }

  relation (peer: string): PeerRelation {
    const relation = this.known.get(peer)?.relation

    if (relation != null) {
      return relation
    }

    return this.components.store.hasRequests(peer) ? 'request' : 'stranger'
  }

  info (peer: string): ContactInfo {
    const k = this.known.get(peer)
    const info: ContactInfo = { peerId: peer, relation: this.relation(peer), verified: k?.verified ?? false }

    if (k?.petname != null) {
      info.petname = k.petname
    }

    return info
  }

  isContact (peer: string): boolean {
    return this.known.get(peer)?.relation === 'contact'
  }

  isBlocked (peer: string): boolean {
    return this.known.get(peer)?.relation === 'blocked'
  }

  requests (): RequestSummary[] {
    return this.components.store.requests().filter(r => !this.isBlocked(r.peer))
  }

  noteRefused (peer: string): void {
    if (this.components.store.hasRequests(peer)) {
      this.refused.add(peer)
    }
  }

  async add (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    if (!this.isContact(peer.toString())) {
      await this.accept(peer, options)
    }
  }

  async accept (peer: PeerId, options: AbortOptions = {}): Promise<number> {
    this.checkNotSelf(peer)
    const key = peer.toString()
    const wasRefused = this.refused.delete(key)
    // a contact first, then the held requests freed: a message that arrives
    // in between is already no request (the other order could leave it in
    // the quarantine for good)
    await this.update(peer, { relation: 'contact' }, options)
    const held = await this.components.store.acceptRequests(key, options)
    this.tasks.run('tag a contact', async (signal) => this.tag(key, true, signal))

    if (wasRefused) {
      // the sender's outbox keeps what the full quarantine did not
      // acknowledge, and retries with a backoff of up to a minute; a new
      // connection makes it retry now
      this.tasks.run('reconnect an accepted peer', async (signal) => {
        await this.components.connectionManager.closeConnections(peer, { signal })
        await this.components.connectionManager.openConnection(peer, { signal }).catch(() => {})
      })
    }

    return held
  }

  async decline (peer: PeerId, options: AbortOptions = {}): Promise<number> {
    this.refused.delete(peer.toString())
    return this.components.store.dropRequests(peer.toString(), options)
  }

  async block (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    this.checkNotSelf(peer)
    await this.update(peer, { relation: 'blocked' }, options)
    await this.components.store.dropRequests(peer.toString(), options)
    this.refused.delete(peer.toString())
    this.tasks.run('untag a blocked peer', async (signal) => this.tag(peer.toString(), false, signal))
    await this.components.connectionManager.closeConnections(peer, options)
  }

  async unblock (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    if (this.isBlocked(peer.toString())) {
      await this.update(peer, { relation: null }, options)
    }
  }

  async setPetname (peer: PeerId, petname: string | null, options: AbortOptions = {}): Promise<void> {
    this.checkNotSelf(peer)

    if (petname != null) {
      const problem = nicknameProblem(petname)

      if (problem != null) {
        throw new TypeError(`petname ${problem}`)
      }
    }

    await this.update(peer, { petname }, options)
  }

  async verify (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    await this.add(peer, options)
    await this.update(peer, { verified: true }, options)
  }

  safety (peer: PeerId): SafetyNumber {
    if (peer.publicKey == null) {
      throw new UnsupportedPeerKeyError('this peer id does not embed its public key')
    }

    const number = safetyNumber(
      { publicKey: publicKeyToProtobuf(this.components.privateKey.publicKey), id: this.components.peerId.toString() },
      { publicKey: publicKeyToProtobuf(peer.publicKey), id: peer.toString() }
    )

    return { peerId: peer.toString(), number, verified: this.known.get(peer.toString())?.verified ?? false }
  }

  private checkNotSelf (peer: PeerId): void {
    if (peer.equals(this.components.peerId)) {
      throw new TypeError('that is this node')
    }
  }

  private async update (peer: PeerId, change: { relation?: 'contact' | 'blocked' | null, petname?: string | null, verified?: boolean }, options: AbortOptions): Promise<void> {
    const stored = await this.components.store.putPeer({ peerId: peer.toString(), ...change }, options)
    this.remember(stored)
    this.safeDispatchEvent('contact', { detail: this.info(peer.toString()) })
  }

  private remember (p: StoredPeer): void {
    if (p.relation == null && p.petname == null && p.verified !== true) {
      this.known.delete(p.peerId)
      return
    }

    this.known.set(p.peerId, { relation: p.relation, petname: p.petname, verified: p.verified === true })
  }

  /** contacts' connections are the last libp2p prunes */
  private async tag (peer: string, on: boolean, signal: AbortSignal): Promise<void> {
    await this.components.peerStore.merge(peerIdFromString(peer), { tags: { [CONTACT_TAG]: on ? { value: this.tagValue } : undefined } }, { signal })
  }
}
