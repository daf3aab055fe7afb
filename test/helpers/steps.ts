/**
 * Sequential steps of one scenario as subtests: once a step fails, the later
 * ones are reported as skipped (naming the failed step) instead of each
 * timing out on a state that can no longer be reached.
 */
import type { TestContext } from 'node:test'

export type Step = (name: string, fn: (t: TestContext) => Promise<void>) => Promise<void>

/** `onFailure` runs after a step failed, e.g. to print diagnostics */
export function steps (t: TestContext, onFailure?: (name: string, t: TestContext) => Promise<void> | void): Step {
  let failed: string | undefined

  return async (name, fn) => {
    await t.test(name, { skip: failed != null ? `after failed step: ${failed}` : false }, async (st) => {
      try {
        await fn(st)
      } catch (err) {
        failed = name
        await onFailure?.(name, st)
        throw err
      }
    })
  }
}
