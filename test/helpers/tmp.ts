/**
 * Temporary directories for tests and benchmarks, removed when the test ends
 * (passed or failed) or by their owner, and failing that when the process
 * exits.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onExit } from './cleanup.ts'

export interface TempDir {
  path: string
  /** deletes the directory and everything in it; idempotent */
  remove: () => Promise<void>
}

/** A fresh directory under the system temp dir, for code with no test context: the caller removes it */
export async function createTempDir (prefix = 'securechat-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  const unregister = onExit(() => { rmSync(path, { recursive: true, force: true }) })
  return {
    path,
    remove: async () => {
      await rm(path, { recursive: true, force: true, maxRetries: 3 })
      unregister()
    }
  }
}

/** A fresh directory under the system temp dir, deleted in an after hook of `t` */
export async function tempDir (t: { after: (fn: () => unknown) => void }, prefix = 'securechat-test-'): Promise<string> {
  const dir = await createTempDir(prefix)
  t.after(dir.remove)
  return dir.path
}
