/**
 * The conformance suite against LevelDB on disk, without and with a
 * passphrase-protected key file, and what is specific to LevelDB: its lock,
 * held by another store in this process or by another process.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createStore, DataDirInUseError } from '../../src/store/index.ts'
import { NODE_FLAGS } from '../helpers/process.ts'
import { protectCheaply } from '../helpers/scrypt.ts'
import { storeConformance } from './conformance.ts'
import { fixture, message, PEER_A } from './helpers.ts'

const HOLD_STORE = fileURLToPath(new URL('./hold-store.ts', import.meta.url))

function errorCode (err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code
}

const PASSPHRASE = 'correct horse battery staple'

storeConformance('LevelDB', init => createStore(init))
// each test's data dir protected at the cheapest scrypt cost: the suite opens stores dozens of times,
// and is about the store, not scrypt (a store creating a protected data dir at the real cost: passwd.test.ts, data-dir.test.ts)
storeConformance('LevelDB with passphrase', init => createStore({ ...init, passphrase: PASSPHRASE }), {
  prepare: async dataDir => { await protectCheaply(dataDir, PASSPHRASE) }
})

void describe('LevelDB store', () => {
  void it('refuses a second store on a data dir that is open with DataDirInUseError, and stays usable', async t => {
    const fx = await fixture(t)
    const first = fx.track(createStore({ dataDir: fx.dataDir }))
    await first.open()
    const second = fx.track(createStore({ dataDir: fx.dataDir }))
    const err = await second.open().then(() => undefined, (err: unknown) => err)
    assert.ok(err instanceof DataDirInUseError)
    assert.equal(err.name, 'DataDirInUseError')
    assert.equal(DataDirInUseError.name, 'DataDirInUseError')
    assert.equal(err.message, 'data dir is in use by another securechat process')
    // level's error is kept as the cause
    assert.equal(errorCode(err.cause), 'LEVEL_DATABASE_NOT_OPEN')
    assert.equal(errorCode((err.cause as Error).cause), 'LEVEL_LOCKED')
    assert.equal(second.status, 'closed')

    assert.equal(await first.append(message(PEER_A)), true)
    assert.equal((await first.history(PEER_A)).length, 1)
    await first.close()
    await second.open()
    assert.equal((await second.history(PEER_A)).length, 1)
  })

  void it('refuses a data dir held by another process, until that process is killed', async t => {
    const fx = await fixture(t)
    const child = spawn(process.execPath, [...NODE_FLAGS, HOLD_STORE, fx.dataDir], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })
    const [line] = await Promise.race([
      once(createInterface({ input: child.stdout }), 'line') as Promise<[string]>,
      exited.then(([code, signal]) => { throw new Error(`hold-store exited early (${String(code)}, ${String(signal)})`) })
    ])
    assert.equal(line, 'open')

    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(store.open(), { name: 'DataDirInUseError' })
    assert.equal(store.status, 'closed')

    // kill -9: the OS drops the lock, the child's synced append survived
    child.kill('SIGKILL')
    await exited
    await store.open()
    assert.deepEqual((await store.history(PEER_A)).map(m => m.text), ['from the child'])
  })

  void it('rejects a missing or empty data dir or passphrase with TypeError', () => {
    assert.throws(() => createStore({ dataDir: '' }), TypeError)
    assert.throws(() => createStore({ dataDir: '/tmp/x', passphrase: '' }), TypeError)
  })
})
