/**
 * File transfers in the store, on real LevelDB: written, read, listed
 * oldest first and removed; kept across a reopen; validated on the way in;
 * bounded in number; sealed at rest with a size that shows nothing of the
 * file's name or path.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { MAX_STORED_TRANSFERS } from '../../src/store/constants.ts'
import { createStore } from '../../src/store/index.ts'
import { encodeTransfer, decodeTransfer } from '../../src/store/transfer-record.ts'
import { fixture, PEER_A } from './helpers.ts'
import type { StoredTransfer } from '../../src/store/index.ts'

function transfer (overrides: Partial<StoredTransfer> = {}): StoredTransfer {
  return {
    id: randomBytes(16).toString('hex'),
    peer: PEER_A,
    direction: 'out',
    name: 'holiday photos.tar',
    size: 1_000_000,
    sha256: 'ab'.repeat(32),
    state: 'offered',
    path: '/home/alice/holiday photos.tar',
    offset: 0,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides
  }
}

void describe('transfers in the store', () => {
  void it('are written, read, listed oldest first, kept across a reopen and removed', async (t) => {
    const fx = await fixture(t)
    let store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    const out = transfer({ createdAt: 2, updatedAt: 2 })
    const inbound = transfer({ direction: 'in', path: undefined, state: 'accepted', offset: 4096, request: true, createdAt: 1, updatedAt: 3, name: 'ünïcödé ✓.txt' })
    delete inbound.path
    await store.putTransfer(out)
    await store.putTransfer(inbound)
    assert.deepEqual((await store.transfers()).map(x => x.id), [inbound.id, out.id])
    await store.putTransfer({ ...out, state: 'accepted', delivered: true, offset: 10, updatedAt: 5 })
    await store.close()
    store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    assert.deepEqual(await store.getTransfer(inbound.id), inbound)
    assert.deepEqual(await store.getTransfer(out.id), { ...out, state: 'accepted', delivered: true, offset: 10, updatedAt: 5 })
    assert.equal(await store.deleteTransfer(out.id), true)
    assert.equal(await store.deleteTransfer(out.id), false)
    assert.equal(await store.getTransfer(out.id), undefined)
  })

  void it('refuse malformed transfers, writing nothing', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    for (const bad of [
      transfer({ id: 'x' }),
      transfer({ peer: '#' + 'ab'.repeat(16) }),
      transfer({ name: '' }),
      transfer({ name: 'é'.repeat(200) }),
      transfer({ size: -1 }),
      transfer({ size: 1.5 }),
      transfer({ sha256: 'AB'.repeat(32) }),
      transfer({ offset: 1_000_001 }),
      transfer({ path: undefined }),
      transfer({ direction: 'in', delivered: true }),
      transfer({ request: true }),
      transfer({ createdAt: 5, updatedAt: 4 }),
      { ...transfer(), state: 'lost' } as unknown as StoredTransfer
    ]) {
      await assert.rejects(store.putTransfer(bad), TypeError)
    }
    assert.deepEqual(await store.transfers(), [])
    await assert.rejects(store.getTransfer('../x'), TypeError)
  })

  void it('keep at most MAX_STORED_TRANSFERS; a new version of one is always written', async (t) => {
    const fx = await fixture(t)
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await store.open()
    const first = transfer()
    await store.putTransfer(first)
    await Promise.all(Array.from({ length: MAX_STORED_TRANSFERS - 1 }, async () => store.putTransfer(transfer())))
    await assert.rejects(store.putTransfer(transfer()), { name: 'TransferLimitError' })
    await store.putTransfer({ ...first, state: 'complete' })
    assert.equal((await store.getTransfer(first.id))?.state, 'complete')
    assert.equal((await store.transfers()).length, MAX_STORED_TRANSFERS)
  })

  void it('a record\'s size shows nothing of the name or the path', () => {
    const short = encodeTransfer(transfer({ name: 'a', path: '/a' }))
    const long = encodeTransfer(transfer({ name: 'x'.repeat(255), path: '/' + 'y'.repeat(4000) }))
    assert.equal(short.length, long.length)
    assert.deepEqual(decodeTransfer(short), transfer({ name: 'a', path: '/a', id: decodeTransfer(short).id }))
  })
})
