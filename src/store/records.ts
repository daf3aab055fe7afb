/**
 * Pure plaintext codecs of the records inside encrypted values, with strict
 * shape validation. Input checks return a problem description (the caller
 * throws TypeError); stored records that fail validation are corrupt.
 * Problem descriptions name the field, never its contents.
 */
import type { ChatMessage, MessageStatus } from '../types.ts'
import { isKeyPart } from './keys.ts'
import type { StoredPeer } from './index.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export const MESSAGE_STATUSES: readonly MessageStatus[] = ['pending', 'sent', 'delivered', 'read']

/** Position of a status in its forward-only order; -1 for none */
export function statusRank (status: MessageStatus | undefined): number {
  return status === undefined ? -1 : MESSAGE_STATUSES.indexOf(status)
}

export function isMessageStatus (value: unknown): value is MessageStatus {
  return typeof value === 'string' && (MESSAGE_STATUSES as readonly string[]).includes(value)
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function unknownField (value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(value).find(key => !allowed.includes(key))
}

function isTimestamp (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

const MESSAGE_FIELDS = ['id', 'peer', 'direction', 'from', 'name', 'text', 'ts', 'status', 'clock'] as const

/** A room's conversation: `#` and the room id (src/rooms/room-keys.ts); no peer id starts with `#` */
const ROOM_CONVERSATION = /^#[0-9a-f]{32}$/

/** Whether `peer` names a room's conversation rather than a peer */
export function isRoomConversation (peer: string): boolean {
  return ROOM_CONVERSATION.test(peer)
}

/** A Lamport clock: a non-negative safe integer */
export function isClock (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Why `value` is not a ChatMessage; `undefined` if it is. With `strict`, unknown fields are a problem too. */
export function messageProblem (value: unknown, strict: boolean): string | undefined {
  if (!isRecord(value)) {
    return 'not an object'
  }
  if (strict) {
    const extra = unknownField(value, MESSAGE_FIELDS)
    if (extra !== undefined) {
      return 'unknown field'
    }
  }
  if (!isKeyPart(value.id)) {
    return 'bad id'
  }
  if (!isKeyPart(value.peer)) {
    return 'bad peer'
  }
  if (value.direction !== 'in' && value.direction !== 'out') {
    return 'bad direction'
  }
  if (typeof value.from !== 'string' || value.from.length === 0) {
    return 'bad from'
  }
  if (typeof value.name !== 'string') {
    return 'bad name'
  }
  if (typeof value.text !== 'string') {
    return 'bad text'
  }
  if (!isTimestamp(value.ts)) {
    return 'bad ts'
  }
  // a room message carries its room's clock, and only a room message does
  if (value.peer.startsWith('#')) {
    if (!isRoomConversation(value.peer)) {
      return 'bad peer'
    }
    if (!isClock(value.clock)) {
      return 'bad clock'
    }
    if (!isKeyPart(value.from)) {
      return 'bad from'
    }
  } else if (value.clock !== undefined) {
    return 'clock on a message that is not a room message'
  }
  if (value.status !== undefined) {
    if (!isMessageStatus(value.status)) {
      return 'bad status'
    }
    if (value.direction !== 'out') {
      return 'status on an incoming message'
    }
  }
  return undefined
}

/** A copy holding only the ChatMessage fields, in a fixed order */
export function pickMessage (message: ChatMessage): ChatMessage {
  const copy: ChatMessage = {
    id: message.id,
    peer: message.peer,
    direction: message.direction,
    from: message.from,
    name: message.name,
    text: message.text,
    ts: message.ts
  }
  if (message.status !== undefined) {
    copy.status = message.status
  }
  if (message.clock !== undefined) {
    copy.clock = message.clock
  }
  return copy
}

/** Stored JSON is padded with spaces to a multiple of this many bytes */
const PAD_BUCKET = 256
/** Room kept for the fields a peer gains (relation, verified), so that gaining them rarely changes the size */
const MARKS_ROOM = 48

/** `json` as bytes, padded with spaces (JSON ignores them) to the bucket of `sizeOf` bytes */
export function padded (json: string, sizeOf: number): Uint8Array {
  const bytes = encoder.encode(json)
  const target = Math.max(PAD_BUCKET, Math.ceil(sizeOf / PAD_BUCKET) * PAD_BUCKET)
  const out = new Uint8Array(Math.max(target, bytes.length)).fill(0x20)
  out.set(bytes)
  return out
}

/**
 * A message as stored: JSON padded to a 256-byte bucket, the bucket chosen
 * as if it carried the longest status, so that its size shows neither its
 * direction nor its status nor a status change, and its length only roughly.
 */
export function encodeMessage (message: ChatMessage): Uint8Array {
  const picked = pickMessage(message)
  const longest = encoder.encode(JSON.stringify({ ...picked, status: 'delivered' })).length
  return padded(JSON.stringify(picked), longest)
}

export function parseJson (bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
}

/** Throws Error (to be wrapped as corrupt) unless `bytes` is a valid stored message */
export function decodeMessage (bytes: Uint8Array): ChatMessage {
  const value = parseJson(bytes)
  const problem = messageProblem(value, true)
  if (problem !== undefined) {
    throw new Error(`stored message invalid: ${problem}`)
  }
  return pickMessage(value as ChatMessage)
}

const PEER_FIELDS = ['peerId', 'name', 'addrs', 'firstSeen', 'lastSeen', 'relation', 'petname', 'verified'] as const
const RELATIONS: ReadonlySet<unknown> = new Set(['contact', 'blocked'])

function peerProblem (value: unknown): string | undefined {
  if (!isRecord(value)) {
    return 'not an object'
  }
  if (unknownField(value, PEER_FIELDS) !== undefined) {
    return 'unknown field'
  }
  if (!isKeyPart(value.peerId)) {
    return 'bad peerId'
  }
  if (value.name !== undefined && typeof value.name !== 'string') {
    return 'bad name'
  }
  if (!Array.isArray(value.addrs) || !value.addrs.every(addr => typeof addr === 'string')) {
    return 'bad addrs'
  }
  if (!isTimestamp(value.firstSeen) || !isTimestamp(value.lastSeen) || value.firstSeen > value.lastSeen) {
    return 'bad firstSeen/lastSeen'
  }
  if (value.relation !== undefined && !RELATIONS.has(value.relation)) {
    return 'bad relation'
  }
  if (value.petname !== undefined && typeof value.petname !== 'string') {
    return 'bad petname'
  }
  if (value.verified !== undefined && value.verified !== true) {
    return 'bad verified'
  }
  return undefined
}

function pickPeer (peer: StoredPeer): StoredPeer {
  const copy: StoredPeer = { peerId: peer.peerId, addrs: [...peer.addrs], firstSeen: peer.firstSeen, lastSeen: peer.lastSeen }
  if (peer.name !== undefined) {
    copy.name = peer.name
  }
  if (peer.relation !== undefined) {
    copy.relation = peer.relation
  }
  if (peer.petname !== undefined) {
    copy.petname = peer.petname
  }
  if (peer.verified === true) {
    copy.verified = true
  }
  return copy
}

/** A peer-book entry as stored: JSON padded like a message, so its size shows little of what it holds */
export function encodePeer (peer: StoredPeer): Uint8Array {
  const json = JSON.stringify(pickPeer(peer))
  return padded(json, encoder.encode(json).length + MARKS_ROOM)
}

export function decodePeer (bytes: Uint8Array): StoredPeer {
  const value = parseJson(bytes)
  const problem = peerProblem(value)
  if (problem !== undefined) {
    throw new Error(`stored peer invalid: ${problem}`)
  }
  return pickPeer(value as StoredPeer)
}

/** Why a putPeer() update is invalid; `undefined` if it is fine */
export function peerUpdateProblem (value: unknown): string | undefined {
  if (!isRecord(value)) {
    return 'not an object'
  }
  if (!isKeyPart(value.peerId)) {
    return 'bad peerId'
  }
  if (value.name !== undefined && typeof value.name !== 'string') {
    return 'bad name'
  }
  if (value.addrs !== undefined && (!Array.isArray(value.addrs) || !value.addrs.every(addr => typeof addr === 'string'))) {
    return 'bad addrs'
  }
  if (value.seen !== undefined && !isTimestamp(value.seen)) {
    return 'bad seen'
  }
  if (value.relation !== undefined && value.relation !== null && !RELATIONS.has(value.relation)) {
    return 'bad relation'
  }
  if (value.petname !== undefined && value.petname !== null && typeof value.petname !== 'string') {
    return 'bad petname'
  }
  if (value.verified !== undefined && typeof value.verified !== 'boolean') {
    return 'bad verified'
  }
  return undefined
}

/** What a quarantine entry holds: whose request it is and the bytes it counts */
export interface RequestEntry {
  peer: string
  bytes: number
}

export function encodeRequestEntry (entry: RequestEntry): Uint8Array {
  return encoder.encode(JSON.stringify({ peer: entry.peer, bytes: entry.bytes }))
}

export function decodeRequestEntry (bytes: Uint8Array): RequestEntry {
  const value = parseJson(bytes)
  if (!isRecord(value) || unknownField(value, ['peer', 'bytes']) !== undefined || !isKeyPart(value.peer) ||
    typeof value.bytes !== 'number' || !Number.isSafeInteger(value.bytes) || value.bytes < 0) {
    throw new Error('stored request entry invalid')
  }
  return { peer: value.peer, bytes: value.bytes }
}

export function encodeText (text: string): Uint8Array {
  return encoder.encode(text)
}

export function decodeText (bytes: Uint8Array): string {
  return decoder.decode(bytes)
}
