/**
 * Signals and timeouts: the caller's signal first, a default timeout second
 * (js-libp2p's habit), and a race that rejects with the signal's reason, so
 * that a shutdown is not reported as a timeout.
 */
import { setMaxListeners, TimeoutError } from '@libp2p/interface'

/** A signal that aborts when `signal` does or after `ms`, whichever comes first */
export function signalWithTimeout (ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])
  // many reads and writes of one operation listen on the same signal
  setMaxListeners(Infinity, combined)
  return combined
}

/**
 * Resolves with `promise`, or rejects when `signal` aborts first: with a
 * TimeoutError saying what was awaited if a timeout fired, else with the
 * signal's own reason (a shutdown, a user's cancel).
 */
export async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal, awaited: string): Promise<T> {
  const reason = (): Error => {
    const r: unknown = signal.reason
    if (r instanceof Error && r.name !== 'TimeoutError') return r
    // AbortSignal.timeout's reason is a DOMException named TimeoutError: say what was awaited
    return r instanceof Error || r === undefined ? new TimeoutError(awaited) : new Error('aborted', { cause: r })
  }

  if (signal.aborted) {
    // as in the race below: a later rejection of `promise` is not ours to report, and must not go unhandled
    promise.catch(() => {})
    throw reason()
  }

  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(reason()) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
