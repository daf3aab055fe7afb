/**
 * Store format 1 to 2: a data dir written by securechat 0a69126 (format 1:
 * peer ids, message ids and times in clear keys; fixtures/store-v1) opens
 * with everything in it, in order, and afterwards no file of the data dir
 * holds a peer id, a message id or an append time.
 */
import assert from 'node:assert/strict'
import { createSecretKey } from 'node:crypto'
import { chmod, cp, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { sealValue } from '../../src/store/at-rest.ts'
import { createDb, handlesOf } from '../../src/store/handles.ts'
import { createStore } from '../../src/store/index.ts'
import { migrateV1 } from '../../src/store/migrate-v1.ts'
import { findOnDisk, peerIdNeedles, snapshotDir, textNeedles } from '../helpers/files.ts'
import { fixture, message, PEER_A, PEER_B, PEER_C } from './helpers.ts'
import type { CorruptRecordError } from '../../src/store/index.ts'

interface V1Fixture {
  me: string
  alice: string
  mallory: string
  ids: string[]
  passphrase: string
}

const FIXTURE_DIR = join(import.meta.dirname, 'fixtures', 'store-v1')
const facts = JSON.parse(await readFile(join(import.meta.dirname, 'fixtures', 'store-v1.json'), 'utf8')) as V1Fixture

/** What format 1 kept in clear: every peer id, every message id, the append times (local clock 1796110799880 on) */
function v1Needles () {
  return [
    ...peerIdNeedles('alice', facts.alice),
    ...peerIdNeedles('mallory', facts.mallory),
    ...facts.ids.flatMap((id, i) => textNeedles(`message id ${i}`, id)),
    ...textNeedles('append time', '000179611079988')
  ]
}

/** The fixture, copied into the fixture's data dir with the modes a real one has */
async function copyFixture (dataDir: string): Promise<void> {
  await cp(FIXTURE_DIR, dataDir, { recursive: true })
  await chmod(dataDir, 0o700)
  await chmod(join(dataDir, 'securechat.key'), 0o600)
}

/** Opens the data dir and checks the migrated contents */
void describe('store format 1 to 2', () => {
  void it('migrates identity, peers, history, outbox and requests, and leaves no peer id, id or time on disk', async t => {
    const fx = await fixture(t)
    await copyFixture(fx.dataDir)
    // control: the search finds what format 1 wrote in clear
    const before = await findOnDisk(fx.dataDir, v1Needles())
    for (const what of ['alice base58', 'mallory base58', 'message id 0 (utf8)', 'append time (utf8)']) {
      assert.ok(before.some(hit => hit.includes(what)), `format-1 fixture holds ${what}`)
    }

    const reported: CorruptRecordError[] = []
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase, onCorrupt: err => reported.push(err) }))
    await store.open()
    assert.deepEqual(reported, [])

    const identity = await store.getIdentity()
    assert.ok(identity !== undefined)
    assert.equal(peerIdFromPrivateKey(privateKeyFromProtobuf(identity)).toString(), facts.me)
    const alice = await store.getPeer(facts.alice)
    assert.equal(alice?.relation, 'contact')
    assert.equal(alice?.petname, 'Alice Petname')
    assert.equal(alice?.verified, true)
    assert.equal((await store.getPeer(facts.mallory))?.name, 'mallory-nick')
    assert.deepEqual((await store.history(facts.alice)).map(m => m.id), facts.ids.slice(0, 3))
    assert.deepEqual((await store.pending(facts.alice)).map(m => m.id), [facts.ids[2]])
    assert.deepEqual(await store.pendingPeers(), [facts.alice])
    assert.deepEqual(store.requests().map(r => [r.peer, r.messages]), [[facts.mallory, 1]])
    assert.equal(await store.has(facts.alice, facts.ids[0] as string), true)
    // the index and the outbox work under the new keys
    assert.equal(await store.append({ ...(await store.history(facts.alice))[1]!, text: 'dup' }), false)
    assert.deepEqual(await store.setStatus(facts.alice, facts.ids[2] as string, 'delivered'), { previous: 'pending' })
    assert.equal(store.outboxSize(), 0)
    await store.close()

    assert.deepEqual(await findOnDisk(fx.dataDir, v1Needles()), [])

    // migrated once: the next open changes no record
    const again = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase }))
    await again.open()
    assert.equal((await again.history(facts.alice)).length, 3)
    assert.equal((await again.history(facts.mallory)).length, 1)
    await again.close()
    assert.deepEqual((await readdir(fx.dataDir)).sort(), ['db', 'securechat.key'])
  })

  void it('goes on where a killed migration stopped: nothing lost, nothing twice, order kept', async t => {
    const fx = await fixture(t)
    const seed = fx.track(createStore({ dataDir: fx.dataDir }))
    await seed.open()
    await seed.close()
    const file = JSON.parse(await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')) as { key: string }
    const dataKey = createSecretKey(Buffer.from(file.key, 'base64'))
    // a format-1 database written by hand: 1,200 messages with three peers, some queued, some held
    const peers = [PEER_A, PEER_B, PEER_C]
    const db = createDb(join(fx.dataDir, 'db'))
    await db.open()
    const raw = handlesOf(db, dataKey)
    await raw.meta.del('format')
    const expected = new Map<string, string[]>(peers.map(p => [p, []]))
    let held = 0
    for (let i = 0; i < 1200; i++) {
      const peer = peers[i % 3] as string
      const m = message(peer, i % 7 === 0 ? { direction: 'out', status: 'pending', text: `m${i}` } : { text: `m${i}` })
      const key = `${peer}!${String(1_700_000_000_000 + i).padStart(16, '0')}!00000000!${m.id}`
      expected.get(peer)?.push(m.text)
      await raw.history.put(key, sealValue(dataKey, 'history', key, Buffer.from(JSON.stringify(m))))
      await raw.index.put(`${peer}!${m.id}`, sealValue(dataKey, 'index', `${peer}!${m.id}`, Buffer.from(key)))
      if (m.direction === 'out') {
        await raw.outbox.put(key, sealValue(dataKey, 'outbox', key, new Uint8Array(0)))
      } else if (peer === PEER_C && i < 100) {
        held++
        await raw.requests.put(key, sealValue(dataKey, 'requests', key, Buffer.from('300')))
      }
    }
    await raw.meta.put('clock', sealValue(dataKey, 'meta', 'clock', Buffer.from('{"time":1700000001199,"seq":0}')))
    // killed after its first batches were written
    let batches = 0
    const batch = db.batch.bind(db)
    Object.assign(db, { batch: async (...args: Parameters<typeof batch>) => { if (++batches > 2) throw new Error('killed'); return batch(...args) } })
    await assert.rejects(migrateV1(raw, () => {}), /killed/)
    Object.assign(db, { batch })
    const keys = await raw.history.keys().all()
    assert.ok(keys.some(k => k.startsWith('C')) && keys.some(k => k.startsWith('12D3')), 'part-way: both formats')
    await db.close()

    const reported: CorruptRecordError[] = []
    const store = fx.track(createStore({ dataDir: fx.dataDir, onCorrupt: err => reported.push(err) }))
    await store.open()
    assert.deepEqual(reported, [])
    for (const peer of peers) {
      assert.deepEqual((await store.history(peer, { limit: 1000 })).map(m => m.text), expected.get(peer), 'every message once, in order')
    }
    assert.equal(store.outboxSize(), Math.ceil(1200 / 7))
    assert.deepEqual(store.requests().map(r => [r.peer, r.messages]), [[PEER_C, held]])
    const later = message(PEER_A, { text: 'after' })
    await store.append(later)
    assert.equal((await store.history(PEER_A, { limit: 1 }))[0]?.text, 'after')
    await store.close()
    assert.deepEqual(await findOnDisk(fx.dataDir, [...peerIdNeedles('a', PEER_A), ...textNeedles('time', '00017000000')]), [])
  })

  void it('refuses a wrong passphrase before migrating, changing nothing', async t => {
    const fx = await fixture(t)
    await copyFixture(fx.dataDir)
    const before = await snapshotDir(fx.dataDir)
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: 'not the passphrase' }))
    await assert.rejects(store.open(), { name: 'WrongPassphraseError' })
    assert.deepEqual(await snapshotDir(fx.dataDir), before)
  })
})
