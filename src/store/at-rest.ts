/**
 * Pure value encryption at rest: AES-256-GCM under the data key.
 *
 * A sealed value is `version (1) || nonce (12) || ciphertext || tag (16)`.
 * The AAD is `version || sublevel || 0x00 || key`, so a value only opens
 * under the sublevel and key it was written to: a record copied or moved to
 * another key fails authentication. Keys themselves are not encrypted.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { DATA_KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH, VALUE_FORMAT_VERSION } from './constants.ts'
import { CorruptRecordError } from './errors.ts'

const CIPHER = 'aes-256-gcm'
const HEADER_LENGTH = 1 + NONCE_LENGTH
/** Smallest sealed value: header and tag around an empty plaintext */
export const MIN_SEALED_LENGTH = HEADER_LENGTH + TAG_LENGTH

const encoder = new TextEncoder()

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
export function sealValue (dataKey: KeyObject, sublevel: string, key: string, plaintext: Uint8Array, nonce: Uint8Array = randomBytes(NONCE_LENGTH)): Uint8Array {
  assertDataKey(dataKey)
  if (nonce.length !== NONCE_LENGTH) {
    throw new TypeError(`nonce must be ${NONCE_LENGTH} bytes`)
  }
  const cipher = createCipheriv(CIPHER, dataKey, nonce, { authTagLength: TAG_LENGTH })
  cipher.setAAD(additionalData(sublevel, key))
  const body = cipher.update(plaintext)
  const tail = cipher.final()
  const tag = cipher.getAuthTag()

  const sealed = new Uint8Array(HEADER_LENGTH + body.length + tail.length + TAG_LENGTH)
  sealed[0] = VALUE_FORMAT_VERSION
  sealed.set(nonce, 1)
  sealed.set(body, HEADER_LENGTH)
  sealed.set(tail, HEADER_LENGTH + body.length)
  sealed.set(tag, sealed.length - TAG_LENGTH)
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
  const nonce = sealed.subarray(1, HEADER_LENGTH)
  const ciphertext = sealed.subarray(HEADER_LENGTH, sealed.length - TAG_LENGTH)
  const tag = sealed.subarray(sealed.length - TAG_LENGTH)
  try {
    const decipher = createDecipheriv(CIPHER, dataKey, nonce, { authTagLength: TAG_LENGTH })
    decipher.setAAD(aad)
    decipher.setAuthTag(tag)
    const body = decipher.update(ciphertext)
    const tail = decipher.final()
    const plaintext = new Uint8Array(body.length + tail.length)
    plaintext.set(body)
    plaintext.set(tail, body.length)
    return plaintext
  } catch (err) {
    throw new CorruptRecordError(sublevel, key, `record ${sublevel}/${key} failed authentication`, { cause: err })
  }
}
