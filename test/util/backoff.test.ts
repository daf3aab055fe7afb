/**
 * Exponential backoff with jitter: each delay lies in [ceiling / 2, ceiling],
 * the ceiling doubles from `base` up to `cap`, reset starts over, and bad
 * bounds are a TypeError.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Backoff } from '../../src/util/backoff.ts'

/** A random source that replays `values`, then repeats the last one */
function replay (...values: number[]): () => number {
  let i = 0
  return () => values[Math.min(i++, values.length - 1)] ?? 0
}

function delays (backoff: Backoff, n: number): number[] {
  return Array.from({ length: n }, () => backoff.next())
}

void describe('Backoff', () => {
  void it('waits half the ceiling at random 0 and the full ceiling at random 1', () => {
    assert.deepEqual(delays(new Backoff({ random: () => 0 }), 7), [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000])
    assert.deepEqual(delays(new Backoff({ random: () => 1 }), 7), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    assert.deepEqual(delays(new Backoff({ base: 100, cap: 1_000, random: () => 0.5 }), 6), [75, 150, 300, 600, 750, 750])
  })

  void it('doubles the ceiling up to the cap and stays there', () => {
    const backoff = new Backoff({ base: 10, cap: 1_000, random: () => 1 })
    assert.deepEqual(delays(backoff, 10), [10, 20, 40, 80, 160, 320, 640, 1_000, 1_000, 1_000])
    // far past the point where base * 2^n would overflow a double
    assert.deepEqual(delays(backoff, 2_000).filter(d => d !== 1_000), [])
  })

  void it('keeps every delay within [ceiling / 2, ceiling] for any random in [0, 1)', () => {
    const bounds = fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000 }))
      .map(([base, extra]) => ({ base, cap: base + extra }))
    const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 50 })
    fc.assert(fc.property(bounds, randoms, ({ base, cap }, values) => {
      const backoff = new Backoff({ base, cap, random: replay(...values) })
      values.forEach((_, attempt) => {
        const ceiling = Math.min(cap, base * 2 ** attempt)
        const delay = backoff.next()
        assert.ok(Number.isInteger(delay), `delay ${delay} is an integer`)
        assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} in [${ceiling / 2}, ${ceiling}]`)
      })
      assert.equal(backoff.attempts, values.length)
    }))
  })

  void it('uses its random source once per delay', () => {
    const backoff = new Backoff({ base: 1_000, cap: 1_000, random: replay(0, 1, 0.5) })
    assert.deepEqual(delays(backoff, 3), [500, 1_000, 750])
  })

  void it('starts over after reset', () => {
    const backoff = new Backoff({ base: 100, cap: 10_000, random: () => 1 })
    assert.equal(backoff.attempts, 0)
    assert.deepEqual(delays(backoff, 4), [100, 200, 400, 800])
    assert.equal(backoff.attempts, 4)
    backoff.reset()
    assert.equal(backoff.attempts, 0)
    assert.deepEqual(delays(backoff, 2), [100, 200])
  })

  void it('defaults to Math.random between 1 s and 30 s', () => {
    const backoff = new Backoff()
    const first = backoff.next()
    assert.ok(first >= 500 && first <= 1_000)
    const later = delays(backoff, 20)
    assert.ok(later.every(d => d >= 500 && d <= 30_000))
    assert.ok((later.at(-1) ?? 0) >= 15_000)
  })

  void it('throws TypeError unless 0 < base <= cap', () => {
    assert.throws(() => new Backoff({ base: 0 }), TypeError)
    assert.throws(() => new Backoff({ base: -1 }), TypeError)
    assert.throws(() => new Backoff({ base: 2_000, cap: 1_000 }), TypeError)
    assert.throws(() => new Backoff({ cap: 999 }), TypeError)
    assert.doesNotThrow(() => new Backoff({ base: 1_000, cap: 1_000 }))
  })
})
