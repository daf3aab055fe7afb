/**
 * The one AES-256-GCM helper: published vectors, round trips, and that any
 * change to the ciphertext, tag, AAD, nonce or key fails to open.
 */
import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AES_KEY_LENGTH, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, open, seal } from '../../src/crypto/aead.ts'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * AES-256 cases of "The Galois/Counter Mode of Operation (GCM)", McGrew and
 * Viega, appendix B (the NIST submission), also checked against OpenSSL
 */
const VECTORS = [
  {
    name: 'test case 13 (empty plaintext, empty AAD)',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    plaintext: '',
    aad: '',
    ciphertext: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b'
  },
  {
    name: 'test case 14 (one zero block)',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    plaintext: '00'.repeat(16),
    aad: '',
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919'
  },
  {
    name: 'test case 16 (partial block, with AAD)',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    plaintext: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
      '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    ciphertext: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b'
  }
]

const key = fc.uint8Array({ minLength: AES_KEY_LENGTH, maxLength: AES_KEY_LENGTH })
const nonce = fc.uint8Array({ minLength: GCM_NONCE_LENGTH, maxLength: GCM_NONCE_LENGTH })
const bytes = fc.uint8Array({ maxLength: 300 })

/** `data` with bit `bit` (taken modulo its length in bits) flipped */
function flip (data: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(data)
  const at = bit % (out.byteLength * 8)
  out[at >> 3] = (out[at >> 3] ?? 0) ^ (1 << (at & 7))
  return out
}

void describe('aead (AES-256-GCM)', () => {
  for (const v of VECTORS) {
    void it(`matches ${v.name}`, () => {
      const sealed = seal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad))
      assert.equal(toHex(sealed), v.ciphertext + v.tag)
      assert.deepEqual(open(hex(v.key), hex(v.nonce), sealed, hex(v.aad)), hex(v.plaintext))
      // a secret KeyObject is the same key
      assert.equal(toHex(seal(createSecretKey(hex(v.key)), hex(v.nonce), hex(v.plaintext), hex(v.aad))), v.ciphertext + v.tag)
    })
  }

  void it('opens what it sealed, with a raw key or a KeyObject, and adds exactly the tag', () => {
    fc.assert(fc.property(key, nonce, bytes, bytes, (k, n, plaintext, aad) => {
      const sealed = seal(k, n, plaintext, aad)
      assert.equal(sealed.byteLength, plaintext.byteLength + GCM_TAG_LENGTH)
      assert.deepEqual(open(k, n, sealed, aad), plaintext)
      assert.deepEqual(open(createSecretKey(k), n, sealed, aad), plaintext)
    }))
  })

  void it('fails to open after any single-bit flip of the ciphertext or tag', () => {
    fc.assert(fc.property(key, nonce, bytes, bytes, fc.nat(), (k, n, plaintext, aad, bit) => {
      const sealed = seal(k, n, plaintext, aad)
      assert.equal(open(k, n, flip(sealed, bit), aad), undefined)
    }), { numRuns: 500 })
  })

  void it('fails to open under any other AAD, nonce or key', () => {
    fc.assert(fc.property(key, nonce, bytes, bytes, fc.nat(), (k, n, plaintext, aad, bit) => {
      const sealed = seal(k, n, plaintext, aad)
      assert.equal(open(flip(k, bit), n, sealed, aad), undefined)
      assert.equal(open(k, flip(n, bit), sealed, aad), undefined)
      if (aad.byteLength > 0) {
        assert.equal(open(k, n, sealed, flip(aad, bit)), undefined)
      }
      // a longer AAD, even by a zero byte, is another AAD
      assert.equal(open(k, n, sealed, Uint8Array.of(...aad, 0)), undefined)
    }), { numRuns: 300 })
  })

  void it('fails to open a truncated or extended ciphertext, including one shorter than a tag', () => {
    fc.assert(fc.property(key, nonce, bytes, fc.nat(), (k, n, plaintext, cut) => {
      const sealed = seal(k, n, plaintext, new Uint8Array())
      assert.equal(open(k, n, sealed.subarray(0, cut % sealed.byteLength), new Uint8Array()), undefined)
      assert.equal(open(k, n, Uint8Array.of(...sealed, 0), new Uint8Array()), undefined)
    }))
    const k = new Uint8Array(randomBytes(32))
    const n = new Uint8Array(12)
    assert.equal(open(k, n, new Uint8Array(GCM_TAG_LENGTH - 1), new Uint8Array()), undefined)
    assert.equal(open(k, n, new Uint8Array(), new Uint8Array()), undefined)
  })

  void it('throws TypeError for a key or nonce of the wrong length, whatever the data', () => {
    const good = new Uint8Array(32)
    const n = new Uint8Array(12)
    const empty = new Uint8Array()
    for (const length of [0, 16, 24, 31, 33, 64]) {
      const k = new Uint8Array(length)
      assert.throws(() => seal(k, n, empty, empty), TypeError, `key of ${length}`)
      assert.throws(() => open(k, n, new Uint8Array(16), empty), TypeError, `key of ${length}`)
      // also when the ciphertext is too short to open: a programmer mistake is never "does not verify"
      assert.throws(() => open(k, n, empty, empty), TypeError, `key of ${length}`)
    }
    for (const length of [0, 8, 11, 13, 16]) {
      assert.throws(() => seal(good, new Uint8Array(length), empty, empty), TypeError, `nonce of ${length}`)
      assert.throws(() => open(good, new Uint8Array(length), empty, empty), TypeError, `nonce of ${length}`)
    }
    assert.throws(() => seal(createSecretKey(new Uint8Array(16)), n, empty, empty), TypeError)
    assert.throws(() => open(createSecretKey(new Uint8Array(16)), n, empty, empty), TypeError)
  })
})
