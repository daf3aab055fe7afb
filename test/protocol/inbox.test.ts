/**
 * The inbound session's inbox (src/protocol/inbox.ts): take() hands over
 * everything pushed meanwhile, in order; the reader waits for room past the
 * bound; the end and the reader's error come after what was read before
 * them; ending releases a reader waiting for room.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Inbox } from '../../src/protocol/inbox.ts'

void describe('Inbox', () => {
  void it('hands over everything pushed while the handler was busy, in order', async () => {
    const inbox = new Inbox<number>(10)
    inbox.push(1)
    assert.deepEqual(await inbox.take(), [1])
    const next = inbox.take()
    inbox.push(2)
    inbox.push(3)
    assert.deepEqual(await next, [2, 3])
  })

  void it('makes the reader wait for room past its bound, and refuses a push past it', async () => {
    const inbox = new Inbox<number>(2)
    inbox.push(1)
    inbox.push(2)
    assert.throws(() => { inbox.push(3) }, RangeError)
    let roomy = false
    const room = inbox.room().then(() => { roomy = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(roomy, false)
    assert.deepEqual(await inbox.take(), [1, 2])
    await room
    assert.equal(roomy, true)
  })

  void it('makes the reader wait past its byte bound too: the item that crosses it is taken, the next waits', async () => {
    const inbox = new Inbox<string>(100, 1000)
    inbox.push('a', 600)
    await inbox.room()
    inbox.push('b', 600)
    let roomy = false
    const room = inbox.room().then(() => { roomy = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(roomy, false, 'room past the byte bound')
    assert.throws(() => { inbox.push('c', 1) }, RangeError)
    assert.deepEqual(await inbox.take(), ['a', 'b'])
    await room
    inbox.push('c', 999)
    assert.deepEqual(await inbox.take(), ['c'])
  })

  void it('gives what was read before the end, then undefined', async () => {
    const inbox = new Inbox<number>(4)
    inbox.push(1)
    inbox.end()
    assert.deepEqual(await inbox.take(), [1])
    assert.equal(await inbox.take(), undefined)
    assert.throws(() => { inbox.push(2) }, /ended/)
  })

  void it('gives what was read before the reader failed, then its error', async () => {
    const inbox = new Inbox<number>(4)
    inbox.push(1)
    inbox.end(new TypeError('bad frame'))
    assert.deepEqual(await inbox.take(), [1])
    await assert.rejects(inbox.take(), { name: 'TypeError', message: 'bad frame' })
  })

  void it('wakes a waiting handler at the end, and releases a reader waiting for room', async () => {
    const inbox = new Inbox<number>(1)
    const waiting = inbox.take()
    inbox.end()
    assert.equal(await waiting, undefined)
    const full = new Inbox<number>(1)
    full.push(1)
    const room = full.room()
    full.end()
    await room
    assert.equal(full.ended, true)
  })

  void it('refuses a bound that is not a positive integer', () => {
    for (const max of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new Inbox(max), TypeError)
      assert.throws(() => new Inbox(1, max), TypeError)
    }
  })
})
