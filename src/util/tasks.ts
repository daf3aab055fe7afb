/**
 * The background work of a service (a write to the peer book after an
 * event, a dial, a receipt flush): each task gets the service's signal, its
 * failure is logged, never unhandled, and stop() aborts the signal and waits
 * until every task has settled, so that a stopped service has really stopped
 * and nothing writes to a closed store.
 */
import { setMaxListeners } from '@libp2p/interface'
import type { Logger } from '@libp2p/interface'

export class BackgroundTasks {
  private readonly log: Logger
  private readonly running = new Set<Promise<void>>()
  private controller = new AbortController()
  private stopped = true

  constructor (log: Logger) {
    this.log = log
  }

  /** aborted when the service stops */
  get signal (): AbortSignal {
    return this.controller.signal
  }

  get size (): number {
    return this.running.size
  }

  start (): void {
    if (this.stopped) {
      this.controller = new AbortController()
      setMaxListeners(Infinity, this.controller.signal)
      this.stopped = false
    }
  }

  /** Runs `task` in the background; ignored once stopped */
  run (what: string, task: (signal: AbortSignal) => Promise<unknown>): void {
    if (this.stopped) {
      return
    }

    const signal = this.controller.signal
    const done: Promise<void> = task(signal)
      .then(() => {}, (err: unknown) => {
        if (!signal.aborted) {
          this.log('%s failed - %e', what, err)
        }
      })
      .finally(() => { this.running.delete(done) })
    this.running.add(done)
  }

  /** Aborts every task's signal and resolves once all of them have settled */
  async stop (): Promise<void> {
    this.stopped = true
    this.controller.abort(new Error('service stopping'))

    while (this.running.size > 0) {
      await Promise.allSettled([...this.running])
    }
  }
}
