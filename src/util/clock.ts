/**
 * The clock and timer of what bounds things in time (throttle.ts,
 * net/handshakes.ts), injected so that tests can drive time.
 */

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

/** Date.now and unref'd timers: nothing bounded in time keeps the process alive */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => { clearTimeout(timer as ReturnType<typeof setTimeout>) }
}
