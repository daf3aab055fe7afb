/**
 * BackgroundTasks: stop() aborts every task's signal and waits until all of
 * them have settled, failures are logged (never thrown nor unhandled), run()
 * after stop is ignored, and the same instance can be started again.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BackgroundTasks } from '../../src/util/tasks.ts'
import type { Logger } from '@libp2p/interface'

interface Recorded { log: Logger, lines: unknown[][] }

/** A logger that records every call (message and arguments) */
function recordingLogger (): Recorded {
  const lines: unknown[][] = []
  const log = Object.assign((...args: unknown[]) => { lines.push(args) }, {
    error: (...args: unknown[]) => { lines.push(args) },
    trace: () => {},
    enabled: true,
    newScope: () => log
  }) as Logger
  return { log, lines }
}

/** A promise with its resolve and reject, to settle a task when the test says so */
function deferred<T = void> (): { promise: Promise<T>, resolve: (value: T) => void, reject: (err: Error) => void } {
  let resolve!: (value: T) => void
  let reject!: (err: Error) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

void describe('BackgroundTasks', () => {
  void it('logs a failing task instead of throwing, naming the task and keeping the error', async () => {
    const { log, lines } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    const boom = new Error('boom')
    assert.doesNotThrow(() => { tasks.run('write the peer book', async () => { throw boom }) })
    // the failure is handled on a later tick: a stop() before that tick aborts the
    // signal first, and failures of aborted tasks are not logged
    await new Promise(resolve => setImmediate(resolve))
    await tasks.stop()
    assert.equal(lines.length, 1)
    assert.deepEqual(lines[0]?.slice(1), ['write the peer book', boom])
  })

  void it('does not log a task that fails because it was aborted by stop()', async () => {
    const { log, lines } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    tasks.run('wait for abort', async (signal) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    }))
    await tasks.stop()
    assert.deepEqual(lines, [])
  })

  void it('stop() aborts the signal and resolves only after every running task has settled', async () => {
    const { log } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    const slow = deferred()
    const seen: AbortSignal[] = []
    let settled = 0
    // one task that ignores its signal, one that follows it
    tasks.run('ignores the signal', async (signal) => { seen.push(signal); await slow.promise; settled++ })
    tasks.run('follows the signal', async (signal) => {
      seen.push(signal)
      await new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
      settled++
    })
    assert.equal(tasks.size, 2)

    let stopped = false
    const stopping = tasks.stop().then(() => { stopped = true })
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.ok(seen.every(s => s.aborted), 'every task signal is aborted')
    assert.equal(stopped, false, 'stop() waits for the task that ignores its signal')

    slow.resolve()
    await stopping
    assert.equal(settled, 2)
    assert.equal(tasks.size, 0)
  })

  void it('waits for a task that a running task started before stop()', async () => {
    const { log } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    const order: string[] = []
    const inner = deferred()
    tasks.run('outer', async () => {
      tasks.run('inner', async () => { await inner.promise; order.push('inner') })
      order.push('outer')
    })
    const stopping = tasks.stop().then(() => { order.push('stopped') })
    setTimeout(() => { inner.resolve() }, 10)
    await stopping
    assert.deepEqual(order, ['outer', 'inner', 'stopped'])
  })

  void it('ignores run() before start and after stop', async () => {
    const { log } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    let ran = 0
    tasks.run('before start', async () => { ran++ })
    tasks.start()
    await tasks.stop()
    tasks.run('after stop', async () => { ran++ })
    assert.equal(ran, 0)
    assert.equal(tasks.size, 0)
  })

  void it('can start again after stop, with a fresh signal', async () => {
    const { log } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    const first = tasks.signal
    await tasks.stop()
    assert.equal(first.aborted, true)

    tasks.start()
    assert.equal(tasks.signal.aborted, false)
    assert.notEqual(tasks.signal, first)
    let ran = false
    tasks.run('after restart', async (signal) => { ran = !signal.aborted })
    await tasks.stop()
    assert.equal(ran, true)
  })

  void it('start() while started keeps the running signal', () => {
    const { log } = recordingLogger()
    const tasks = new BackgroundTasks(log)
    tasks.start()
    const signal = tasks.signal
    tasks.start()
    assert.equal(tasks.signal, signal)
    return tasks.stop()
  })
})
