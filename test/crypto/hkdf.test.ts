/**
 * HKDF-SHA256 against RFC 5869 appendix A (the SHA-256 cases), and SHA-256
 * against FIPS 180-2.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { hkdfSha256, sha256 } from '../../src/crypto/hkdf.ts'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** `length` bytes counting up from `first` */
const run = (first: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => first + i)

void describe('hkdfSha256', () => {
  void it('matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42)
    assert.equal(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
  })

  void it('matches RFC 5869 test case 2 (long inputs)', () => {
    const okm = hkdfSha256(run(0x00, 80), run(0x60, 80), run(0xb0, 80), 82)
    assert.equal(toHex(okm), 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87')
  })

  void it('matches RFC 5869 test case 3 (empty salt and info)', () => {
    assert.equal(toHex(hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(), '', 42)),
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
  })

  void it('takes a string info as its UTF-8 bytes, and separates labels', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 32 }), fc.string(), fc.string(), (ikm, salt, a, b) => {
      const derived = hkdfSha256(ikm, salt, a, 32)
      assert.deepEqual(derived, hkdfSha256(ikm, salt, new TextEncoder().encode(a), 32))
      if (a !== b) {
        assert.notDeepEqual(derived, hkdfSha256(ikm, salt, b, 32))
      }
    }))
  })

  void it('returns exactly `length` bytes, a prefix of any longer output', () => {
    const ikm = run(1, 32)
    const long = hkdfSha256(ikm, run(2, 16), 'label', 64)
    for (const length of [1, 16, 32, 42, 64]) {
      assert.deepEqual(hkdfSha256(ikm, run(2, 16), 'label', length), long.subarray(0, length))
    }
  })
})

void describe('sha256', () => {
  void it('matches FIPS 180-2 ("abc", and the empty message)', () => {
    assert.equal(toHex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    assert.equal(toHex(sha256(new Uint8Array())), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})
