/**
 * The key file is checked before anything else: a wrong passphrase (or none
 * for a protected data dir, or one for an unprotected one) and a damaged key
 * file leave every byte, name, mode and time in the data dir as it was. And
 * what faces ask before a start: inspectDataDir and checkPassphrase, which
 * only read; and the modes the store creates, whatever the umask.
 */
import assert from 'node:assert/strict'
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkPassphrase, inspectDataDir } from '../../src/store/data-dir.ts'
import { createStore } from '../../src/store/index.ts'
import { changePassphrase } from '../../src/store/passwd.ts'
import { snapshotDir } from '../helpers/files.ts'
import { fixture, message, PEER_A } from './helpers.ts'
import type { Fixture } from './helpers.ts'

const PASSPHRASE = 'correct horse battery staple'

/** A data dir with some history, closed; unprotected if `passphrase` is undefined */
async function account (fx: Fixture, passphrase: string | undefined): Promise<void> {
  const store = fx.track(createStore({ dataDir: fx.dataDir, ...(passphrase !== undefined ? { passphrase } : {}) }))
  await store.open()
  for (let i = 0; i < 3; i++) {
    await store.append(message(PEER_A, { text: `m${i}` }))
  }
  await store.close()
}

/** `attempt` rejects with `name`, and the data dir is exactly as it was */
async function refusedUntouched (fx: Fixture, name: string, attempt: () => Promise<unknown>): Promise<void> {
  const before = await snapshotDir(fx.dataDir)
  await assert.rejects(attempt(), { name })
  assert.deepEqual(await snapshotDir(fx.dataDir), before)
}

void describe('a refused key file changes nothing', () => {
  void it('a wrong passphrase, or none, for a protected data dir', async t => {
    const fx = await fixture(t)
    await account(fx, PASSPHRASE)
    for (const passphrase of ['incorrect horse', undefined]) {
      const store = fx.track(createStore({ dataDir: fx.dataDir, ...(passphrase !== undefined ? { passphrase } : {}) }))
      await refusedUntouched(fx, 'WrongPassphraseError', async () => store.open())
      assert.equal(store.status, 'closed')
      await refusedUntouched(fx, 'WrongPassphraseError', async () => checkPassphrase(fx.dataDir, passphrase))
      await refusedUntouched(fx, 'WrongPassphraseError', async () => changePassphrase(fx.dataDir, passphrase, 'new one'))
    }
    // and the right one still opens it, with everything in it
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: PASSPHRASE }))
    await store.open()
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['m0', 'm1', 'm2'])
  })

  void it('a passphrase for an unprotected data dir', async t => {
    const fx = await fixture(t)
    await account(fx, undefined)
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: PASSPHRASE }))
    await refusedUntouched(fx, 'WrongPassphraseError', async () => store.open())
    await refusedUntouched(fx, 'WrongPassphraseError', async () => checkPassphrase(fx.dataDir, PASSPHRASE))
    await refusedUntouched(fx, 'WrongPassphraseError', async () => changePassphrase(fx.dataDir, PASSPHRASE, undefined))
  })

  void it('a damaged key file, with or without a passphrase', async t => {
    const fx = await fixture(t)
    await account(fx, PASSPHRASE)
    const keyPath = join(fx.dataDir, 'securechat.key')
    for (const damaged of ['', '{"format":"securechat-key"', '{}', '\u0000\u00ff']) {
      await writeFile(keyPath, damaged)
      for (const passphrase of [PASSPHRASE, undefined]) {
        const store = fx.track(createStore({ dataDir: fx.dataDir, ...(passphrase !== undefined ? { passphrase } : {}) }))
        await refusedUntouched(fx, 'CorruptKeyFileError', async () => store.open())
        await refusedUntouched(fx, 'CorruptKeyFileError', async () => checkPassphrase(fx.dataDir, passphrase))
        await refusedUntouched(fx, 'CorruptKeyFileError', async () => inspectDataDir(fx.dataDir))
      }
    }
  })

  void it('a temp file a killed passwd left stays until the right passphrase opens the store', async t => {
    const fx = await fixture(t)
    await account(fx, PASSPHRASE)
    const temp = join(fx.dataDir, 'securechat.key.0123456789ab.tmp')
    await writeFile(temp, 'left by a killed passwd', { mode: 0o600 })
    const wrong = fx.track(createStore({ dataDir: fx.dataDir, passphrase: 'wrong' }))
    await refusedUntouched(fx, 'WrongPassphraseError', async () => wrong.open())
    const right = fx.track(createStore({ dataDir: fx.dataDir, passphrase: PASSPHRASE }))
    await right.open()
    assert.deepEqual((await readdir(fx.dataDir)).sort(), ['db', 'securechat.key'])
  })
})

void describe('inspectDataDir', () => {
  void it('tells empty, unprotected and protected apart', async t => {
    const fx = await fixture(t)
    assert.deepEqual(await inspectDataDir(fx.dataDir), { state: 'empty', looseModes: [] })
    await mkdir(fx.dataDir, { mode: 0o700 })
    await writeFile(join(fx.dataDir, 'notes.txt'), 'not ours', { mode: 0o600 })
    assert.deepEqual(await inspectDataDir(fx.dataDir), { state: 'empty', looseModes: [] })
    await rm(fx.dataDir, { recursive: true })

    await account(fx, undefined)
    assert.deepEqual(await inspectDataDir(fx.dataDir), { state: 'unprotected', looseModes: [] })
    await changePassphrase(fx.dataDir, undefined, PASSPHRASE)
    assert.deepEqual(await inspectDataDir(fx.dataDir), { state: 'protected', looseModes: [] })
  })

  void it('lists the data dir, the key file and the database directory when group or others have access', async t => {
    const fx = await fixture(t)
    await account(fx, PASSPHRASE)
    await chmod(fx.dataDir, 0o755)
    await chmod(join(fx.dataDir, 'securechat.key'), 0o644)
    await chmod(join(fx.dataDir, 'db'), 0o701)
    const before = await snapshotDir(fx.dataDir)
    assert.deepEqual(await inspectDataDir(fx.dataDir), {
      state: 'protected',
      looseModes: [`${fx.dataDir} 0755`, `${join(fx.dataDir, 'securechat.key')} 0644`, `${join(fx.dataDir, 'db')} 0701`]
    })
    assert.deepEqual(await snapshotDir(fx.dataDir), before)

    // passwd writes a 0600 key file; the directories are the user's to fix
    await changePassphrase(fx.dataDir, PASSPHRASE, PASSPHRASE)
    assert.deepEqual((await inspectDataDir(fx.dataDir)).looseModes, [`${fx.dataDir} 0755`, `${join(fx.dataDir, 'db')} 0701`])
  })

  void it('refuses a database without its key file', async t => {
    const fx = await fixture(t)
    await account(fx, PASSPHRASE)
    await rm(join(fx.dataDir, 'securechat.key'))
    await refusedUntouched(fx, 'CorruptKeyFileError', async () => inspectDataDir(fx.dataDir))
    await refusedUntouched(fx, 'CorruptKeyFileError', async () => checkPassphrase(fx.dataDir, PASSPHRASE))
    await refusedUntouched(fx, 'CorruptKeyFileError', async () => changePassphrase(fx.dataDir, PASSPHRASE, 'new'))
  })
})

void describe('checkPassphrase', () => {
  void it('resolves for the passphrase that opens the key file', async t => {
    const fx = await fixture(t)
    // an empty data dir takes any: its first start creates the key file with it
    await checkPassphrase(fx.dataDir, PASSPHRASE)
    await checkPassphrase(fx.dataDir)
    await assert.rejects(stat(fx.dataDir), { code: 'ENOENT' })

    await account(fx, PASSPHRASE)
    const before = await snapshotDir(fx.dataDir)
    await checkPassphrase(fx.dataDir, PASSPHRASE)
    assert.deepEqual(await snapshotDir(fx.dataDir), before)
    await assert.rejects(checkPassphrase(fx.dataDir, ''), TypeError)
    await assert.rejects(checkPassphrase(fx.dataDir, PASSPHRASE, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })
})

void describe('modes the store creates', () => {
  for (const umask of [0o022, 0o000]) {
    void it(`0700 directories and a 0600 key file under umask ${umask.toString(8).padStart(3, '0')}`, async t => {
      const fx = await fixture(t)
      const previous = process.umask(umask)
      t.after(() => { process.umask(previous) })
      const dataDir = join(fx.root, 'parent', 'data')
      const store = fx.track(createStore({ dataDir }))
      await store.open()
      await store.append(message(PEER_A))
      await store.close()
      const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777
      assert.equal(await mode(join(fx.root, 'parent')), 0o700)
      assert.equal(await mode(dataDir), 0o700)
      assert.equal(await mode(join(dataDir, 'db')), 0o700)
      assert.equal(await mode(join(dataDir, 'securechat.key')), 0o600)
      assert.deepEqual(await inspectDataDir(dataDir), { state: 'unprotected', looseModes: [] })

      await changePassphrase(dataDir, undefined, PASSPHRASE)
      assert.equal(await mode(join(dataDir, 'securechat.key')), 0o600)
      assert.deepEqual(await inspectDataDir(dataDir), { state: 'protected', looseModes: [] })
    })
  }
})
