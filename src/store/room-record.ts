/**
 * A joined room as the store holds it: the one check of a StoredRoom, which
 * putRoom(), restore(), this decoder and the archive (src/archive/records.ts)
 * share, and the plaintext of its record, both ways. Pure. Problems name
 * the field, never its contents.
 *
 * The plaintext is JSON, like a peer-book entry: the name and the key as
 * base64url of their UTF-8 (in JSON a character may take 1, 2 or 6 bytes,
 * so their length there would depend on which characters they hold), the
 * derived keys as base64url, the members by peer id. It is padded like
 * every record (to a multiple of 256 bytes), but sized as if the name and
 * the key were the longest allowed and the room had as many members as
 * its bucket holds (8, 16, 32, ..., MAX_ROOM_MEMBERS), each with a
 * 64-character peer id and the largest time. So a room record's size shows
 * which bucket its number of members falls in, and nothing of its name, its
 * key or whether it has one. (A member's peer id over 64 characters, which
 * no Ed25519, secp256k1 or RSA peer id is, makes the record longer.)
 */
import { MAX_ROOM_MEMBERS, MAX_STORED_ROOM_KEY_BYTES, MAX_STORED_ROOM_NAME_BYTES, ROOM_SECRET_KEY_LENGTH } from './constants.ts'
import { isKeyPart, isRoomId } from './keys.ts'
import { isRecord, padded, parseJson, unknownField } from './records.ts'
import type { StoredMember, StoredRoom } from './index.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Control characters: not in a room name (the rooms service refuses far more) */
const CONTROL = /\p{Cc}/u

/** The smallest bucket of member counts; each next one is twice as large, up to MAX_ROOM_MEMBERS */
const MIN_MEMBER_BUCKET = 8
/** The peer id length room is made for per member: Ed25519 peer ids are 52 characters, secp256k1 53, RSA 46 */
const RESERVED_PEER_ID_LENGTH = 64

const ROOM_FIELDS = ['id', 'name', 'key', 'proofKey', 'rendezvousKey', 'joinedAt', 'members'] as const
const MEMBER_FIELDS = ['peerId', 'provenAt'] as const

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** 1 to `max` bytes of well-formed UTF-8 (no lone surrogate, which UTF-8 cannot carry) */
function isText (value: unknown, max: number): value is string {
  // a UTF-16 code unit is at least one UTF-8 byte: the length alone bounds the work
  return typeof value === 'string' && value.length > 0 && value.length <= max && value.isWellFormed() && encoder.encode(value).length <= max
}

function isSecretKey (value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === ROOM_SECRET_KEY_LENGTH
}

/**
 * Why `value` is not a StoredRoom the store would hold; `undefined` if it
 * is. Fields other than StoredRoom's are not looked at (pickRoom() drops
 * them).
 */
export function roomProblem (value: unknown): string | undefined {
  if (!isRecord(value)) {
    return 'not an object'
  }
  if (!isRoomId(value.id)) {
    return 'bad id'
  }
  if (!isText(value.name, MAX_STORED_ROOM_NAME_BYTES) || CONTROL.test(value.name)) {
    return 'bad name'
  }
  if (value.key !== undefined && !isText(value.key, MAX_STORED_ROOM_KEY_BYTES)) {
    return 'bad key'
  }
  if (!isSecretKey(value.proofKey) || !isSecretKey(value.rendezvousKey)) {
    return 'bad proofKey or rendezvousKey'
  }
  if (!isTime(value.joinedAt)) {
    return 'bad joinedAt'
  }
  if (!Array.isArray(value.members)) {
    return 'bad members'
  }
  if (value.members.length > MAX_ROOM_MEMBERS) {
    return 'too many members'
  }
  const seen = new Set<string>()
  for (const member of value.members as unknown[]) {
    if (!isRecord(member) || !isKeyPart(member.peerId) || !isTime(member.provenAt)) {
      return 'bad member'
    }
    if (seen.has(member.peerId)) {
      return 'a member twice'
    }
    seen.add(member.peerId)
  }
  return undefined
}

function byPeerId (a: StoredMember, b: StoredMember): number {
  return a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0
}

/** A copy of a valid room holding only the StoredRoom fields, its members by peer id */
export function pickRoom (room: StoredRoom): StoredRoom {
  const copy: StoredRoom = {
    id: room.id,
    name: room.name,
    proofKey: new Uint8Array(room.proofKey),
    rendezvousKey: new Uint8Array(room.rendezvousKey),
    joinedAt: room.joinedAt,
    members: room.members.map(m => ({ peerId: m.peerId, provenAt: m.provenAt })).sort(byPeerId)
  }
  if (room.key !== undefined) {
    copy.key = room.key
  }
  return copy
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** The bytes of canonical base64url (what base64url() writes), else undefined */
function fromBase64url (value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') {
    return undefined
  }
  const bytes = Buffer.from(value, 'base64url')
  return bytes.toString('base64url') === value ? new Uint8Array(bytes) : undefined
}

function textFromBase64url (value: unknown): string | undefined {
  const bytes = fromBase64url(value)
  if (bytes === undefined) {
    return undefined
  }
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

function toJson (room: StoredRoom): string {
  return JSON.stringify({
    id: room.id,
    name: base64url(encoder.encode(room.name)),
    ...(room.key === undefined ? {} : { key: base64url(encoder.encode(room.key)) }),
    proofKey: base64url(room.proofKey),
    rendezvousKey: base64url(room.rendezvousKey),
    joinedAt: room.joinedAt,
    members: room.members.map(m => ({ peerId: m.peerId, provenAt: m.provenAt }))
  })
}

/** JSON bytes of the largest room without members, and of one more member (with its comma) */
const FIXED_RESERVE = encoder.encode(toJson({
  id: '0'.repeat(32),
  name: 'x'.repeat(MAX_STORED_ROOM_NAME_BYTES),
  key: 'x'.repeat(MAX_STORED_ROOM_KEY_BYTES),
  proofKey: new Uint8Array(ROOM_SECRET_KEY_LENGTH),
  rendezvousKey: new Uint8Array(ROOM_SECRET_KEY_LENGTH),
  joinedAt: Number.MAX_SAFE_INTEGER,
  members: []
})).length
const MEMBER_RESERVE = JSON.stringify({ peerId: 'x'.repeat(RESERVED_PEER_ID_LENGTH), provenAt: Number.MAX_SAFE_INTEGER }).length + 1

/** The member count a room of `members` members is padded as: its bucket */
export function memberBucket (members: number): number {
  let bucket = MIN_MEMBER_BUCKET
  while (bucket < members) {
    bucket *= 2
  }
  return bucket
}

/** A valid room as stored: JSON padded to the size of the largest room of its member bucket */
export function encodeRoom (room: StoredRoom): Uint8Array {
  const picked = pickRoom(room)
  return padded(toJson(picked), FIXED_RESERVE + memberBucket(picked.members.length) * MEMBER_RESERVE)
}

function fromJson (value: unknown): unknown {
  if (!isRecord(value) || unknownField(value, ROOM_FIELDS) !== undefined || !Array.isArray(value.members)) {
    return undefined
  }
  const members = value.members as unknown[]
  if (!members.every(m => isRecord(m) && unknownField(m, MEMBER_FIELDS) === undefined)) {
    return undefined
  }
  const room = {
    id: value.id,
    name: textFromBase64url(value.name),
    proofKey: fromBase64url(value.proofKey),
    rendezvousKey: fromBase64url(value.rendezvousKey),
    joinedAt: value.joinedAt,
    members
  }
  if (value.key === undefined) {
    return room
  }
  const key = textFromBase64url(value.key)
  // a key that does not decode must not read as a room without one
  return key === undefined ? undefined : { ...room, key }
}

/** Throws Error (to be wrapped as corrupt) unless `bytes` is a valid stored room */
export function decodeRoom (bytes: Uint8Array): StoredRoom {
  const room = fromJson(parseJson(bytes))
  const problem = room === undefined ? 'not a room record' : roomProblem(room)
  if (problem !== undefined) {
    throw new Error(`stored room invalid: ${problem}`)
  }
  return pickRoom(room as StoredRoom)
}
