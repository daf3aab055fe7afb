import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { SessionCipher } from '../../src/protocol/session.ts'

function pair (maxFrames?: bigint): { a: SessionCipher, b: SessionCipher } {
  const i2r = new Uint8Array(randomBytes(32))
  const r2i = new Uint8Array(randomBytes(32))
  return {
    a: new SessionCipher({ role: 'initiator', sendKey: new Uint8Array(i2r), recvKey: new Uint8Array(r2i), maxFrames }),
    b: new SessionCipher({ role: 'responder', sendKey: new Uint8Array(r2i), recvKey: new Uint8Array(i2r), maxFrames })
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('session cipher', () => {
  it('round-trips frames in both directions with per-direction counters', () => {
    const { a, b } = pair()
    for (let i = 0; i < 5; i++) {
      const f = a.seal(text(`a${i}`))
      assert.equal(f.counter, BigInt(i))
      assert.deepEqual(b.open(f), text(`a${i}`))
    }
    const back = b.seal(text('ack'))
    assert.equal(back.counter, 0n)
    assert.deepEqual(a.open(back), text('ack'))
  })

  it('never produces the same ciphertext twice for the same plaintext', () => {
    const { a } = pair()
    const f1 = a.seal(text('same'))
    const f2 = a.seal(text('same'))
    assert.notDeepEqual(f1.ciphertext, f2.ciphertext)
  })

  it('rejects a replayed frame', () => {
    const { a, b } = pair()
    const f = a.seal(text('hello'))
    b.open(f)
    assert.throws(() => b.open(f), { name: 'ReplayError' })
  })

  it('rejects reordered frames', () => {
    const { a, b } = pair()
    a.seal(text('first'))
    const second = a.seal(text('second'))
    assert.throws(() => b.open(second), { name: 'OutOfOrderError' })
  })

  it('rejects a frame whose counter was rewritten (counter is authenticated)', () => {
    const { a, b } = pair()
    a.seal(text('zero'))
    const f = a.seal(text('one'))
    assert.throws(() => b.open({ ...f, counter: 0n }), { name: 'DecryptionError' })
  })

  it('rejects a frame reflected back to its sender (direction is authenticated)', () => {
    const { a } = pair()
    const f = a.seal(text('mine'))
    assert.throws(() => a.open(f), { name: 'DecryptionError' })
  })

  it('rejects truncated frames', () => {
    const { a, b } = pair()
    const f = a.seal(text('hello world'))
    assert.throws(() => b.open({ ...f, ciphertext: f.ciphertext.subarray(0, f.ciphertext.length - 1) }), { name: 'DecryptionError' })
    assert.throws(() => b.open({ ...f, ciphertext: f.ciphertext.subarray(0, 5) }), { name: 'DecryptionError' })
    assert.throws(() => b.open({ ...f, ciphertext: new Uint8Array(0) }), { name: 'DecryptionError' })
  })

  it('rejects every single-bit change of a frame (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (plain, pos, bit) => {
      const { a, b } = pair()
      const f = a.seal(plain)
      const tampered = new Uint8Array(f.ciphertext)
      const at = pos % tampered.length
      tampered[at] = (tampered[at] ?? 0) ^ (1 << bit)
      assert.throws(() => b.open({ ...f, ciphertext: tampered }), { name: 'DecryptionError' })
      // the untouched frame is still accepted: a rejected frame does not advance the counter
      assert.deepEqual(b.open(f), plain)
    }), { numRuns: 200 })
  })

  it('stops sealing when the session frame limit is reached', () => {
    const { a, b } = pair(3n)
    for (let i = 0; i < 3; i++) b.open(a.seal(text('x')))
    assert.equal(a.exhausted, true)
    assert.throws(() => a.seal(text('x')), { name: 'SessionExhaustedError' })
  })

  it('is unusable after destroy()', () => {
    const { a } = pair()
    a.destroy()
    assert.throws(() => a.seal(text('x')), { name: 'SessionExhaustedError' })
  })
})
