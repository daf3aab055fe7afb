/**
 * The rooms service (public face: index.ts). State: the joined rooms, as
 * stored, with their keys; which members are online (proved on a
 * connection that is open). Membership is proved per connection, both
 * ways: we open the exchange when identify reports a peer that speaks it,
 * and answer when a peer opens it. Meeting through relays is
 * rendezvous-rounds.ts.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { openConnections } from '../net/multiaddr.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { realClock } from '../util/clock.ts'
import { Serial } from '../util/serial.ts'
import { NodeStoppedError } from '../errors.ts'
import { MAX_MEMBERSHIP_INBOUND_STREAMS, MAX_MEMBERSHIP_OUTBOUND_STREAMS, MEMBER_RENEW_MS } from './constants.ts'
import { InvalidRoomNameError } from './errors.ts'
import { MAX_JOINED_ROOMS, MEMBERSHIP_PROTOCOL_ID, MEMBERSHIP_TIMEOUT_MS, proveAsInitiator, proveAsResponder } from './membership.ts'
import { RendezvousRounds } from './rendezvous-rounds.ts'
import { canonicalRoomName, deriveRoomKeys, roomNameProblem } from './room-keys.ts'
import { MAX_ROOM_MEMBERS } from '../store/constants.ts'
import { RoomLimitError } from '../store/errors.ts'
import type { JoinedRoom, Rooms, RoomsComponents, RoomsEvents, RoomsInit } from './index.ts'
import type { RoomView } from '../types.ts'
import type { RoomKeys } from './room-keys.ts'
import type { StoredMember, StoredRoom } from '../store/index.ts'
import type { Clock } from '../util/clock.ts'
import type { AbortOptions, Connection, IdentifyResult, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

export class RoomsService extends TypedEventEmitter<RoomsEvents> implements Rooms, Startable {
  readonly [Symbol.toStringTag] = 'securechat:rooms'
  readonly [serviceCapabilities]: string[] = ['securechat:rooms']
  readonly [serviceDependencies]: string[] = ['@libp2p/identify', 'securechat:contacts', 'securechat:relay-keeper', 'securechat:rendezvous-client']

  private readonly components: RoomsComponents
  private readonly init: RoomsInit
  private readonly log: Logger
  private readonly clock: Clock
  private readonly tasks: BackgroundTasks
  private readonly rounds: RendezvousRounds
  /** joined rooms by id */
  private readonly joined = new Map<string, StoredRoom>()
  /** members online per room id: proved on a connection that is still open */
  private readonly online = new Map<string, Set<string>>()
  /** joins and leaves, one at a time, so that the 64-room bound and the stored list agree */
  private readonly changes = new Serial()
  private started = false

  constructor (components: RoomsComponents, init: RoomsInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('securechat:rooms')
    this.clock = init.clock ?? realClock
    this.tasks = new BackgroundTasks(this.log)
    this.rounds = new RendezvousRounds({
      components,
      log: this.log,
      clock: this.clock,
      rooms: () => [...this.joined.values()],
      discoverInterval: init.discoverInterval,
      registerInterval: init.registerInterval
    })
  }

  async start (): Promise<void> {
    this.tasks.start()

    for (const room of await this.components.store.rooms()) {
      this.joined.set(room.id, room)
    }

    await this.components.registrar.handle(MEMBERSHIP_PROTOCOL_ID, this.onStream, {
      maxInboundStreams: MAX_MEMBERSHIP_INBOUND_STREAMS,
      maxOutboundStreams: MAX_MEMBERSHIP_OUTBOUND_STREAMS,
      // members behind NAT meet over the relay's circuit first
      runOnLimitedConnection: true
    })
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    this.started = true
  }

  async afterStart (): Promise<void> {
    this.rounds.start()
  }

  async stop (): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.rounds.stop()
    await this.components.registrar.unhandle(MEMBERSHIP_PROTOCOL_ID)
    await this.tasks.stop()
    await this.changes.idle()
    this.joined.clear()
    this.online.clear()
  }

  isStarted (): boolean {
    return this.started
  }

  private checkStarted (): void {
    if (!this.started) {
      throw new NodeStoppedError()
    }
  }

  async join (name: string, key?: string, options: AbortOptions = {}): Promise<RoomView> {
    this.checkStarted()
    const problem = roomNameProblem(name)
    if (problem !== undefined) {
      throw new InvalidRoomNameError(`room name ${problem}`)
    }

    const keys = await deriveRoomKeys(name, key, { params: this.init.scrypt, signal: options.signal })
    return this.changes.run(async () => {
      // stop() may have come during the derivation
      this.checkStarted()
      const existing = this.joined.get(keys.id)
      if (existing != null) {
        return this.view(existing)
      }
      if (this.joined.size >= MAX_JOINED_ROOMS) {
        throw new RoomLimitError(`a node can be in at most ${MAX_JOINED_ROOMS} rooms: /leave one first`)
      }

      const room: StoredRoom = { ...keys, name, joinedAt: this.clock.now(), members: [] }
      if (key !== undefined) room.key = key
      await this.components.store.putRoom(room, options)
      this.joined.set(room.id, room)
      this.emit(room, 'joined')
      this.proveToEveryone()
      this.rounds.roomsChanged()
      return this.view(room)
    })
  }

  async leave (room: string, options: AbortOptions = {}): Promise<RoomView | undefined> {
    this.checkStarted()
    return this.changes.run(async () => {
      this.checkStarted()
      const found = this.findStored(room)
      if (found == null) {
        return undefined
      }

      await this.components.store.deleteRoom(found.id, options)
      this.joined.delete(found.id)
      const view = this.view(found)
      this.online.delete(found.id)
      this.rounds.left(found)
      this.emit(found, 'left')
      return view
    })
  }

  rooms (): RoomView[] {
    return [...this.joined.values()].map(r => this.view(r)).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  find (room: string): JoinedRoom | undefined {
    const found = this.findStored(room)
    return found == null ? undefined : joinedRoom(found)
  }

  byId (id: string): JoinedRoom | undefined {
    const found = this.joined.get(id)
    return found == null ? undefined : joinedRoom(found)
  }

  /** a room by the name it was joined under (as typed, `#name`, or its canonical form), or by id */
  private findStored (room: string): StoredRoom | undefined {
    const byId = this.joined.get(room)
    if (byId != null) return byId
    const named = (name: string): StoredRoom | undefined => {
      const canonical = canonicalRoomName(name)
      return [...this.joined.values()].find(r => canonicalRoomName(r.name) === canonical)
    }
    // a room may be called `#x` itself: the name as given first
    return named(room) ?? (room.startsWith('#') ? named(room.slice(1)) : undefined)
  }

  private view (room: StoredRoom): RoomView {
    const online = this.online.get(room.id)
    return {
      id: room.id,
      name: room.name,
      hasKey: room.key !== undefined,
      joinedAt: room.joinedAt,
      members: room.members.map(m => ({ peerId: m.peerId, provenAt: m.provenAt, online: online?.has(m.peerId) === true }))
    }
  }

  private emit (room: StoredRoom, status: 'joined' | 'left' | 'online' | 'offline', member?: string): void {
    this.safeDispatchEvent('room', { detail: { room: room.name, id: room.id, status, ...(member == null ? {} : { member }) } })
  }

  private keys (): RoomKeys[] {
    return [...this.joined.values()]
  }

  /**
   * `connection`'s peer proved it is in the rooms `ids`. Stored as a member
   * (its proof time renewed at most every MEMBER_RENEW_MS, not on every
   * exchange); online if the connection is still open once that is done.
   */
  private async proven (connection: Connection, ids: string[], signal: AbortSignal): Promise<void> {
    const member = connection.remotePeer.toString()
    const now = this.clock.now()

    for (const id of ids) {
      await this.changes.run(async () => {
        if (!this.started) return
        const room = this.joined.get(id)
        const known = room?.members.find(m => m.peerId === member)
        if (room == null || (known != null && now - known.provenAt < MEMBER_RENEW_MS)) return
        const members = room.members.filter(m => m.peerId !== member)
        members.push({ peerId: member, provenAt: now })
        // a full room forgets the member that proved itself longest ago, contacts last:
        // a stranger's sybils (proofs cost nothing in a room without a key) cannot push out the user's contacts
        const isContact = (m: StoredMember): number => this.components.contacts.relation(m.peerId) === 'contact' ? 1 : 0
        members.sort((a, b) => (isContact(b) - isContact(a)) || (b.provenAt - a.provenAt))
        const kept = members.slice(0, MAX_ROOM_MEMBERS)
        // a member in memory first: its first room message may come as soon as its proof went out
        this.joined.set(id, { ...room, members: kept })
        try {
          await this.components.store.putRoom({ ...room, members: kept }, { signal })
        } catch (err) {
          if (this.joined.get(id)?.members === kept) this.joined.set(id, room)
          throw err
        }
        for (const gone of members.slice(MAX_ROOM_MEMBERS)) {
          this.online.get(id)?.delete(gone.peerId)
        }
      })

      const room = this.joined.get(id)
      // the peer may have hung up while its membership was written: then it is not online
      if (room == null || connection.status !== 'open' || !room.members.some(m => m.peerId === member)) continue
      let online = this.online.get(id)
      if (online == null) {
        online = new Set()
        this.online.set(id, online)
      }
      if (!online.has(member)) {
        online.add(member)
        this.emit(room, 'online', member)
      }
    }
  }

  /** run the exchange as opener with every connected peer that speaks it: a room was joined */
  private proveToEveryone (): void {
    for (const connection of openConnections(this.components.connectionManager.getConnections())) {
      this.tasks.run('prove membership', async (signal) => {
        const peer = await this.components.peerStore.get(connection.remotePeer, { signal }).catch(() => undefined)
        if (peer?.protocols.includes(MEMBERSHIP_PROTOCOL_ID) === true) {
          await this.prove(connection, signal)
        }
      })
    }
  }

  private async prove (connection: Connection, signal: AbortSignal): Promise<void> {
    if (this.joined.size === 0 || this.components.relayKeeper.isRelay(connection.remotePeer)) {
      return
    }

    const exchange = signalWithTimeout(MEMBERSHIP_TIMEOUT_MS, signal)
    let stream: Stream | undefined
    try {
      stream = await connection.newStream(MEMBERSHIP_PROTOCOL_ID, { runOnLimitedConnection: true, signal: exchange })
      const result = await proveAsInitiator(stream, { local: this.components.peerId, remote: connection.remotePeer }, this.keys(), { signal: exchange })
      await this.proven(connection, result.proven, signal)
    } catch (err) {
      stream?.abort(err as Error)
      this.log('membership with %p failed - %e', connection.remotePeer, err)
    }
  }

  private readonly onStream = (stream: Stream, connection: Connection): void => {
    this.tasks.run('answer a membership proof', async (signal) => {
      const exchange = signalWithTimeout(MEMBERSHIP_TIMEOUT_MS, signal)
      try {
        const result = await proveAsResponder(stream, { local: this.components.peerId, remote: connection.remotePeer }, this.keys(), { signal: exchange })
        await this.proven(connection, result.proven, signal)
      } catch (err) {
        stream.abort(err as Error)
        this.log('membership proof of %p refused - %e', connection.remotePeer, err)
      }
    })
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, connection } = evt.detail
    if (protocols.includes(MEMBERSHIP_PROTOCOL_ID) && !peerId.equals(this.components.peerId)) {
      this.tasks.run('prove membership', async (signal) => this.prove(connection, signal))
    }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const member = evt.detail.toString()
    for (const [id, online] of this.online) {
      const room = this.joined.get(id)
      if (online.delete(member) && room != null) {
        this.emit(room, 'offline', member)
      }
    }
  }
}

function joinedRoom (room: StoredRoom): JoinedRoom {
  return { id: room.id, name: room.name, members: room.members.map(m => m.peerId) }
}
