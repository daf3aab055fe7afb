/**
 * Per-key report throttling, for what a remote peer can make us report as
 * often as it likes (a rejected session per forged Hello): the first item of
 * a key in a window is reported at once; the further ones in that window
 * are only counted, and reported as one summary when the window ends. The
 * table of keys is bounded: past `maxKeys` the oldest window ends early
 * (its summary, if any, reported then). One timer, for the oldest window.
 */

/** The clock and timer, injected so tests can drive time */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

export interface ThrottleInit {
  /** ms a window lasts @default 10000 */
  window?: number
  /** keys with an open window at once @default 256 */
  maxKeys?: number
  clock?: Clock
}

/**
 * `more` is 0 for the first item of a window, which is `item`; otherwise the
 * summary of `more` items held back in the window, `item` being the window's
 * first.
 */
export type Report<T> = (key: string, item: T, more: number) => void

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => { clearTimeout(timer as ReturnType<typeof setTimeout>) }
}

interface Window<T> {
  first: T
  start: number
  more: number
}

export class Throttle<T> {
  readonly window: number
  private readonly maxKeys: number
  private readonly clock: Clock
  private readonly report: Report<T>
  /** open windows, oldest first (a Map keeps insertion order) */
  private readonly windows = new Map<string, Window<T>>()
  private timer?: unknown

  constructor (report: Report<T>, init: ThrottleInit = {}) {
    this.report = report
    this.window = init.window ?? 10_000
    this.maxKeys = init.maxKeys ?? 256
    this.clock = init.clock ?? realClock

    if (!(this.window > 0) || !Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new TypeError('throttle needs window > 0 and maxKeys >= 1')
    }
  }

  push (key: string, item: T): void {
    this.expire()
    const open = this.windows.get(key)

    if (open != null) {
      open.more++
      return
    }

    for (const [oldest] of this.windows) {
      if (this.windows.size < this.maxKeys) {
        break
      }

      this.close(oldest)
    }

    this.windows.set(key, { first: item, start: this.clock.now(), more: 0 })

    // a timer already set is for a window at least as old as any open one
    if (this.timer == null) {
      this.schedule()
    }

    this.report(key, item, 0)
  }

  /** open windows */
  get size (): number {
    return this.windows.size
  }

  /** forgets every window, reporting nothing more */
  stop (): void {
    this.windows.clear()
    this.unschedule()
  }

  /** ends the windows that are over */
  private expire (): void {
    const now = this.clock.now()

    for (const [key, w] of this.windows) {
      if (now - w.start < this.window) {
        break
      }

      this.close(key)
    }
  }

  private close (key: string): void {
    const w = this.windows.get(key)

    if (w == null) {
      return
    }

    this.windows.delete(key)

    if (w.more > 0) {
      this.report(key, w.first, w.more)
    }
  }

  /** one timer, for the end of the oldest window */
  private schedule (): void {
    const oldest = this.windows.values().next().value

    if (oldest == null) {
      return
    }

    const delay = Math.max(0, oldest.start + this.window - this.clock.now())
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.expire()
      this.schedule()
    }, delay)
  }

  private unschedule (): void {
    if (this.timer != null) {
      this.clock.clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}
