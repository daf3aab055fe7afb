/**
 * Signals and races: raceSignal rejects with libp2p's TimeoutError naming
 * what was awaited when a timeout fired, and with the signal's own reason
 * when the caller aborted; signalWithTimeout fires at its timeout or with
 * its parent, whichever comes first.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TimeoutError } from '@libp2p/interface'
import { raceSignal, signalWithTimeout } from '../../src/util/abort.ts'

const never = async (): Promise<never> => new Promise<never>(() => {})

async function aborted (signal: AbortSignal): Promise<number> {
  const start = Date.now()
  await new Promise(resolve => {
    if (signal.aborted) resolve(undefined)
    signal.addEventListener('abort', resolve, { once: true })
  })
  return Date.now() - start
}

void describe('raceSignal', () => {
  void it('rejects with a TimeoutError naming what was awaited when the timeout fires', async () => {
    await assert.rejects(raceSignal(never(), AbortSignal.timeout(10), 'no ack from peer in time'), (err: Error) => {
      assert.ok(err instanceof TimeoutError)
      assert.equal(err.name, 'TimeoutError')
      assert.equal(err.message, 'no ack from peer in time')
      return true
    })
  })

  void it('rejects with the signal\'s own reason when the caller aborts, not with a timeout', async () => {
    const controller = new AbortController()
    const shutdown = new Error('service stopping')
    const racing = raceSignal(never(), signalWithTimeout(5_000, controller.signal), 'frame not written in time')
    setTimeout(() => { controller.abort(shutdown) }, 5)
    await assert.rejects(racing, (err: unknown) => err === shutdown)
  })

  void it('wraps a reason that is not an Error, keeping it as the cause', async () => {
    const controller = new AbortController()
    controller.abort('bye')
    await assert.rejects(raceSignal(never(), controller.signal, 'x'), (err: Error) => err.name !== 'TimeoutError' && err.cause === 'bye')
  })

  void it('rejects at once with the reason of a signal that is already aborted', async () => {
    const reason = new Error('already cancelled')
    await assert.rejects(raceSignal(never(), AbortSignal.abort(reason), 'x'), (err: unknown) => err === reason)
    await assert.rejects(raceSignal(never(), AbortSignal.timeout(0), 'x'), (err: Error) => err.name === 'TimeoutError')
  })

  void it('leaves no unhandled rejection when the promise fails after the signal won', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      const late = async (): Promise<never> => new Promise<never>((_resolve, reject) => { setTimeout(() => { reject(new Error('late failure')) }, 5) })
      await assert.rejects(raceSignal(late(), AbortSignal.abort(new Error('first')), 'x'))
      await assert.rejects(raceSignal(late(), AbortSignal.timeout(1), 'x'), { name: 'TimeoutError' })
      await new Promise(resolve => setTimeout(resolve, 30))
      assert.deepEqual(unhandled, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  void it('resolves with the promise when it settles first, and passes its rejection on', async () => {
    const signal = AbortSignal.timeout(1_000)
    assert.equal(await raceSignal(Promise.resolve(42), signal, 'x'), 42)
    const failure = new Error('stream reset')
    await assert.rejects(raceSignal(Promise.reject(failure), signal, 'x'), (err: unknown) => err === failure)
  })

  void it('removes its abort listener once the promise settled', async () => {
    const controller = new AbortController()
    let added = 0
    let removed = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = (...args: Parameters<typeof add>) => { added++; add(...args) }
    signal.removeEventListener = (...args: Parameters<typeof remove>) => { removed++; remove(...args) }
    await raceSignal(Promise.resolve(1), signal, 'x')
    assert.equal(added, 1)
    assert.equal(removed, 1)
  })
})

void describe('signalWithTimeout', () => {
  void it('fires at the timeout with a TimeoutError reason', async () => {
    const signal = signalWithTimeout(20)
    const took = await aborted(signal)
    assert.ok(took >= 15 && took < 1_000, `aborted after ${took} ms`)
    assert.equal((signal.reason as Error).name, 'TimeoutError')
  })

  void it('fires with its parent, keeping the parent\'s reason', async () => {
    const parent = new AbortController()
    const signal = signalWithTimeout(5_000, parent.signal)
    assert.equal(signal.aborted, false)
    const reason = new Error('user cancelled')
    setTimeout(() => { parent.abort(reason) }, 5)
    const took = await aborted(signal)
    assert.ok(took < 1_000)
    assert.equal(signal.reason, reason)
  })

  void it('fires at the timeout even when the parent does not', async () => {
    const parent = new AbortController()
    const signal = signalWithTimeout(10, parent.signal)
    await aborted(signal)
    assert.equal(parent.signal.aborted, false)
    assert.equal((signal.reason as Error).name, 'TimeoutError')
  })

  void it('is aborted at once when the parent already is', () => {
    const reason = new Error('gone')
    assert.equal(signalWithTimeout(5_000, AbortSignal.abort(reason)).reason, reason)
  })
})
