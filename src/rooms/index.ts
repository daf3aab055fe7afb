/**
 * Rooms, a libp2p service: the rooms this node joined, who proved to be in
 * them, and how members meet. A member proves its membership to each peer
 * it is connected to over /securechat/room-membership/1.0.0 (membership.ts)
 * whenever identify reports a peer that speaks it, so members on one LAN
 * meet through mDNS alone; across networks each member registers on each
 * of its relays' rendezvous points under a namespace derived from the room
 * secret and the day (room-keys.ts), discovers the others there and dials
 * them, through the relay when they are not reachable directly. Joined
 * rooms and their members persist in the store. See docs/PROTOCOL.md,
 * "Rooms". The class is private (rooms.ts).
 */
import { RoomsService } from './rooms.ts'
import type { Contacts } from '../contacts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { RoomEvent, RoomView } from '../types.ts'
import type { RendezvousClient } from '../rendezvous/index.ts'
import type { StoredRoom } from '../store/index.ts'
import type { Clock } from '../util/clock.ts'
import type { ScryptParams } from '../crypto/passphrase-kdf.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface RoomsEvents {
  'room': CustomEvent<RoomEvent>
}

export interface Rooms extends TypedEventTarget<RoomsEvents> {
  /**
   * Joins a room (or returns it, if joined already): derives its keys
   * (memory-hard, about half a second), stores it, proves membership to
   * every connected peer that speaks the protocol and registers on every
   * relay. InvalidRoomNameError, InvalidRoomKeyError, RoomLimitError.
   */
  join(name: string, key?: string, options?: AbortOptions): Promise<RoomView>
  /** Leaves a room named as joined (or by id); resolves with it, or undefined if no such room */
  leave(room: string, options?: AbortOptions): Promise<RoomView | undefined>
  /** The joined rooms, by name */
  rooms(): RoomView[]
  /** A joined room named as the user joined it (as typed, its canonical form, `#name`) or by id */
  find(room: string): JoinedRoom | undefined
  /** The joined room whose id is `id` (what a peer sends: never resolved as a name) */
  byId(id: string): JoinedRoom | undefined
}

/** A joined room, as the services that write to it see it */
export interface JoinedRoom {
  id: string
  name: string
  /** peer ids of the members proven so far, most recent first */
  members: string[]
}

/** What the rooms service needs of the store */
export interface RoomStore {
  rooms(options?: AbortOptions): Promise<StoredRoom[]>
  putRoom(room: StoredRoom, options?: AbortOptions): Promise<void>
  deleteRoom(id: string, options?: AbortOptions): Promise<boolean>
}

export interface RoomsComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  store: RoomStore
  relayKeeper: RelayKeeper
  rendezvous: RendezvousClient
  /** a full room never forgets a contact for a stranger that proved itself later */
  contacts: Pick<Contacts, 'relation'>
}

export interface RoomsInit {
  /** the room secret's cost; tests lower it @default ROOM_SCRYPT */
  scrypt?: ScryptParams
  /** ms between discovery rounds on each relay @default ROOM_DISCOVER_INTERVAL_MS */
  discoverInterval?: number
  /** ms between registrations on each relay @default ROOM_REGISTER_INTERVAL_MS */
  registerInterval?: number
  /** what days are taken from @default realClock */
  clock?: Clock
}

export function rooms (init: RoomsInit = {}): (components: RoomsComponents) => Rooms {
  return (components) => new RoomsService(components, init)
}
