/**
 * Exit codes, and the one way every long-running subcommand treats SIGINT
 * and SIGTERM: the first asks for a clean stop (the node stops, the store
 * closes, exit 0); one more once a stop is under way forces the exit, 130
 * for SIGINT and 143 for SIGTERM (128 + the signal number, as shells report).
 *
 * Ctrl+C at a terminal sends SIGINT to the whole process group: to this
 * process and to bin/securechat.js, the launcher, which forwards it (it must,
 * for a `kill` aimed at it alone). The same signal again within ECHO_MS of
 * the first is that echo, not a second request, and is ignored: otherwise
 * one Ctrl+C would force the exit and skip the clean-up.
 */

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
export const EXIT_SIGINT = 130
export const EXIT_SIGTERM = 143

export type StopSignal = 'SIGINT' | 'SIGTERM'

const FORCED_EXIT: Record<StopSignal, number> = { SIGINT: EXIT_SIGINT, SIGTERM: EXIT_SIGTERM }

/** A repeat of the first signal this soon after it is the launcher's echo */
const ECHO_MS = 500

/** What the handler needs of `process`; tests pass an EventEmitter */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown
  off(event: StopSignal, listener: () => void): unknown
}

export interface Interrupts {
  /** aborted once a stop is asked for: by a signal, interrupt() or stopping() */
  readonly signal: AbortSignal
  /** resolves once `signal` aborts */
  readonly stopRequested: Promise<void>
  /** as if `signal` had arrived (Ctrl+C at a TTY prompt goes to readline, not to the process) */
  interrupt(signal?: StopSignal): void
  /** the command stops on its own (/quit, end of input): from now on a signal forces the exit */
  stopping(): void
  /** stop listening to the signals; idempotent */
  dispose(): void
}

/** Listens to SIGINT and SIGTERM on `signals` until dispose(); `exit` is the forced exit; `now` the clock (tests) */
export function handleInterrupts (signals: SignalSource, exit: (code: number) => void, now: () => number = Date.now): Interrupts {
  const controller = new AbortController()
  const stopRequested = new Promise<void>(resolve => {
    controller.signal.addEventListener('abort', () => { resolve() }, { once: true })
  })

  const interrupt = (signal: StopSignal = 'SIGINT'): void => {
    if (controller.signal.aborted) {
      exit(FORCED_EXIT[signal])
      return
    }

    controller.abort()
  }
  let first: { signal: StopSignal, at: number } | undefined
  const onSignal = (signal: StopSignal): void => {
    if (first !== undefined && first.signal === signal && now() - first.at < ECHO_MS) {
      return
    }
    first ??= controller.signal.aborted ? undefined : { signal, at: now() }
    interrupt(signal)
  }
  const onSigint = (): void => { onSignal('SIGINT') }
  const onSigterm = (): void => { onSignal('SIGTERM') }
  signals.on('SIGINT', onSigint)
  signals.on('SIGTERM', onSigterm)

  return {
    signal: controller.signal,
    stopRequested,
    interrupt,
    stopping: () => { controller.abort() },
    dispose: () => {
      signals.off('SIGINT', onSigint)
      signals.off('SIGTERM', onSigterm)
    }
  }
}
