/**
 * AES-256-GCM with caller-supplied 96-bit nonces and associated data, on
 * node:crypto. Pure: no I/O. `open` returns `undefined` on any authentication
 * failure so callers raise their own typed error without leaking detail.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'

export const AES_KEY_LENGTH = 32
export const GCM_NONCE_LENGTH = 12
export const GCM_TAG_LENGTH = 16

function check (key: Uint8Array, nonce: Uint8Array): void {
  if (key.byteLength !== AES_KEY_LENGTH) {
    throw new TypeError('AES-256-GCM key must be 32 bytes')
  }

  if (nonce.byteLength !== GCM_NONCE_LENGTH) {
    throw new TypeError('AES-GCM nonce must be 12 bytes')
  }
}

/** Returns ciphertext followed by the 16-byte tag */
export function seal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  check(key, nonce)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH })
  cipher.setAAD(aad)
  const body = cipher.update(plaintext)
  const final = cipher.final()
  return new Uint8Array(Buffer.concat([body, final, cipher.getAuthTag()]))
}

/** Returns the plaintext, or `undefined` when the tag does not verify */
export function open (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  check(key, nonce)

  if (sealed.byteLength < GCM_TAG_LENGTH) {
    return undefined
  }

  const tag = sealed.subarray(sealed.byteLength - GCM_TAG_LENGTH)
  const body = sealed.subarray(0, sealed.byteLength - GCM_TAG_LENGTH)

  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH })
    decipher.setAAD(aad)
    decipher.setAuthTag(tag)
    const plain = Buffer.concat([decipher.update(body), decipher.final()])
    return new Uint8Array(plain)
  } catch {
    return undefined
  }
}
