/**
 * AES-256-GCM with caller-supplied 96-bit nonces and associated data, on
 * node:crypto: the one AES-GCM helper (the session cipher, the store's
 * values at rest and its key file all use it). Pure: no I/O, no randomness.
 * `open` returns `undefined` on any authentication failure so callers raise
 * their own typed error without leaking detail.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

export const AES_KEY_LENGTH = 32
export const GCM_NONCE_LENGTH = 12
export const GCM_TAG_LENGTH = 16

/** 32 raw bytes, or a secret KeyObject of 32 bytes (e.g. from createSecretKey) */
export type AeadKey = Uint8Array | KeyObject

function check (key: AeadKey, nonce: Uint8Array): void {
  const length = key instanceof Uint8Array ? key.byteLength : (key.type === 'secret' ? key.symmetricKeySize : undefined)
  if (length !== AES_KEY_LENGTH) {
    throw new TypeError('AES-256-GCM key must be 32 bytes')
  }

  if (nonce.byteLength !== GCM_NONCE_LENGTH) {
    throw new TypeError('AES-GCM nonce must be 12 bytes')
  }
}

/** Returns ciphertext followed by the 16-byte tag */
export function seal (key: AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array<ArrayBuffer> {
  check(key, nonce)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH })
  cipher.setAAD(aad)
  const body = cipher.update(plaintext)
  const final = cipher.final()
  return new Uint8Array(Buffer.concat([body, final, cipher.getAuthTag()]))
}

/** Returns the plaintext, or `undefined` when the tag does not verify */
export function open (key: AeadKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  check(key, nonce)

  if (sealed.byteLength < GCM_TAG_LENGTH) {
    return undefined
  }

  const tag = sealed.subarray(sealed.byteLength - GCM_TAG_LENGTH)
  const body = sealed.subarray(0, sealed.byteLength - GCM_TAG_LENGTH)

  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  // the plaintext may be a key (the key file wraps one): copy it out once and
  // zero node's buffers, also the unauthenticated ones of a failed open
  const head = decipher.update(body)
  try {
    const tail = decipher.final()
    const plain = new Uint8Array(head.byteLength + tail.byteLength)
    plain.set(head)
    plain.set(tail, head.byteLength)
    tail.fill(0)
    return plain
  } catch {
    return undefined
  } finally {
    head.fill(0)
  }
}
