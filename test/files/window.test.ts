/**
 * The sender's flow-control window of a GET (src/files/window.ts), pure:
 * what may go out, what a MORE may say, and how a wait ends.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SendWindow } from '../../src/files/window.ts'

void describe('SendWindow', () => {
  void it('allows bytes up to the acknowledged offset plus the window; a MORE moves it and wakes a wait', async () => {
    const w = new SendWindow(1000, 100)
    assert.ok(w.allows(1100))
    assert.ok(!w.allows(1101))
    await w.until(1100)
    w.sentTo(1100)
    let woke = false
    const waiting = w.until(1150).then(() => { woke = true })
    await Promise.resolve()
    assert.equal(woke, false)
    w.ack(1040)
    await Promise.resolve()
    assert.equal(woke, false, 'not enough yet')
    w.ack(1050)
    await waiting
    assert.equal(woke, true)
  })

  void it('refuses a MORE that goes back or past what was sent', () => {
    const w = new SendWindow(500, 100)
    w.sentTo(560)
    assert.throws(() => { w.ack(499) }, { name: 'InvalidFileFrameError' })
    assert.throws(() => { w.ack(561) }, { name: 'InvalidFileFrameError' })
    w.ack(560)
    w.ack(560)
  })

  void it('a failed window rejects the wait under way and every later one; a signal ends a wait', async () => {
    const w = new SendWindow(0, 10)
    const waiting = w.until(20)
    w.fail(new Error('stream ended'))
    await assert.rejects(waiting, /stream ended/)
    await assert.rejects(w.until(5), /stream ended/, 'even one the window would allow')

    const v = new SendWindow(0, 10)
    const controller = new AbortController()
    const aborted = v.until(20, { signal: controller.signal })
    controller.abort(new Error('timeout'))
    await assert.rejects(aborted, /timeout/)
  })
})
