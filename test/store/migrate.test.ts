/**
 * Store format 1 to 2: a data dir written by securechat 0a69126 (format 1:
 * peer ids, message ids and times in clear keys; fixtures/store-v1) opens
 * with everything in it, in order, and afterwards no file of the data dir
 * holds a peer id, a message id or an append time.
 */
import assert from 'node:assert/strict'
import { chmod, cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createStore } from '../../src/store/index.ts'
import { findOnDisk, peerIdNeedles, snapshotDir, textNeedles } from '../helpers/files.ts'
import { fixture } from './helpers.ts'
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
async function checkMigrated (fx: Awaited<ReturnType<typeof fixture>>): Promise<void> {
  const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase }))
  await store.open()
  assert.deepEqual((await store.history(facts.alice)).map(m => m.id), facts.ids.slice(0, 3))
  assert.deepEqual(store.requests().map(r => r.peer), [facts.mallory])
  await store.close()
  assert.deepEqual((await readdir(fx.dataDir)).sort(), ['db', 'securechat.key'])
}

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

  void it('runs again after a crash while the new database was written', async t => {
    const fx = await fixture(t)
    await copyFixture(fx.dataDir)
    // what a kill during copyV1 leaves: a partial db.migrating beside the untouched db
    await mkdir(join(fx.dataDir, 'db.migrating'))
    await writeFile(join(fx.dataDir, 'db.migrating', '000005.log'), 'partial')
    await checkMigrated(fx)
  })

  void it('finishes the swap after a crash between its renames', async t => {
    const fx = await fixture(t)
    await copyFixture(fx.dataDir)
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase }))
    await store.open()
    await store.close()
    // what a kill after `db` -> `db.old` leaves: no db, the old one, the complete new one
    await rename(join(fx.dataDir, 'db'), join(fx.dataDir, 'db.migrating'))
    await cp(join(FIXTURE_DIR, 'db'), join(fx.dataDir, 'db.old'), { recursive: true })
    await checkMigrated(fx)
    assert.deepEqual(await findOnDisk(fx.dataDir, v1Needles()), [])
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
