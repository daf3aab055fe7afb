/**
 * The JSON events of `securechat --json`, as a black-box test sees them: one
 * object per stdout line. Written from the documented schema, not imported
 * from src/, so the tests check the CLI's output rather than trust it.
 */

export type PeerStatus = 'discovered' | 'connected' | 'disconnected'
export type ConnectionKind = 'direct' | 'relayed'
export type PeerRelation = 'contact' | 'request' | 'stranger' | 'blocked'

export interface ReadyEvent { type: 'ready', peerId: string, name: string, addrs: string[] }
export interface WebEvent { type: 'web', url: string, waiting?: 'create' | 'unlock' }
export interface FileEvent { type: 'file', id: string, status: 'complete' | 'failed' | 'declined', path?: string, reason?: string }
export interface PeerEvent { type: 'peer', peerId: string, name?: string, status: PeerStatus, connection?: ConnectionKind }
export interface MessageEvent { type: 'message', id: string, from: string, name: string, text: string, ts: number, request?: true, room?: string }
export interface PostedEvent { type: 'posted', id: string, room: string, text: string, ts: number, clock: number, to: string[] }
export interface PendingEvent { type: 'pending', id: string, to: string, text: string, ts: number, stranger?: true }
export interface DeliveredEvent { type: 'delivered', id: string, to: string, room?: string }
export interface SentEvent { type: 'sent', id: string, to: string }

export interface HistoryMessage {
  id: string
  peer: string
  direction: 'in' | 'out'
  from: string
  name: string
  text: string
  ts: number
  status?: string
}

export interface HistoryEvent { type: 'history', peer: string, messages: HistoryMessage[] }

export interface PeerInfo {
  peerId: string
  name?: string
  online: boolean
  connection?: ConnectionKind
  addrs: string[]
  firstSeen: number
  lastSeen: number
  relation?: PeerRelation
  petname?: string
  verified?: boolean
}

export interface PeersEvent { type: 'peers', peers: PeerInfo[] }
export interface RelayInfo { addr: string, peerId: string, connected: boolean, reserved: boolean }
export interface WhoamiEvent { type: 'whoami', peerId: string, name: string, addrs: string[], relays?: RelayInfo[] }
export interface ErrorEvent { type: 'error', code: string, message: string, id?: string, peer?: string }
export interface RelayEvent { type: 'relay', peerId: string, addr: string, status: 'reserved' | 'lost' }
export interface ConnectedEvent { type: 'connected', peerId: string }
export interface ReadEvent { type: 'read', id: string, by: string }
export interface RequestsEvent { type: 'requests', requests: Array<{ peerId: string, name?: string, messages: number, bytes: number }> }
export interface AcceptedEvent { type: 'accepted', peerId: string, messages: number }
export interface DeclinedEvent { type: 'declined', peerId: string, messages: number }
export interface ContactEvent { type: 'contact', peerId: string, relation: PeerRelation, petname?: string, verified: boolean }
export interface SafetyEvent { type: 'safety', peer: string, number: string, verified: boolean }
export interface RoomEvent { type: 'room', room: string, id: string, status: 'joined' | 'left' | 'online' | 'offline', member?: string, name?: string }
export interface RoomInfo { id: string, name: string, hasKey: boolean, joinedAt: number, members: Array<{ peerId: string, name?: string, online: boolean, provenAt: number }> }
export interface RoomsEvent { type: 'rooms', rooms: RoomInfo[] }

/** `securechat relay --json` prints `ready` (without a name), then these */
export interface ReservationEvent { type: 'reservation', peerId: string, expiry: number }
export interface StoppedEvent { type: 'stopped' }

export type ChatEvent =
  | ReadyEvent | PeerEvent | MessageEvent | PendingEvent | PostedEvent | DeliveredEvent | SentEvent
  | HistoryEvent | PeersEvent | WhoamiEvent | ErrorEvent | RelayEvent | ConnectedEvent
  | ReadEvent | RequestsEvent | AcceptedEvent | DeclinedEvent | ContactEvent | SafetyEvent
  | RoomEvent | RoomsEvent | ReservationEvent | StoppedEvent | WebEvent | FileEvent

export type ChatEventType = ChatEvent['type']
export type EventOf<K extends ChatEventType> = Extract<ChatEvent, { type: K }>

/** A predicate over events, with a description for timeout messages */
export interface Matcher<T extends ChatEvent = ChatEvent> {
  (event: ChatEvent): event is T
  description?: string
}

/**
 * Match events of one type whose fields equal `fields` (shallow, `===`),
 * e.g. `is('peer', { peerId, status: 'connected' })`.
 */
export function is<K extends ChatEventType> (type: K, fields: Partial<Omit<EventOf<K>, 'type'>> = {}): Matcher<EventOf<K>> {
  const matcher: Matcher<EventOf<K>> = (event: ChatEvent): event is EventOf<K> => {
    if (event.type !== type) {
      return false
    }
    const record = event as unknown as Record<string, unknown>
    return Object.entries(fields).every(([key, value]) => record[key] === value)
  }
  matcher.description = JSON.stringify({ type, ...fields })
  return matcher
}

/** Match events of one type that also pass `test` */
export function where<K extends ChatEventType> (type: K, description: string, test: (event: EventOf<K>) => boolean): Matcher<EventOf<K>> {
  const matcher: Matcher<EventOf<K>> = (event: ChatEvent): event is EventOf<K> =>
    event.type === type && test(event as EventOf<K>)
  matcher.description = `${type} event: ${description}`
  return matcher
}
