/**
 * The conformance suite against LevelDB on disk, without and with a
 * passphrase-protected key file, and what is specific to LevelDB.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createStore } from '../../src/store/index.ts'
import { storeConformance } from './conformance.ts'
import { fixture, message, PEER_A } from './helpers.ts'

storeConformance('LevelDB', init => createStore(init))
storeConformance('LevelDB with passphrase', init => createStore({ ...init, passphrase: 'correct horse battery staple' }))

void describe('LevelDB store', () => {
  void it('refuses a second store on a data dir that is open, and stays usable', async t => {
    const fx = await fixture(t)
    const first = fx.track(createStore({ dataDir: fx.dataDir }))
    await first.open()
    const second = fx.track(createStore({ dataDir: fx.dataDir }))
    const err = await second.open().then(() => undefined, (err: unknown) => err)
    assert.ok(err instanceof Error)
    assert.equal((err as Error & { code?: string }).code, 'LEVEL_DATABASE_NOT_OPEN')
    assert.equal(second.status, 'closed')
    assert.equal(await first.append(message(PEER_A)), true)
    await first.close()
    await second.open()
    assert.equal((await second.history(PEER_A)).length, 1)
  })

  void it('rejects a missing or empty data dir or passphrase with TypeError', () => {
    assert.throws(() => createStore({ dataDir: '' }), TypeError)
    assert.throws(() => createStore({ dataDir: '/tmp/x', passphrase: '' }), TypeError)
  })
})
