/**
 * The per-key throttle on a fake clock: the first item of a window at once,
 * the rest as one summary when it ends, keys independent, a bounded table
 * (the oldest window ends early), one timer, and stop() reports nothing more.
 * The cap across keys likewise: the first few of a window, whatever their
 * key, then one summary of what was held back (how many, from how many keys).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Cap, Throttle } from '../../src/util/throttle.ts'
import { FakeClock } from '../helpers/clock.ts'
import type { Held } from '../../src/util/throttle.ts'

interface Reported { key: string, item: string, more: number, at: number }

function setup (init: { window?: number, maxKeys?: number } = {}): { clock: FakeClock, throttle: Throttle<string>, reported: Reported[] } {
  const clock = new FakeClock()
  const reported: Reported[] = []
  const throttle = new Throttle<string>((key, item, more) => { reported.push({ key, item, more, at: clock.now() }) }, { window: 10_000, ...init, clock })
  return { clock, throttle, reported }
}

void describe('Throttle', () => {
  void it('reports the first item at once and the rest of the window as one summary at its end', () => {
    const { clock, throttle, reported } = setup()
    const start = clock.now()
    throttle.push('p', 'e1')
    assert.deepEqual(reported, [{ key: 'p', item: 'e1', more: 0, at: start }])

    for (let i = 2; i <= 58; i++) {
      clock.advance(100)
      throttle.push('p', `e${i}`)
    }

    assert.equal(reported.length, 1, 'nothing more during the window')
    clock.advance(10_000 - 5_700 - 1)
    assert.equal(reported.length, 1, 'not a millisecond early')
    clock.advance(1)
    assert.deepEqual(reported[1], { key: 'p', item: 'e1', more: 57, at: start + 10_000 })
    assert.equal(throttle.size, 0)
    assert.equal(clock.pending, 0, 'no timer left once every window is closed')
  })

  void it('sends no summary for a window with a single item', () => {
    const { clock, throttle, reported } = setup()
    throttle.push('p', 'e1')
    clock.advance(60_000)
    assert.equal(reported.length, 1)
    assert.equal(throttle.size, 0)
  })

  void it('opens a new window after the last one ended: its first item is reported at once again', () => {
    const { clock, throttle, reported } = setup()
    throttle.push('p', 'a')
    throttle.push('p', 'b')
    clock.advance(10_000)
    throttle.push('p', 'c')
    assert.deepEqual(reported.map(r => [r.item, r.more]), [['a', 0], ['a', 1], ['c', 0]])
  })

  void it('ends a window that is over when the next item comes, even before its timer ran', () => {
    const { clock, throttle, reported } = setup()
    throttle.push('p', 'a')
    throttle.push('p', 'b')
    clock.time += 10_000 // time passes, the timer has not run yet
    throttle.push('p', 'c')
    assert.deepEqual(reported.map(r => [r.item, r.more]), [['a', 0], ['a', 1], ['c', 0]])
    clock.advance(0)
    assert.equal(reported.length, 3, 'the late timer reports nothing twice')
  })

  void it('keeps keys apart, each with its own window, on one timer', () => {
    const { clock, throttle, reported } = setup()
    throttle.push('p', 'p1')
    clock.advance(4_000)
    throttle.push('q', 'q1')
    throttle.push('q', 'q2')
    throttle.push('p', 'p2')
    assert.equal(clock.pending, 1)
    clock.advance(6_000)
    assert.deepEqual(reported.map(r => [r.key, r.more]), [['p', 0], ['q', 0], ['p', 1]])
    clock.advance(4_000)
    assert.deepEqual(reported.map(r => [r.key, r.more, r.at - 1_000_000]), [['p', 0, 0], ['q', 0, 4_000], ['p', 1, 10_000], ['q', 1, 14_000]])
  })

  void it('holds at most maxKeys windows: the oldest ends early, with its summary', () => {
    const { clock, throttle, reported } = setup({ maxKeys: 2 })
    throttle.push('a', 'a1')
    throttle.push('a', 'a2')
    throttle.push('b', 'b1')
    throttle.push('c', 'c1')
    assert.equal(throttle.size, 2)
    assert.deepEqual(reported.map(r => [r.key, r.more]), [['a', 0], ['b', 0], ['a', 1], ['c', 0]])
    // b had nothing held back: it goes without a summary
    throttle.push('d', 'd1')
    assert.deepEqual(reported.map(r => r.key), ['a', 'b', 'a', 'c', 'd'])
    clock.advance(10_000)
    assert.equal(throttle.size, 0)
    assert.equal(reported.length, 5)
  })

  void it('stays bounded under many keys', () => {
    const { throttle } = setup({ maxKeys: 16 })
    for (let i = 0; i < 10_000; i++) throttle.push(`k${i}`, 'x')
    assert.equal(throttle.size, 16)
  })

  void it('reports nothing more after stop(), and leaves no timer', () => {
    const { clock, throttle, reported } = setup()
    throttle.push('p', 'a')
    throttle.push('p', 'b')
    throttle.stop()
    assert.equal(clock.pending, 0)
    clock.advance(60_000)
    assert.equal(reported.length, 1)
    assert.equal(throttle.size, 0)
  })

  void it('refuses a window or table size that makes no sense', () => {
    assert.throws(() => new Throttle(() => {}, { window: 0 }), TypeError)
    assert.throws(() => new Throttle(() => {}, { maxKeys: 0 }), TypeError)
    assert.throws(() => new Throttle(() => {}, { maxKeys: 1.5 }), TypeError)
  })

  void it('runs on real timers by default', async () => {
    const reported: number[] = []
    const throttle = new Throttle<string>((_key, _item, more) => { reported.push(more) }, { window: 20 })
    throttle.push('p', 'a')
    throttle.push('p', 'b')
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.deepEqual(reported, [0, 1])
    throttle.stop()
  })
})

function setupCap (init: { limit?: number, maxKeys?: number } = {}): { clock: FakeClock, cap: Cap<string>, passed: string[], held: Array<Held<string> & { at: number }> } {
  const clock = new FakeClock()
  const passed: string[] = []
  const held: Array<Held<string> & { at: number }> = []
  const cap = new Cap<string>((key, item) => { passed.push(`${key}:${item}`) }, (h) => { held.push({ ...h, at: clock.now() }) }, { window: 10_000, limit: 3, ...init, clock })
  return { clock, cap, passed, held }
}

void describe('Cap', () => {
  void it('passes the first `limit` items of a window, whatever their key, and sums up the rest when it ends', () => {
    const { clock, cap, passed, held } = setupCap()
    const start = clock.now()

    for (let i = 1; i <= 30; i++) {
      cap.push(`p${i}`, `e${i}`)
      clock.advance(100)
    }

    assert.deepEqual(passed, ['p1:e1', 'p2:e2', 'p3:e3'])
    assert.equal(held.length, 0, 'nothing more during the window')
    clock.advance(10_000 - 3_000 - 1)
    assert.equal(held.length, 0, 'not a millisecond early')
    clock.advance(1)
    assert.deepEqual(held, [{ last: 'e30', items: 27, keys: 27, at: start + 10_000 }])
    assert.equal(clock.pending, 0, 'no timer once the window is closed')
  })

  void it('counts items by weight and keys once each', () => {
    const { clock, cap, held } = setupCap({ limit: 1 })
    cap.push('a', 'a1')
    cap.push('b', 'b1')
    cap.push('b', 'b2', 7)
    cap.push('c', 'c1', 2)
    clock.advance(10_000)
    assert.deepEqual(held.map(h => [h.last, h.items, h.keys]), [['c1', 10, 2]])
  })

  void it('sends no summary for a window that held nothing back, and a new window passes items again', () => {
    const { clock, cap, passed, held } = setupCap({ limit: 2 })
    cap.push('a', 'a1')
    cap.push('b', 'b1')
    clock.advance(10_000)
    assert.equal(held.length, 0)
    cap.push('c', 'c1')
    cap.push('d', 'd1')
    cap.push('e', 'e1')
    assert.deepEqual(passed, ['a:a1', 'b:b1', 'c:c1', 'd:d1'])
    clock.time += 10_000 // the timer has not run yet: the next push ends the window first
    cap.push('f', 'f1')
    assert.deepEqual(held.map(h => [h.last, h.items]), [['e1', 1]])
    assert.deepEqual(passed.at(-1), 'f:f1')
    clock.advance(10_000)
    assert.equal(held.length, 1, 'the late timer sums up nothing twice')
  })

  void it('counts keys in a bounded set: past maxKeys each further item is a new key', () => {
    const { clock, cap, held } = setupCap({ limit: 1, maxKeys: 2 })
    cap.push('x', 'x')
    for (const key of ['a', 'b', 'a', 'c', 'c']) cap.push(key, key)
    clock.advance(10_000)
    assert.deepEqual(held.map(h => [h.items, h.keys]), [[5, 4]])
  })

  void it('reports nothing more after stop(), and leaves no timer', () => {
    const { clock, cap, held } = setupCap({ limit: 1 })
    cap.push('a', 'a1')
    cap.push('b', 'b1')
    cap.stop()
    assert.equal(clock.pending, 0)
    clock.advance(60_000)
    assert.equal(held.length, 0)
  })

  void it('refuses a window, limit or key bound that makes no sense', () => {
    assert.throws(() => new Cap(() => {}, () => {}, { window: 0 }), TypeError)
    assert.throws(() => new Cap(() => {}, () => {}, { limit: 0 }), TypeError)
    assert.throws(() => new Cap(() => {}, () => {}, { maxKeys: 0.5 }), TypeError)
  })
})
