/**
 * One store record (StoreRecord, as the store's records() yields them and
 * restore() takes them) as an archive record (pb/archive.proto), both ways,
 * through one validation: export refuses to write what import would refuse
 * to read. Decoding never throws anything but ArchiveCorruptError, whatever
 * the bytes; messages name the field, never its contents.
 *
 * A room message (format version 3 on) is a message of a room's
 * conversation: its peer is `#` and the room id, its sender any member, and
 * it carries the room's Lamport clock, which no other message does. Whether
 * a version may hold one is the stream's to check (stream.ts).
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_NICKNAME_BYTES, MAX_TEXT_BYTES } from '../protocol/constants.ts'
import { isKeyPart } from '../store/keys.ts'
import { isClock, isRoomConversation } from '../store/records.ts'
import { roomProblem as storedRoomProblem } from '../store/room-record.ts'
import { ArchiveCorruptError } from './errors.ts'
import { ArchiveRecord } from './pb/archive.ts'
import type { StoreRecord, StoredPeer, StoredRoom } from '../store/index.ts'
import type { ChatMessage } from '../types.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

const RELATIONS: ReadonlySet<unknown> = new Set(['contact', 'blocked'])
const STATUSES: ReadonlySet<unknown> = new Set(['pending', 'sent', 'delivered', 'read'])

/**
 * The fields an archive holds. A field the store gains and this format does
 * not know would be dropped without a word, so export refuses it instead:
 * the format (and ARCHIVE_VERSION) must follow first.
 */
const PEER_FIELDS: ReadonlySet<string> = new Set(['peerId', 'name', 'relation', 'petname', 'verified', 'addrs', 'firstSeen', 'lastSeen'])
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['id', 'peer', 'direction', 'from', 'name', 'text', 'ts', 'status', 'clock'])
const ROOM_FIELDS: ReadonlySet<string> = new Set(['id', 'name', 'key', 'proofKey', 'rendezvousKey', 'joinedAt', 'members'])
const MEMBER_FIELDS: ReadonlySet<string> = new Set(['peerId', 'provenAt'])
const RECORD_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  identity: new Set(['type', 'key']),
  peer: new Set(['type', 'peer']),
  room: new Set(['type', 'room']),
  message: new Set(['type', 'message', 'request'])
}

function hasOnly (value: object, fields: ReadonlySet<string>): boolean {
  return Object.keys(value).every(key => fields.has(key))
}

function isPeerId (value: unknown): boolean {
  if (!isKeyPart(value)) {
    return false
  }
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

function isTimestamp (value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value)
}

function isOptionalString (value: unknown): boolean {
  return value === undefined || typeof value === 'string'
}

const encoder = new TextEncoder()

/** A string of at most `max` UTF-8 bytes */
function fits (value: string, max: number): boolean {
  return value.length <= max && encoder.encode(value).length <= max
}

/**
 * Bounds a restored node could not have written: no more than the protocol
 * lets a text or a nickname be, and no more addresses than presence keeps
 * (8) with room to spare. Only sizes: the text and nickname rules changed
 * over time, and history written under an older one must still restore.
 */
const MAX_ADDRS = 32
const MAX_ADDR_LENGTH = 1024

function identityProblem (key: unknown): string | undefined {
  if (!(key instanceof Uint8Array)) {
    return 'identity: bad key'
  }
  try {
    privateKeyFromProtobuf(key)
    return undefined
  } catch {
    return 'identity: not a private key'
  }
}

function peerProblem (peer: StoredPeer): string | undefined {
  if (typeof peer !== 'object' || peer === null || !hasOnly(peer, PEER_FIELDS)) {
    return 'peer: not an object, or unknown fields'
  }
  if (!isPeerId(peer.peerId)) {
    return 'peer: bad peer id'
  }
  if (!isOptionalString(peer.name) || !isOptionalString(peer.petname) ||
    !fits(peer.name ?? '', MAX_NICKNAME_BYTES) || !fits(peer.petname ?? '', MAX_NICKNAME_BYTES)) {
    return 'peer: bad name or petname'
  }
  if (peer.relation !== undefined && !RELATIONS.has(peer.relation)) {
    return 'peer: bad relation'
  }
  if (peer.verified !== undefined && peer.verified !== true) {
    return 'peer: bad verified mark'
  }
  if (!Array.isArray(peer.addrs) || peer.addrs.length > MAX_ADDRS || !peer.addrs.every(addr => typeof addr === 'string' && addr.length <= MAX_ADDR_LENGTH)) {
    return 'peer: bad addresses'
  }
  if (!isTimestamp(peer.firstSeen) || !isTimestamp(peer.lastSeen) || peer.firstSeen > peer.lastSeen) {
    return 'peer: bad first or last seen time'
  }
  return undefined
}

/**
 * The store's own check of a room (its bounds: the size of the name and
 * the key, at most MAX_ROOM_MEMBERS members, each once), and members that
 * are libp2p peer ids. How many rooms there are is the stream's to count
 * (stream.ts).
 */
function roomProblem (room: StoredRoom): string | undefined {
  if (typeof room !== 'object' || room === null || !hasOnly(room, ROOM_FIELDS)) {
    return 'room: not an object, or unknown fields'
  }
  if (!Array.isArray(room.members) || !room.members.every(m => typeof m === 'object' && m !== null && hasOnly(m, MEMBER_FIELDS))) {
    return 'room: bad members, or unknown fields'
  }
  const problem = storedRoomProblem(room)
  if (problem !== undefined) {
    return `room: ${problem}`
  }
  if (!room.members.every(m => isPeerId(m.peerId))) {
    return 'room: a member is not a peer id'
  }
  return undefined
}

/** Whether `message` belongs to a room's conversation (`#` and the room id) rather than a peer's */
export function isRoomMessage (message: ChatMessage): boolean {
  return typeof message.peer === 'string' && isRoomConversation(message.peer)
}

function messageProblem (message: ChatMessage, request: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || !hasOnly(message, MESSAGE_FIELDS)) {
    return 'message: not an object, or unknown fields'
  }
  if (!isKeyPart(message.id)) {
    return 'message: bad id'
  }
  const room = isRoomMessage(message)
  if ((!room && !isPeerId(message.peer)) || !isPeerId(message.from)) {
    return 'message: bad peer or sender'
  }
  // the clock is on every room message and on nothing else, as the store has it
  if (room && !isClock(message.clock)) {
    return 'message: a room message without a valid clock'
  }
  if (!room && message.clock !== undefined) {
    return 'message: a clock on a message that is not a room message'
  }
  if (message.direction !== 'in' && message.direction !== 'out') {
    return 'message: bad direction'
  }
  if (typeof message.name !== 'string' || typeof message.text !== 'string' ||
    !fits(message.name, MAX_NICKNAME_BYTES) || !fits(message.text, MAX_TEXT_BYTES)) {
    return 'message: bad name or text'
  }
  if (message.direction === 'in' && !room && message.from !== message.peer) {
    return 'message: an incoming message not from its peer'
  }
  if (!isTimestamp(message.ts)) {
    return 'message: bad time'
  }
  if (message.status !== undefined && (message.direction !== 'out' || !STATUSES.has(message.status))) {
    return 'message: bad status'
  }
  // members post to a room without being contacts: a room message is never held as a request
  if (typeof request !== 'boolean' || (request && (message.direction !== 'in' || room))) {
    return 'message: bad request mark'
  }
  return undefined
}

/** Why `record` cannot be archived (or restored); undefined if it can */
export function recordProblem (record: StoreRecord): string | undefined {
  const fields = RECORD_FIELDS[record.type]
  if (fields === undefined || !hasOnly(record, fields)) {
    return 'unknown record type, or unknown fields'
  }
  switch (record.type) {
    case 'identity':
      return identityProblem(record.key)
    case 'peer':
      return peerProblem(record.peer)
    case 'room':
      return roomProblem(record.room)
    case 'message':
      return messageProblem(record.message, record.request)
    default:
      return 'unknown record type'
  }
}

function toProtobuf (record: StoreRecord): ArchiveRecord {
  switch (record.type) {
    case 'identity':
      return { identity: { key: new Uint8Array(record.key) } }
    case 'peer': {
      const { peerId, name, relation, petname, verified, addrs, firstSeen, lastSeen } = record.peer
      return { peer: { peerId, name, relation, petname, verified: verified === true, addrs, firstSeen, lastSeen } }
    }
    case 'room': {
      const { id, name, key, proofKey, rendezvousKey, joinedAt, members } = record.room
      return {
        room: {
          id, name, key, proofKey: new Uint8Array(proofKey), rendezvousKey: new Uint8Array(rendezvousKey), joinedAt,
          members: members.map(({ peerId, provenAt }) => ({ peerId, provenAt }))
        }
      }
    }
    case 'message': {
      const { id, peer, direction, from, name, text, ts, status, clock } = record.message
      return { message: { id, peer, direction, from, name, text, ts, status, request: record.request, clock } }
    }
  }
}

/** The shape records() yields: optional fields only when set */
function fromProtobuf (record: ArchiveRecord): StoreRecord {
  if (record.identity != null) {
    return { type: 'identity', key: record.identity.key }
  }
  if (record.peer != null) {
    const { peerId, name, relation, petname, verified, addrs, firstSeen, lastSeen } = record.peer
    const peer: StoredPeer = { peerId, addrs, firstSeen, lastSeen }
    if (name !== undefined) {
      peer.name = name
    }
    if (relation !== undefined) {
      peer.relation = relation as StoredPeer['relation']
    }
    if (petname !== undefined) {
      peer.petname = petname
    }
    if (verified) {
      peer.verified = true
    }
    return { type: 'peer', peer }
  }
  if (record.room != null) {
    const { id, name, key, proofKey, rendezvousKey, joinedAt, members } = record.room
    const room: StoredRoom = { id, name, proofKey, rendezvousKey, joinedAt, members: members.map(({ peerId, provenAt }) => ({ peerId, provenAt })) }
    if (key !== undefined) {
      room.key = key
    }
    return { type: 'room', room }
  }
  if (record.message != null) {
    const { id, peer, direction, from, name, text, ts, status, request, clock } = record.message
    const message: ChatMessage = { id, peer, direction: direction as ChatMessage['direction'], from, name, text, ts }
    if (status !== undefined) {
      message.status = status as ChatMessage['status']
    }
    if (clock !== undefined) {
      message.clock = clock
    }
    return { type: 'message', message, request }
  }
  throw new ArchiveCorruptError('archive holds a record of no known type')
}

/** The protobuf encoding of `record`; TypeError if it breaks the record rules */
export function encodeRecord (record: StoreRecord): Uint8Array {
  const problem = recordProblem(record)
  if (problem !== undefined) {
    throw new TypeError(`cannot archive an invalid record (${problem})`)
  }
  return ArchiveRecord.encode(toProtobuf(record))
}

/** A validated store record; ArchiveCorruptError for anything else */
export function decodeRecord (bytes: Uint8Array | Uint8ArrayList): StoreRecord {
  let decoded: ArchiveRecord
  try {
    decoded = ArchiveRecord.decode(bytes)
  } catch (err) {
    throw new ArchiveCorruptError('archive holds a record that does not decode', { cause: err })
  }
  const record = fromProtobuf(decoded)
  const problem = recordProblem(record)
  if (problem !== undefined) {
    throw new ArchiveCorruptError(`archive holds an invalid record (${problem})`)
  }
  return record
}
