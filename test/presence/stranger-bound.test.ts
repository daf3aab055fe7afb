import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { StrangerBound } from '../../src/presence/stranger-bound.ts'

void describe('StrangerBound', () => {
  void it('keeps at most max strangers, evicting the least recently seen', () => {
    const bound = new StrangerBound(3)
    bound.load([{ peerId: 'a', lastSeen: 10 }, { peerId: 'b', lastSeen: 5 }])
    assert.deepEqual(bound.admit('c', 20), [])
    assert.deepEqual(bound.admit('d', 30), ['b'])
    // seen again: its time moves on, and it is no longer the oldest
    assert.deepEqual(bound.admit('a', 40), [])
    assert.deepEqual(bound.admit('e', 50), ['c'])
    assert.equal(bound.size, 3)
  })

  void it('never evicts the stranger being admitted, and forgets peers that are no strangers', () => {
    const bound = new StrangerBound(1)
    assert.deepEqual(bound.admit('a', 100), [])
    assert.deepEqual(bound.admit('b', 1), ['a'])
    bound.forget('b')
    assert.equal(bound.size, 0)
  })

  void it('stays within the bound for any sequence (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), fc.nat())), (max, admits) => {
      const bound = new StrangerBound(max)
      for (const [peer, at] of admits) {
        const evicted = bound.admit(peer, at)
        if (evicted.includes(peer) || bound.size > max) return false
      }
      return true
    }))
  })

  void it('refuses a bad bound', () => {
    assert.throws(() => new StrangerBound(0), TypeError)
  })
})
