/**
 * A clock that moves only when told (src/util/clock.ts), for what bounds
 * things in time: the throttles, the handshakes in progress.
 */
import type { Clock } from '../../src/util/clock.ts'

/** Runs the timers that fall due, in order, as `advance` moves time */
export class FakeClock implements Clock {
  time = 1_000_000
  private readonly timers = new Map<number, { at: number, fn: () => void }>()
  private nextId = 1

  now (): number {
    return this.time
  }

  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + ms, fn })
    return id
  }

  clearTimeout (timer: unknown): void {
    this.timers.delete(timer as number)
  }

  /** timers set and not yet run or cleared */
  get pending (): number {
    return this.timers.size
  }

  advance (ms: number): void {
    const end = this.time + ms

    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort(([, a], [, b]) => a.at - b.at)[0]

      if (due == null) {
        break
      }

      this.timers.delete(due[0])
      this.time = due[1].at
      due[1].fn()
    }

    this.time = end
  }
}
