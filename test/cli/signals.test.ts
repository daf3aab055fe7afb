/** The one SIGINT/SIGTERM handler: first a clean stop, then a forced exit */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { describe, it } from 'node:test'
import { EXIT_SIGINT, EXIT_SIGTERM, handleInterrupts } from '../../src/cli/signals.ts'

function setup (): { signals: EventEmitter, exits: number[], interrupts: ReturnType<typeof handleInterrupts>, clock: { now: number } } {
  const signals = new EventEmitter()
  const exits: number[] = []
  const clock = { now: 1_000 }
  return { signals, exits, clock, interrupts: handleInterrupts(signals, code => { exits.push(code) }, () => clock.now) }
}

void describe('handleInterrupts', () => {
  void it('the first signal asks for a stop, the next forces exit 130 (SIGINT) or 143 (SIGTERM)', async () => {
    for (const [first, second, code] of [['SIGINT', 'SIGINT', EXIT_SIGINT], ['SIGTERM', 'SIGTERM', EXIT_SIGTERM], ['SIGINT', 'SIGTERM', EXIT_SIGTERM]] as const) {
      const { signals, exits, interrupts, clock } = setup()
      assert.equal(interrupts.signal.aborted, false)
      signals.emit(first)
      assert.equal(interrupts.signal.aborted, true)
      await interrupts.stopRequested
      assert.deepEqual(exits, [])
      clock.now += 1_000
      signals.emit(second)
      assert.deepEqual(exits, [code])
      interrupts.dispose()
    }
  })

  void it('ignores the launcher\'s echo: the same signal again within half a second of the first', () => {
    const { signals, exits, interrupts, clock } = setup()
    signals.emit('SIGINT')
    clock.now += 100
    signals.emit('SIGINT')
    assert.deepEqual(exits, [], 'one Ctrl+C reaches this process twice: still one clean stop')
    clock.now += 500
    signals.emit('SIGINT')
    assert.deepEqual(exits, [EXIT_SIGINT], 'a second Ctrl+C forces the exit')
    interrupts.dispose()
    // another signal is never an echo
    const other = setup()
    other.signals.emit('SIGINT')
    other.signals.emit('SIGTERM')
    assert.deepEqual(other.exits, [EXIT_SIGTERM])
    other.interrupts.dispose()
  })

  void it('once the command stops on its own, the first signal forces the exit', () => {
    const { signals, exits, interrupts } = setup()
    interrupts.stopping()
    assert.equal(interrupts.signal.aborted, true)
    signals.emit('SIGTERM')
    assert.deepEqual(exits, [EXIT_SIGTERM])
    interrupts.dispose()
  })

  void it('interrupt() is a SIGINT from elsewhere (Ctrl+C at a TTY prompt)', () => {
    const { exits, interrupts } = setup()
    interrupts.interrupt()
    assert.equal(interrupts.signal.aborted, true)
    interrupts.interrupt()
    assert.deepEqual(exits, [EXIT_SIGINT])
    interrupts.dispose()
  })

  void it('dispose() stops listening', () => {
    const { signals, exits, interrupts } = setup()
    assert.equal(signals.listenerCount('SIGINT'), 1)
    assert.equal(signals.listenerCount('SIGTERM'), 1)
    interrupts.dispose()
    interrupts.dispose()
    assert.equal(signals.listenerCount('SIGINT'), 0)
    assert.equal(signals.listenerCount('SIGTERM'), 0)
    signals.emit('SIGINT')
    assert.equal(interrupts.signal.aborted, false)
    assert.deepEqual(exits, [])
  })
})
