/**
 * What a room is, derived from its name and optional key alone: members
 * share nothing else, and no server learns either (issue 11). Pure: no I/O.
 *
 *   secret    = scrypt(canonical name || 0x00 || NFC(key), "securechat room v1", N = 2^17, r = 8, p = 1)
 *   id        = HKDF(secret, "securechat room id v1")        16 bytes, hex: how members name the room
 *   proof key = HKDF(secret, "securechat room proof v1")     32 bytes: membership tags
 *   rdv key   = HKDF(secret, "securechat room rendezvous v1") 32 bytes: rendezvous namespaces
 *
 * The salt is a constant because the name is all that members share; the
 * memory-hard cost (128 MiB, about half a second, as the key file's) is what
 * makes guessing names offline costly: every guess costs the same scrypt,
 * and a room with a key cannot be guessed from its name at all.
 *
 * A rendezvous namespace is an HMAC of the relay's peer id and the UTC day
 * under the rendezvous key: the relay sees neither the name nor a value that
 * stays the same from one day, or one relay, to the next (as Berty rotates
 * its rendezvous points).
 *
 * A membership tag proves knowledge of the proof key to one peer, in one
 * meeting, without revealing it: an HMAC over both peer ids, both sides'
 * fresh nonces and who proves (docs/PROTOCOL.md "Rooms"). It cannot be
 * replayed to another peer, in another meeting, or reflected back.
 */
import { createHmac } from 'node:crypto'
import { derivePassphraseKey } from '../crypto/passphrase-kdf.ts'
import { hkdfSha256 } from '../crypto/hkdf.ts'
import { encodeTranscript } from '../crypto/transcript.ts'
import { InvalidRoomKeyError, InvalidRoomNameError } from './errors.ts'
import type { ScryptParams } from '../crypto/passphrase-kdf.ts'

/** The room secret's scrypt cost: 128 MiB, as the key file's */
export const ROOM_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })

const ROOM_SALT = new TextEncoder().encode('securechat room v1')
const ID_INFO = 'securechat room id v1'
const PROOF_INFO = 'securechat room proof v1'
const RENDEZVOUS_INFO = 'securechat room rendezvous v1'
const TAG_LABEL = 'securechat room membership v1'
const NAMESPACE_LABEL = 'securechat room namespace v1'

export const ROOM_ID_BYTES = 16
export const MEMBERSHIP_TAG_BYTES = 16
export const MEMBERSHIP_NONCE_BYTES = 32
/** Characters of a rendezvous namespace: 128 bits in base64url */
export const NAMESPACE_CHARS = 22

/** UTF-8 bytes of a room name's canonical form, and of a room key */
export const MAX_ROOM_NAME_BYTES = 64
export const MAX_ROOM_KEY_BYTES = 256

/**
 * White space, control, format and default-ignorable characters (the Hangul
 * filler, the combining grapheme joiner, variation selectors) and the
 * braille blank: a room name is one word, typed the same everywhere, and
 * none of these could be told apart on screen from a name without them.
 */
const NOT_IN_NAME = /[\s\p{Cc}\p{Cf}\u2800]|\p{Default_Ignorable_Code_Point}/u

/**
 * Why `name` cannot name a room, or undefined: empty, longer than
 * MAX_ROOM_NAME_BYTES, white space, control or invisible characters, or a
 * leading `#` (the CLI's mark of a room: `/chat #demo`).
 */
export function roomNameProblem (name: string): string | undefined {
  // lone surrogates would all become U+FFFD in UTF-8: several names, one room
  if (!name.isWellFormed()) return 'is not well-formed Unicode'
  const canonical = canonicalRoomName(name)
  if (canonical.length === 0) return 'is empty'
  if (Buffer.byteLength(canonical, 'utf8') > MAX_ROOM_NAME_BYTES) return `is longer than ${MAX_ROOM_NAME_BYTES} bytes`
  if (NOT_IN_NAME.test(canonical)) return 'contains white space, control or invisible characters'
  if (canonical.startsWith('#')) return 'starts with #'
  return undefined
}

/** Why `key` cannot be a room key, or undefined */
export function roomKeyProblem (key: string): string | undefined {
  if (key.length === 0) return 'is empty'
  if (!key.isWellFormed()) return 'is not well-formed Unicode'
  if (Buffer.byteLength(key.normalize('NFC'), 'utf8') > MAX_ROOM_KEY_BYTES) return `is longer than ${MAX_ROOM_KEY_BYTES} bytes`
  return undefined
}

export interface RoomKeys {
  /** 32 hex characters */
  id: string
  proofKey: Uint8Array
  rendezvousKey: Uint8Array
}

/**
 * The form of a room name the secret is derived from: NFKC, then case
 * folded (upper then lower case, final sigma as sigma, ß as ss: JavaScript
 * has no case folding of its own, and lower case alone keeps "ß" apart from
 * "SS", "ẞ" from "ss" and "ς" from "σ"), then NFKC again; folding a
 * folded name changes nothing (tested over every code point). So "Demo", "demo", a full-width
 * "ｄｅｍｏ", "STRASSE" and "straße", "ΟΔΟΣ" and "οδοσ" typed on two machines
 * are one room each. The name as typed is what is shown.
 */
export function canonicalRoomName (name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().replaceAll('ς', 'σ').replaceAll('ß', 'ss').normalize('NFKC')
}

/** Derives a room's keys; `params` is for tests (the real cost is ROOM_SCRYPT) */
export async function deriveRoomKeys (name: string, key: string | undefined, options: { params?: ScryptParams, signal?: AbortSignal } = {}): Promise<RoomKeys> {
  const nameProblem = roomNameProblem(name)
  if (nameProblem !== undefined) {
    throw new InvalidRoomNameError(`room name ${nameProblem}`)
  }
  const keyProblem = key === undefined ? undefined : roomKeyProblem(key)
  if (keyProblem !== undefined) {
    throw new InvalidRoomKeyError(`room key ${keyProblem}`)
  }
  // a name holds no NUL (roomNameProblem), so name || NUL || key is unambiguous
  const input = `${canonicalRoomName(name)}\0${(key ?? '').normalize('NFC')}`
  const secret = await derivePassphraseKey(input, ROOM_SALT, options.params ?? ROOM_SCRYPT, options)
  try {
    const empty = new Uint8Array(0)
    return {
      id: Buffer.from(hkdfSha256(secret, empty, ID_INFO, ROOM_ID_BYTES)).toString('hex'),
      proofKey: hkdfSha256(secret, empty, PROOF_INFO, 32),
      rendezvousKey: hkdfSha256(secret, empty, RENDEZVOUS_INFO, 32)
    }
  } finally {
    secret.fill(0)
  }
}

/** `YYYY-MM-DD` of `ms` in UTC */
export function utcDay (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** The namespace members of a room register under on `relay` (its peer id string) on `day` (utcDay) */
export function rendezvousNamespace (rendezvousKey: Uint8Array, relay: string, day: string): string {
  const mac = createHmac('sha256', rendezvousKey)
  mac.update(encodeTranscript([NAMESPACE_LABEL, relay, day]))
  return mac.digest().subarray(0, 16).toString('base64url')
}

export interface MembershipContext {
  /** peer id bytes (multihash) of the side that opened the stream */
  initiator: Uint8Array
  responder: Uint8Array
  initiatorNonce: Uint8Array
  responderNonce: Uint8Array
}

/** The tag `prover` sends in this meeting to prove it knows `proofKey` */
export function membershipTag (proofKey: Uint8Array, context: MembershipContext, prover: 'initiator' | 'responder'): Uint8Array<ArrayBuffer> {
  const mac = createHmac('sha256', proofKey)
  mac.update(encodeTranscript([TAG_LABEL, prover, context.initiator, context.responder, context.initiatorNonce, context.responderNonce]))
  return new Uint8Array(mac.digest().subarray(0, MEMBERSHIP_TAG_BYTES))
}
