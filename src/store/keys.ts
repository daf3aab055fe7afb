/**
 * Key encoding (store format 2). No key names a peer, a message or a time:
 * a key that stands for a peer or a message is a keyed hash of it
 * (HMAC-SHA256 under the names key, derived from the data key by HKDF, cut
 * to 128 bits, base64url), so the database files alone do not tell which
 * peers we talk to, nor let anyone test a guess without the data key.
 *
 *   peer-book key     P<hash(peer)>
 *   conversation      C<hash(peer)>   (a different hash: domain-separated)
 *   history key       <conversation>!<seq>   seq: 12 digits, per conversation
 *   index key         M<hash(peer, id)>, in a room's conversation M<hash(#room, id, sender)>
 *   fanout key        F<hash(member)>!G<hash(member, history key of the room message)>
 *   room key          R<hash(room id)>
 *
 * `seq` counts the appends to one conversation, so byte order of its history
 * keys is append order and no clock is needed. What the keys still show is
 * how many conversations there are and how many records each has (and
 * how many rooms were joined).
 */
import { createHmac, createSecretKey, hkdfSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { MAX_KEY_PART_LENGTH, MAX_SEQ, NAMES_KEY_INFO, SEQ_DIGITS } from './constants.ts'

export const SEPARATOR = '!'
/** The character right after SEPARATOR: `<c>"` is the upper bound of `<c>!…` */
const SEPARATOR_NEXT = String.fromCharCode(SEPARATOR.charCodeAt(0) + 1)

/** Bytes of a keyed hash kept in a key: 128 bits, 22 base64url characters */
const HASH_BYTES = 16

/** Printable ASCII without space and `!`: what a peer id or message id may be */
const KEY_PART = new RegExp(`^[\\x22-\\x7e]{1,${MAX_KEY_PART_LENGTH}}$`)
const HASH_PART = /^[A-Za-z0-9_-]{22}$/
/** A room id: 128 bits as lower-case hex (src/rooms/room-keys.ts) */
const ROOM_ID = /^[0-9a-f]{32}$/
const HISTORY_KEY = new RegExp(`^(C[A-Za-z0-9_-]{22})${SEPARATOR}([0-9]{${SEQ_DIGITS}})$`)

/** Domains of the keyed hashes */
const DOMAIN_PEER = 'P'
const DOMAIN_CONVERSATION = 'C'
const DOMAIN_MESSAGE = 'M'
const DOMAIN_ROOM = 'R'
const DOMAIN_FANOUT_MEMBER = 'F'
const DOMAIN_FANOUT_ENTRY = 'G'
const DOMAIN_TRANSFER = 'T'
const TRANSFER_ID = /^[0-9a-f]{32}$/

export function isKeyPart (value: unknown): value is string {
  return typeof value === 'string' && KEY_PART.test(value)
}

/** Throws TypeError unless `value` may be used as a peer id or message id */
export function assertKeyPart (value: unknown, what: string): asserts value is string {
  if (!isKeyPart(value)) {
    throw new TypeError(`${what} must be 1-${MAX_KEY_PART_LENGTH} printable ASCII characters without space or "${SEPARATOR}"`)
  }
}

export function isRoomId (value: unknown): value is string {
  return typeof value === 'string' && ROOM_ID.test(value)
}

/** Whether `key` is a peer-book key (of any names key) */
export function isPeerKey (key: string): boolean {
  return key.startsWith(DOMAIN_PEER) && HASH_PART.test(key.slice(1))
}

/** The keyed hashes that stand for peers and messages in keys */
export class KeyNames {
  readonly #key: KeyObject

  /** `namesKey`: from deriveNamesKey() */
  constructor (namesKey: KeyObject) {
    this.#key = namesKey
  }

  #hash (domain: string, parts: string[]): string {
    const hmac = createHmac('sha256', this.#key)
    // every part is printable ASCII, so NUL separates them unambiguously
    hmac.update(domain + '\0' + parts.join('\0'), 'utf8')
    return domain + hmac.digest().subarray(0, HASH_BYTES).toString('base64url')
  }

  /** Key of `peer`'s peer-book entry */
  peer (peer: string): string {
    assertKeyPart(peer, 'peer')
    return this.#hash(DOMAIN_PEER, [peer])
  }

  /** Prefix of the history keys of the conversation with `peer` */
  conversation (peer: string): string {
    assertKeyPart(peer, 'peer')
    return this.#hash(DOMAIN_CONVERSATION, [peer])
  }

  /**
   * Key of the (peer, id) -> history key index. In a room's conversation
   * ids are unique per sender only, so its entries are named by the sender
   * too (`from`): a member cannot take another member's message id
   * (sending it first to a member who has not stored it yet would make
   * the real one a duplicate there)
   */
  message (peer: string, id: string, from?: string): string {
    assertKeyPart(peer, 'peer')
    assertKeyPart(id, 'id')
    if (from === undefined) {
      return this.#hash(DOMAIN_MESSAGE, [peer, id])
    }
    assertKeyPart(from, 'from')
    return this.#hash(DOMAIN_MESSAGE, [peer, id, from])
  }

  /** The index key of a stored message: by sender too in a room's conversation (message()) */
  messageOf (message: { peer: string, id: string, from: string }): string {
    return this.message(message.peer, message.id, message.peer.startsWith('#') ? message.from : undefined)
  }

  /**
   * Key of the fan-out entry of the room message stored at `historyKey`
   * for `member`: a prefix per member (its entries are one range) and a
   * hash of both, so that the keys show neither which room a member is in
   * nor which conversation it has with us
   */
  fanout (member: string, historyKey: string): string {
    return this.fanoutMember(member) + SEPARATOR + this.#hash(DOMAIN_FANOUT_ENTRY, [member, historyKey])
  }

  /** Prefix of `member`'s fan-out entries */
  fanoutMember (member: string): string {
    assertKeyPart(member, 'member')
    return this.#hash(DOMAIN_FANOUT_MEMBER, [member])
  }

  /** Key of the file transfer `id` (32 lower-case hex characters) */
  transfer (id: string): string {
    if (!TRANSFER_ID.test(id)) {
      throw new TypeError('transfer id must be 32 lower-case hex characters')
    }
    return this.#hash(DOMAIN_TRANSFER, [id])
  }

  /** Key of the joined room `id` (32 lower-case hex characters) */
  room (id: string): string {
    if (!isRoomId(id)) {
      throw new TypeError('room id must be 32 lower-case hex characters')
    }
    return this.#hash(DOMAIN_ROOM, [id])
  }
}

/** The names key: HKDF-SHA256 of the data key, for KeyNames */
export function deriveNamesKey (dataKey: KeyObject): KeyObject {
  const raw = new Uint8Array(hkdfSync('sha256', dataKey, new Uint8Array(0), NAMES_KEY_INFO, 32))
  try {
    return createSecretKey(raw)
  } finally {
    raw.fill(0)
  }
}

export interface HistoryKey {
  conversation: string
  seq: number
}

export function encodeHistoryKey (key: HistoryKey): string {
  if (!Number.isSafeInteger(key.seq) || key.seq < 0 || key.seq > MAX_SEQ) {
    throw new TypeError(`seq must be an integer in [0, ${MAX_SEQ}]`)
  }
  if (!key.conversation.startsWith(DOMAIN_CONVERSATION) || !HASH_PART.test(key.conversation.slice(1))) {
    throw new TypeError('conversation must come from KeyNames.conversation()')
  }
  return key.conversation + SEPARATOR + String(key.seq).padStart(SEQ_DIGITS, '0')
}

/** Parses a history key; `undefined` if it is not one */
export function decodeHistoryKey (key: string): HistoryKey | undefined {
  const match = HISTORY_KEY.exec(key)
  if (match === null) {
    return undefined
  }
  return { conversation: match[1] as string, seq: Number(match[2]) }
}

/** Iterator bounds covering exactly one conversation's history keys */
export function conversationRange (conversation: string): { gt: string, lt: string } {
  return { gt: conversation + SEPARATOR, lt: conversation + SEPARATOR_NEXT }
}
