/**
 * Ephemeral X25519 key agreement on node:crypto (OpenSSL). Pure: no I/O.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

export const X25519_KEY_LENGTH = 32

export interface EphemeralKeyPair {
  /** raw 32-byte public key */
  publicKey: Uint8Array
  /** never leaves this process; dropped after the handshake */
  privateKey: KeyObject
}

export function generateEphemeralKeyPair (): EphemeralKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const jwk = publicKey.export({ format: 'jwk' })

  if (jwk.x == null) {
    throw new TypeError('x25519 public key export failed')
  }

  return { publicKey: new Uint8Array(Buffer.from(jwk.x, 'base64url')), privateKey }
}

const ZERO = new Uint8Array(X25519_KEY_LENGTH)

/**
 * Returns the X25519 shared secret, or `undefined` when the remote key is not
 * a usable point (wrong length, or a low-order point giving an all-zero
 * secret): callers turn that into a protocol error.
 */
export function sharedSecret (local: EphemeralKeyPair, remotePublicKey: Uint8Array): Uint8Array | undefined {
  if (remotePublicKey.byteLength !== X25519_KEY_LENGTH) {
    return undefined
  }

  let secret: Buffer

  try {
    const remote = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(remotePublicKey).toString('base64url') },
      format: 'jwk'
    })
    secret = diffieHellman({ privateKey: local.privateKey, publicKey: remote })
  } catch {
    return undefined
  }

  if (secret.byteLength !== X25519_KEY_LENGTH || timingSafeEqual(secret, ZERO)) {
    return undefined
  }

  return new Uint8Array(secret)
}
