/**
 * Temporary directories for tests, removed when the test ends (passed or
 * failed) or, failing that, when the test process exits.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onExit } from './cleanup.ts'

/** A fresh directory under the system temp dir, deleted in an after hook of `t` */
export async function tempDir (t: { after: (fn: () => unknown) => void }, prefix = 'securechat-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const unregister = onExit(() => { rmSync(dir, { recursive: true, force: true }) })
  t.after(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
    unregister()
  })
  return dir
}
