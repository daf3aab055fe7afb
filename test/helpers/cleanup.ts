/**
 * Last-resort cleanup for integration tests: synchronous hooks that run when
 * the test process exits, normally or by SIGINT/SIGTERM/SIGHUP. Tests still
 * clean up in `after` hooks; this only catches what a crash or a killed run
 * would otherwise leave behind (child processes, network namespaces).
 *
 * Hooks run last-registered first, so children spawned inside a namespace are
 * killed before the namespace is deleted.
 */

type Hook = () => void

const hooks = new Set<Hook>()
let installed = false

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

function runHooks (): void {
  for (const hook of [...hooks].reverse()) {
    hooks.delete(hook)
    try {
      hook()
    } catch {
      // best effort: the process is going away
    }
  }
}

function onSignal (signal: NodeJS.Signals): void {
  runHooks()
  for (const s of SIGNALS) {
    process.removeListener(s, onSignal)
  }
  // die of the same signal, as if we had not caught it
  process.kill(process.pid, signal)
}

function install (): void {
  if (installed) {
    return
  }
  installed = true
  process.once('exit', runHooks)
  for (const signal of SIGNALS) {
    process.once(signal, onSignal)
  }
}

/**
 * Register a synchronous hook to run at process exit; returns a function that
 * unregisters it (call it once the resource was released normally).
 */
export function onExit (hook: Hook): () => void {
  install()
  hooks.add(hook)
  return () => { hooks.delete(hook) }
}
