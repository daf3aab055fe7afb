/**
 * changePassphrase: the same data key re-wrapped (the database is not
 * touched), the old passphrase refused afterwards, a SIGKILL after any step
 * of the key file's replacement leaving exactly one of the two working with
 * the history intact, and a running node on the data dir undisturbed.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SCRYPT_N, SCRYPT_P, SCRYPT_R } from '../../src/store/constants.ts'
import { inspectDataDir } from '../../src/store/data-dir.ts'
import { createStore } from '../../src/store/index.ts'
import { KEY_FILE_STEPS } from '../../src/store/keyfile-io.ts'
import { changePassphrase } from '../../src/store/passwd.ts'
import { snapshotDir } from '../helpers/files.ts'
import { NODE_FLAGS } from '../helpers/process.ts'
import { protectCheaply } from '../helpers/scrypt.ts'
import { fixture, message, PEER_A } from './helpers.ts'
import type { Fixture } from './helpers.ts'
import type { ChatMessage } from '../../src/types.ts'
import type { TestContext } from 'node:test'

const CHILD = fileURLToPath(new URL('./passwd-child.ts', import.meta.url))
const OLD = 'old passphrase, long enough'
const NEW = 'new passphrase, longer still'

/**
 * A closed data dir holding some history, under `passphrase` (none if
 * undefined) at the cheapest scrypt cost: what is tested is the re-wrap,
 * whose new wrapping takes the real cost unless a test says otherwise.
 */
async function account (fx: Fixture, passphrase: string | undefined): Promise<ChatMessage[]> {
  const store = fx.track(createStore({ dataDir: fx.dataDir }))
  await store.open()
  const sent = [message(PEER_A, { text: 'before passwd' }), message(PEER_A, { direction: 'out', text: 'queued' })]
  for (const m of sent) {
    await store.append(m)
  }
  await store.close()
  if (passphrase !== undefined) {
    await protectCheaply(fx.dataDir, passphrase)
  }
  return sent
}

/** Opens the store with `passphrase`: its history with PEER_A, or the name of the error */
async function tryOpen (fx: Fixture, passphrase: string | undefined): Promise<ChatMessage[] | string> {
  const store = fx.track(createStore({ dataDir: fx.dataDir, ...(passphrase !== undefined ? { passphrase } : {}) }))
  try {
    await store.open()
  } catch (err) {
    return (err as Error).name
  }
  try {
    return await store.history(PEER_A)
  } finally {
    await store.close()
  }
}

/** Runs passwd-child.ts (OLD to NEW) on the data dir, killed after `step` if given; killed by the test's end at the latest */
async function runChild (fx: Fixture, t: TestContext, step?: string): Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, CHILD, fx.dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PASSWD_OLD: OLD, PASSWD_NEW: NEW, PASSWD_KILL_AFTER: step }
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  const [code, signal] = await exited
  return { code, signal, stdout }
}

/** A snapshot of `db/` only: what changePassphrase must never write */
async function dbSnapshot (fx: Fixture): Promise<string[]> {
  return snapshotDir(join(fx.dataDir, 'db'))
}

void describe('changePassphrase', () => {
  void it('re-wraps the same data key: the new passphrase opens the history, the old one is refused, the database is not touched', async t => {
    const fx = await fixture(t)
    const sent = await account(fx, OLD)
    const db = await dbSnapshot(fx)
    await changePassphrase(fx.dataDir, OLD, NEW)
    assert.deepEqual(await dbSnapshot(fx), db)
    assert.deepEqual(await readdir(fx.dataDir).then(names => names.sort()), ['db', 'securechat.key'])
    // the new wrapping has the real cost, not the old file's (the account's is the cheapest)
    const file = JSON.parse(await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')) as { n: number, r: number, p: number }
    assert.deepEqual({ N: file.n, r: file.r, p: file.p }, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P })
    assert.equal(await tryOpen(fx, OLD), 'WrongPassphraseError')
    assert.deepEqual(await tryOpen(fx, NEW), sent)
  })

  void it('sets a passphrase on an unprotected data dir and removes one', async t => {
    const fx = await fixture(t)
    const sent = await account(fx, undefined)
    await changePassphrase(fx.dataDir, undefined, NEW)
    assert.equal((await inspectDataDir(fx.dataDir)).state, 'protected')
    assert.equal(await tryOpen(fx, undefined), 'WrongPassphraseError')
    assert.deepEqual(await tryOpen(fx, NEW), sent)
    const file = await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')
    assert.equal(file.includes('"kdf":"scrypt"'), true)

    await changePassphrase(fx.dataDir, NEW, undefined)
    assert.equal((await inspectDataDir(fx.dataDir)).state, 'unprotected')
    assert.equal(await tryOpen(fx, NEW), 'WrongPassphraseError')
    assert.deepEqual(await tryOpen(fx, undefined), sent)
  })

  void it('refuses bad arguments, an aborted signal or no key file, and changes nothing', async t => {
    const fx = await fixture(t)
    await account(fx, OLD)
    const before = await snapshotDir(fx.dataDir)
    await assert.rejects(changePassphrase(fx.dataDir, OLD, ''), TypeError)
    await assert.rejects(changePassphrase(fx.dataDir, '', NEW), TypeError)
    await assert.rejects(changePassphrase(fx.dataDir, OLD, NEW, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.deepEqual(await snapshotDir(fx.dataDir), before)
    await assert.rejects(changePassphrase(join(fx.root, 'nothing here'), OLD, NEW), { name: 'CorruptKeyFileError' })
  })

  // The decision (src/store/passwd.ts): passwd on a data dir in use is
  // allowed, because the data key does not change.
  void it('works on a data dir in use by a running store, which goes on undisturbed', async t => {
    const fx = await fixture(t)
    const sent = await account(fx, OLD)
    const running = fx.track(createStore({ dataDir: fx.dataDir, passphrase: OLD }))
    await running.open()
    // the running store holds LevelDB's lock: a second one cannot open
    assert.equal(await tryOpen(fx, OLD), 'DataDirInUseError')

    await changePassphrase(fx.dataDir, OLD, NEW)
    const after = message(PEER_A, { text: 'after passwd' })
    assert.equal(await running.append(after), true)
    assert.deepEqual(await running.history(PEER_A), [...sent, after])
    await running.close()

    assert.equal(await tryOpen(fx, OLD), 'WrongPassphraseError')
    assert.deepEqual(await tryOpen(fx, NEW), [...sent, after])
  })

  void it('lets only one of two stores starting at once on a new data dir create the key', async t => {
    const fx = await fixture(t)
    const stores = [0, 1].map(() => fx.track(createStore({ dataDir: fx.dataDir, passphrase: OLD })))
    const results = await Promise.allSettled(stores.map(async s => s.open()))
    const opened = stores.filter((_, i) => results[i]?.status === 'fulfilled')
    assert.equal(opened.length, 1, JSON.stringify(results.map(r => r.status === 'rejected' ? (r.reason as Error).name : 'open')))
    const refused = results.find(r => r.status === 'rejected')
    assert.equal((refused?.reason as Error | undefined)?.name, 'DataDirInUseError')
    const m = message(PEER_A)
    await opened[0]?.append(m)
    await opened[0]?.close()
    assert.deepEqual(await tryOpen(fx, OLD), [m])
  })

  for (const step of KEY_FILE_STEPS) {
    void it(`SIGKILL after ${step}: exactly one of the old and the new passphrase opens the store, history intact`, async t => {
      const fx = await fixture(t)
      const sent = await account(fx, OLD)
      assert.deepEqual(await runChild(fx, t, step), { code: null, signal: 'SIGKILL', stdout: '' })

      const withOld = await tryOpen(fx, OLD)
      const withNew = await tryOpen(fx, NEW)
      const working = [withOld, withNew].filter(r => typeof r !== 'string')
      assert.equal(working.length, 1, `old: ${JSON.stringify(withOld)}, new: ${JSON.stringify(withNew)}`)
      assert.deepEqual(working[0], sent)
      // before the rename the old file is in place; from the rename on, the new one
      const renamed = KEY_FILE_STEPS.indexOf(step) >= KEY_FILE_STEPS.indexOf('renamed')
      assert.equal(renamed ? withOld : withNew, 'WrongPassphraseError')
      // the opening store removed the temp file the kill left
      assert.deepEqual((await readdir(fx.dataDir)).sort(), ['db', 'securechat.key'])
    })
  }

  void it('the child changes the passphrase when not killed', async t => {
    const fx = await fixture(t)
    const sent = await account(fx, OLD)
    assert.deepEqual(await runChild(fx, t), { code: 0, signal: null, stdout: 'done\n' })
    assert.equal(await tryOpen(fx, OLD), 'WrongPassphraseError')
    assert.deepEqual(await tryOpen(fx, NEW), sent)
  })
})
