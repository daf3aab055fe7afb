/**
 * Pure value encryption at rest: AES-256-GCM (crypto/aead.ts) under the data key.
 *
 * A sealed value is `version (1) || nonce (12) || ciphertext || tag (16)`.
 * The AAD is `version || sublevel || 0x00 || key`, so a value only opens
 * under the sublevel and key it was written to: a record copied or moved to
 * another key fails authentication. Keys are not encrypted; keys.ts keeps
 * peers, message ids and times out of them.
 */
import { randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { open, seal } from '../crypto/aead.ts'
import { DATA_KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH, VALUE_FORMAT_VERSION } from './constants.ts'
import { CorruptRecordError } from './errors.ts'

const HEADER_LENGTH = 1 + NONCE_LENGTH
/** Smallest sealed value: header and tag around an empty plaintext */
export const MIN_SEALED_LENGTH = HEADER_LENGTH + TAG_LENGTH

const encoder = new TextEncoder()

/** Random bytes drawn 4 KiB at a time: one CSPRNG call per 341 nonces, not one each */
const NONCE_POOL_BYTES = NONCE_LENGTH * 341
let noncePool = new Uint8Array(0)
let noncePoolOffset = 0

function randomNonce (): Uint8Array {
  if (noncePoolOffset + NONCE_LENGTH > noncePool.byteLength) {
    noncePool = new Uint8Array(randomBytes(NONCE_POOL_BYTES))
    noncePoolOffset = 0
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_LENGTH)
  noncePoolOffset += NONCE_LENGTH
  return nonce
}

/** Checked before a record is parsed, so a bad key is a TypeError whatever the record */
function assertDataKey (key: KeyObject): void {
  if (key.type !== 'secret' || key.symmetricKeySize !== DATA_KEY_LENGTH) {
    throw new TypeError(`data key must be a ${DATA_KEY_LENGTH}-byte secret KeyObject`)
  }
}

function additionalData (sublevel: string, key: string): Uint8Array {
  if (sublevel.length === 0 || sublevel.includes('\0')) {
    throw new TypeError('sublevel must be a non-empty name without NUL')
  }
  const name = encoder.encode(sublevel)
  const recordKey = encoder.encode(key)
  const aad = new Uint8Array(1 + name.length + 1 + recordKey.length)
  aad[0] = VALUE_FORMAT_VERSION
  aad.set(name, 1)
  aad.set(recordKey, name.length + 2)
  return aad
}

/** Encrypts `plaintext` for storage under (sublevel, key). `nonce` is for tests only. */
export function sealValue (dataKey: KeyObject, sublevel: string, key: string, plaintext: Uint8Array, nonce: Uint8Array = randomNonce()): Uint8Array {
  assertDataKey(dataKey)
  // seal() refuses a nonce of the wrong length with TypeError
  const body = seal(dataKey, nonce, plaintext, additionalData(sublevel, key))

  const sealed = new Uint8Array(HEADER_LENGTH + body.length)
  sealed[0] = VALUE_FORMAT_VERSION
  sealed.set(nonce, 1)
  sealed.set(body, HEADER_LENGTH)
  return sealed
}

/**
 * Decrypts a value read from (sublevel, key). Throws CorruptRecordError if it
 * is truncated, of an unknown version, or fails authentication.
 */
export function openValue (dataKey: KeyObject, sublevel: string, key: string, sealed: Uint8Array): Uint8Array {
  assertDataKey(dataKey)
  const aad = additionalData(sublevel, key)
  if (sealed.length < MIN_SEALED_LENGTH) {
    throw new CorruptRecordError(sublevel, key, `record ${sublevel}/${key} truncated`)
  }
  if (sealed[0] !== VALUE_FORMAT_VERSION) {
    throw new CorruptRecordError(sublevel, key, `record ${sublevel}/${key} has an unknown format version`)
  }
  const plaintext = open(dataKey, sealed.subarray(1, HEADER_LENGTH), sealed.subarray(HEADER_LENGTH), aad)
  if (plaintext === undefined) {
    throw new CorruptRecordError(sublevel, key, `record ${sublevel}/${key} failed authentication`)
  }
  return plaintext
}
