/**
 * Pure key encoding: byte order of history keys is (peer, time, seq, id)
 * order, the logical clock only moves forward, and decoding is total.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_SEQ, MAX_TIME } from '../../src/store/constants.ts'
import {
  compareClocks, decodeHistoryKey, encodeHistoryKey, encodeIndexKey, historyRange, isKeyPart, nextClock, ZERO_CLOCK
} from '../../src/store/keys.ts'
import type { Clock } from '../../src/store/keys.ts'

const keyPart = fc.string({ unit: fc.integer({ min: 0x22, max: 0x7e }).map(c => String.fromCharCode(c)), minLength: 1, maxLength: 60 })
const time = fc.integer({ min: 0, max: MAX_TIME })
const seq = fc.integer({ min: 0, max: MAX_SEQ })
const historyKey = fc.record({ peer: keyPart, time, seq, id: keyPart }, { noNullPrototype: true })

/** LevelDB compares keys bytewise; for ASCII that is code-unit order */
function compareBytes (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

void describe('store keys', () => {
  void it('orders history keys of one peer by (time, seq), then id', () => {
    fc.assert(fc.property(keyPart, time, seq, keyPart, time, seq, keyPart, (peer, t1, s1, id1, t2, s2, id2) => {
      const a = encodeHistoryKey({ peer, time: t1, seq: s1, id: id1 })
      const b = encodeHistoryKey({ peer, time: t2, seq: s2, id: id2 })
      const byClock = compareClocks({ time: t1, seq: s1 }, { time: t2, seq: s2 })
      const expected = byClock !== 0 ? byClock : compareBytes(id1, id2)
      assert.equal(Math.sign(compareBytes(a, b)), Math.sign(expected))
    }), { numRuns: 2000 })
  })

  void it('orders close and boundary clocks', () => {
    const clocks: Clock[] = [
      { time: 0, seq: 0 }, { time: 0, seq: 1 }, { time: 0, seq: 9 }, { time: 0, seq: 10 }, { time: 0, seq: MAX_SEQ },
      { time: 1, seq: 0 }, { time: 9, seq: 0 }, { time: 10, seq: 0 }, { time: 1_700_000_000_000, seq: 5 },
      { time: MAX_TIME, seq: 0 }, { time: MAX_TIME, seq: MAX_SEQ }
    ]
    const keys = clocks.map(c => encodeHistoryKey({ peer: 'p', id: 'i', ...c }))
    assert.deepEqual([...keys].sort(compareBytes), keys)
  })

  void it('decodes what it encodes and nothing else', () => {
    fc.assert(fc.property(historyKey, key => {
      assert.deepEqual(decodeHistoryKey(encodeHistoryKey(key)), key)
    }))
    fc.assert(fc.property(fc.string({ maxLength: 120 }), text => {
      const decoded = decodeHistoryKey(text)
      if (decoded !== undefined) {
        assert.equal(encodeHistoryKey(decoded), text)
      }
    }))
  })

  void it('keeps one peer range free of every other peer', () => {
    fc.assert(fc.property(keyPart, historyKey, (peer, key) => {
      const encoded = encodeHistoryKey(key)
      const { gt, lt } = historyRange(peer)
      const inside = compareBytes(encoded, gt) > 0 && compareBytes(encoded, lt) < 0
      assert.equal(inside, key.peer === peer)
    }), { numRuns: 2000 })
    // a peer id that is a prefix of another
    const { gt, lt } = historyRange('abc')
    const other = encodeHistoryKey({ peer: 'abcd', time: 1, seq: 0, id: 'x' })
    assert.ok(!(other > gt && other < lt))
  })

  void it('moves the clock strictly forward whatever the wall clock does', () => {
    const now = fc.oneof(fc.integer({ min: -10, max: MAX_TIME + 10 }), fc.constantFrom(0, 1, 1_700_000_000_000), fc.double())
    fc.assert(fc.property(fc.array(now, { maxLength: 200 }), nows => {
      let clock: Clock = ZERO_CLOCK
      for (const n of nows.filter(Number.isFinite)) {
        const next = nextClock(clock, n)
        assert.ok(compareClocks(next, clock) > 0)
        if (Math.floor(n) > clock.time && n <= MAX_TIME) {
          assert.deepEqual(next, { time: Math.floor(n), seq: 0 }, 'follows the wall clock forward')
        }
        encodeHistoryKey({ peer: 'p', id: 'i', ...next })
        clock = next
      }
    }))
    assert.deepEqual(nextClock({ time: 5, seq: MAX_SEQ }, 5), { time: 6, seq: 0 })
    assert.deepEqual(nextClock({ time: 5, seq: 3 }, 2), { time: 5, seq: 4 })
    assert.deepEqual(nextClock({ time: 5, seq: 3 }, 9), { time: 9, seq: 0 })
    assert.throws(() => nextClock({ time: MAX_TIME, seq: MAX_SEQ }, 0), RangeError)
    assert.throws(() => nextClock(ZERO_CLOCK, Number.NaN), TypeError)
  })

  void it('refuses key parts that would break the encoding', () => {
    for (const bad of ['', 'a!b', 'a b', 'é', 'a\nb', 'x'.repeat(257), 1, undefined]) {
      assert.equal(isKeyPart(bad), false)
      assert.throws(() => encodeIndexKey(bad as string, 'id'), TypeError)
      assert.throws(() => encodeIndexKey('peer', bad as string), TypeError)
      assert.throws(() => historyRange(bad as string), TypeError)
    }
    assert.throws(() => encodeHistoryKey({ peer: 'p', id: 'i', time: -1, seq: 0 }), TypeError)
    assert.throws(() => encodeHistoryKey({ peer: 'p', id: 'i', time: MAX_TIME + 1, seq: 0 }), TypeError)
    assert.throws(() => encodeHistoryKey({ peer: 'p', id: 'i', time: 1, seq: MAX_SEQ + 1 }), TypeError)
    assert.throws(() => encodeHistoryKey({ peer: 'p', id: 'i', time: 1.5, seq: 0 }), TypeError)
  })
})
