/**
 * X25519 key agreement: the RFC 7748 section 6.1 vector, fresh key pairs
 * that agree, and remote keys that are refused (wrong length, low order).
 */
import assert from 'node:assert/strict'
import { createPrivateKey } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateEphemeralKeyPair, sharedSecret, X25519_KEY_LENGTH } from '../../src/crypto/x25519.ts'
import type { EphemeralKeyPair } from '../../src/crypto/x25519.ts'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const b64url = (s: string): string => Buffer.from(s, 'hex').toString('base64url')

/** A key pair from fixed raw keys, as generateEphemeralKeyPair would return it */
function fixedPair (privateHex: string, publicHex: string): EphemeralKeyPair {
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(privateHex), x: b64url(publicHex) }, format: 'jwk' })
  return { publicKey: hex(publicHex), privateKey }
}

/** RFC 7748 section 6.1 */
const ALICE = fixedPair('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
const BOB = fixedPair('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'

/**
 * Points of small order on Curve25519 and their non-canonical encodings (the
 * list libsodium and others refuse): each gives an all-zero shared secret
 */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
]

void describe('x25519', () => {
  void it('matches RFC 7748 section 6.1 in both directions', () => {
    assert.equal(toHex(sharedSecret(ALICE, BOB.publicKey) ?? new Uint8Array()), SHARED)
    assert.equal(toHex(sharedSecret(BOB, ALICE.publicKey) ?? new Uint8Array()), SHARED)
  })

  void it('generates fresh 32-byte key pairs that agree', () => {
    const a = generateEphemeralKeyPair()
    const b = generateEphemeralKeyPair()
    assert.equal(a.publicKey.byteLength, X25519_KEY_LENGTH)
    assert.notDeepEqual(a.publicKey, b.publicKey)
    const ab = sharedSecret(a, b.publicKey)
    assert.ok(ab !== undefined)
    assert.equal(ab.byteLength, X25519_KEY_LENGTH)
    assert.deepEqual(sharedSecret(b, a.publicKey), ab)
    assert.notDeepEqual(sharedSecret(a, BOB.publicKey), ab)
  })

  void it('refuses every low-order remote key', () => {
    for (const point of LOW_ORDER) {
      assert.equal(sharedSecret(ALICE, hex(point)), undefined, point)
      assert.equal(sharedSecret(generateEphemeralKeyPair(), hex(point)), undefined, point)
    }
  })

  void it('refuses a remote key of the wrong length', () => {
    for (const length of [0, 31, 33, 64]) {
      assert.equal(sharedSecret(ALICE, new Uint8Array(length).fill(9)), undefined, `length ${length}`)
    }
    assert.equal(sharedSecret(ALICE, BOB.publicKey.subarray(1)), undefined)
  })
})
