/**
 * Report throttling, for what a remote peer can make us report as often as
 * it likes (a rejected session per forged Hello).
 *
 * Throttle, per key: the first item of a key in a window is reported at
 * once; the further ones in that window are only counted, and reported as
 * one summary when the window ends. The table of keys is bounded: past
 * `maxKeys` the oldest window ends early (its summary, if any, reported
 * then). One timer, for the oldest window.
 *
 * Cap, across keys: a key costs nothing to make (a fresh peer id per
 * session), so per key alone lets a flood of keys through. The first
 * `limit` items of a window, whatever their key, are passed on; the rest
 * are counted and reported as one summary when the window ends.
 */
import { realClock } from './clock.ts'
import type { Clock } from './clock.ts'

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

export interface CapInit {
  /** ms a window lasts @default 10000 */
  window?: number
  /** items passed on per window, whatever their key @default 5 */
  limit?: number
  /** distinct keys counted per window; past it each further item counts as a new key @default 256 */
  maxKeys?: number
  clock?: Clock
}

/** What a window held back: `items` (by weight) from `keys` distinct keys, `last` the last of them */
export interface Held<T> {
  last: T
  items: number
  keys: number
}

export class Cap<T> {
  readonly window: number
  private readonly limit: number
  private readonly maxKeys: number
  private readonly clock: Clock
  private readonly pass: (key: string, item: T) => void
  private readonly summary: (held: Held<T>) => void
  /** the open window: when it began, items passed on, what was held back */
  private start = 0
  private passed = 0
  private held?: Held<T>
  private readonly heldKeys = new Set<string>()
  private timer?: unknown

  constructor (pass: (key: string, item: T) => void, summary: (held: Held<T>) => void, init: CapInit = {}) {
    this.pass = pass
    this.summary = summary
    this.window = init.window ?? 10_000
    this.limit = init.limit ?? 5
    this.maxKeys = init.maxKeys ?? 256
    this.clock = init.clock ?? realClock

    if (!(this.window > 0) || ![this.limit, this.maxKeys].every(n => Number.isInteger(n) && n >= 1)) {
      throw new TypeError('cap needs window > 0, limit >= 1 and maxKeys >= 1')
    }
  }

  /** passes `item` on, or holds it back as `weight` items if the window's limit is reached */
  push (key: string, item: T, weight = 1): void {
    if (this.timer != null && this.clock.now() - this.start >= this.window) {
      this.close()
    }

    if (this.timer == null) {
      this.start = this.clock.now()
      this.timer = this.clock.setTimeout(() => { this.close() }, this.window)
    }

    if (this.passed < this.limit) {
      this.passed++
      this.pass(key, item)
      return
    }

    const known = this.heldKeys.has(key)

    if (!known && this.heldKeys.size < this.maxKeys) {
      this.heldKeys.add(key)
    }

    this.held = { last: item, items: (this.held?.items ?? 0) + weight, keys: (this.held?.keys ?? 0) + (known ? 0 : 1) }
  }

  /** ends the open window, reporting nothing more */
  stop (): void {
    this.reset()
  }

  /** ends the open window with its summary, if it held anything back */
  private close (): void {
    const held = this.held
    this.reset()

    if (held != null) {
      this.summary(held)
    }
  }

  private reset (): void {
    if (this.timer != null) {
      this.clock.clearTimeout(this.timer)
      this.timer = undefined
    }

    this.passed = 0
    this.held = undefined
    this.heldKeys.clear()
  }
}
