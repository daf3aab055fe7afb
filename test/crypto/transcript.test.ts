/**
 * Transcript encoding: a fixed vector, and that it is unambiguous: the
 * fields can always be read back, so different splits of the same bytes
 * encode differently.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { encodeTranscript } from '../../src/crypto/transcript.ts'

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The inverse of encodeTranscript for byte fields; throws on anything else */
function decodeTranscript (encoded: Uint8Array): Uint8Array[] {
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength)
  const fields: Uint8Array[] = []
  let offset = 0
  while (offset < encoded.byteLength) {
    assert.ok(offset + 4 <= encoded.byteLength, 'truncated length')
    const length = view.getUint32(offset)
    assert.ok(offset + 4 + length <= encoded.byteLength, 'truncated field')
    fields.push(encoded.slice(offset + 4, offset + 4 + length))
    offset += 4 + length
  }
  return fields
}

void describe('transcript encoding', () => {
  void it('writes each field as a 4-byte big-endian length and its bytes', () => {
    const encoded = encodeTranscript(['ab', Uint8Array.of(0xff), 1n, '', 'é'])
    assert.equal(toHex(encoded), [
      '00000002', '6162',
      '00000001', 'ff',
      '00000008', '0000000000000001',
      '00000000',
      '00000002', 'c3a9'
    ].join(''))
    assert.equal(encodeTranscript([]).byteLength, 0)
    assert.equal(toHex(encodeTranscript([2n ** 64n - 1n])), '00000008' + 'ff'.repeat(8))
  })

  void it('encodes different splits of the same bytes differently', () => {
    const splits = [['abc'], ['ab', 'c'], ['a', 'bc'], ['a', 'b', 'c'], ['', 'abc'], ['abc', ''], ['a', '', 'bc']]
    const encodings = new Set(splits.map(fields => toHex(encodeTranscript(fields))))
    assert.equal(encodings.size, splits.length)
  })

  void it('can always be read back, so no two field lists share an encoding', () => {
    const fields = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 })
    fc.assert(fc.property(fields, list => {
      assert.deepEqual(decodeTranscript(encodeTranscript(list)), list)
    }))
  })

  void it('encodes any two different splits of the same bytes differently', () => {
    /** `data` cut at the given offsets (taken modulo its length + 1, sorted) */
    const split = (data: Uint8Array, cuts: number[]): Uint8Array[] => {
      const at = [0, ...cuts.map(c => c % (data.byteLength + 1)).sort((x, y) => x - y), data.byteLength]
      return at.slice(1).map((end, i) => data.slice(at[i], end))
    }
    const cuts = fc.array(fc.nat(), { maxLength: 6 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), cuts, cuts, (data, cutsA, cutsB) => {
      const a = split(data, cutsA)
      const b = split(data, cutsB)
      const same = a.length === b.length && a.every((field, i) => toHex(field) === toHex(b[i] ?? new Uint8Array()))
      assert.equal(toHex(encodeTranscript(a)) === toHex(encodeTranscript(b)), same)
    }), { numRuns: 500 })
  })

  void it('takes strings as UTF-8 and integers as 8-byte big-endian', () => {
    fc.assert(fc.property(fc.string(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (s, n) => {
      const bytes = new Uint8Array(8)
      new DataView(bytes.buffer).setBigUint64(0, n)
      assert.deepEqual(encodeTranscript([s, n]), encodeTranscript([text(s), bytes]))
    }))
  })

  void it('throws TypeError for an integer outside uint64', () => {
    assert.throws(() => encodeTranscript([-1n]), TypeError)
    assert.throws(() => encodeTranscript([2n ** 64n]), TypeError)
  })
})
