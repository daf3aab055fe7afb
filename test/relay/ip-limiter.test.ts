/**
 * The relay's per-IP connection counter: allows up to the bound, counts
 * opens and closes per address, never goes negative, and refuses a bad bound.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { IpConnectionLimiter } from '../../src/relay/ip-limiter.ts'

const A = '192.0.2.1'
const B = '2001:db8::1'

void describe('IpConnectionLimiter', () => {
  void it('allows up to maxPerIp connections per address, independently', () => {
    const limiter = new IpConnectionLimiter(2)
    assert.equal(limiter.allows(A), true)
    limiter.opened(A)
    assert.equal(limiter.allows(A), true)
    limiter.opened(A)
    assert.equal(limiter.allows(A), false)
    assert.equal(limiter.count(A), 2)
    // another address is not affected
    assert.equal(limiter.allows(B), true)
    assert.equal(limiter.count(B), 0)
    limiter.closed(A)
    assert.equal(limiter.allows(A), true)
    assert.equal(limiter.count(A), 1)
  })

  void it('keeps counting opens past the bound (the gater decides) and refuses until enough close', () => {
    const limiter = new IpConnectionLimiter(1)
    limiter.opened(A)
    limiter.opened(A)
    limiter.opened(A)
    assert.equal(limiter.count(A), 3)
    limiter.closed(A)
    limiter.closed(A)
    assert.equal(limiter.allows(A), false)
    limiter.closed(A)
    assert.equal(limiter.allows(A), true)
  })

  void it('never goes negative: a close without an open is a no-op', () => {
    const limiter = new IpConnectionLimiter(1)
    limiter.closed(A)
    limiter.closed(A)
    assert.equal(limiter.count(A), 0)
    limiter.opened(A)
    assert.equal(limiter.count(A), 1)
    assert.equal(limiter.allows(A), false)
  })

  void it('matches a model for any sequence of opens and closes', () => {
    const op = fc.record({ ip: fc.constantFrom(A, B, '198.51.100.7'), open: fc.boolean() })
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 100 }), (max, ops) => {
      const limiter = new IpConnectionLimiter(max)
      const model = new Map<string, number>()
      for (const { ip, open } of ops) {
        const count = model.get(ip) ?? 0
        if (open) {
          limiter.opened(ip)
          model.set(ip, count + 1)
        } else {
          limiter.closed(ip)
          model.set(ip, Math.max(0, count - 1))
        }
        assert.equal(limiter.count(ip), model.get(ip))
        assert.equal(limiter.allows(ip), (model.get(ip) ?? 0) < max)
      }
    }))
  })

  void it('throws TypeError unless maxPerIp is a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new IpConnectionLimiter(bad), TypeError, String(bad))
    }
    assert.doesNotThrow(() => new IpConnectionLimiter(1))
  })
})
