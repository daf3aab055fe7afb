/**
 * Encryption at rest, end to end: what LevelDB holds on disk, the key file,
 * passphrases, and records tampered with behind the store's back.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdir, readFile, rename, rm, stat, symlink, writeFile, cp } from 'node:fs/promises'
import { createSecretKey } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { sealValue } from '../../src/store/at-rest.ts'
import { filesUnder, findOnDisk, peerIdNeedles, snapshotDir, textNeedles } from '../helpers/files.ts'
import { tempDir } from '../helpers/tmp.ts'
import { createStore, CorruptRecordError } from '../../src/store/index.ts'
import { fixture, message, PEER_A, PEER_B, room } from './helpers.ts'
import type { Needle } from '../helpers/files.ts'
import type { Fixture } from './helpers.ts'
import type { StoreInit } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'

const PASSPHRASE = 'correct horse battery staple'
const TEXT_MARKER = 'PLAINTEXT-MARKER-7d1f0c2b'
const NAME_MARKER = 'NICKNAME-MARKER-93ab5e11'

async function openStore (fx: Fixture, init: Partial<StoreInit> = {}) {
  const store = fx.track(createStore({ dataDir: fx.dataDir, ...init }))
  await store.open()
  return store
}

/** Does any file under `dir` contain `needle`? */
async function onDisk (dir: string, needle: Uint8Array | string): Promise<boolean> {
  for (const file of await filesUnder(dir)) {
    if ((await readFile(file)).includes(typeof needle === 'string' ? needle : Buffer.from(needle))) {
      return true
    }
  }
  return false
}

/** Every raw (key, value) of the database, read with a plain Level */
async function rawEntries (dataDir: string): Promise<Array<[string, Uint8Array]>> {
  const raw = new Level<string, Uint8Array>(join(dataDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' })
  try {
    return await raw.iterator().all()
  } finally {
    await raw.close()
  }
}

type RawDb = Level<string, Uint8Array>

function rawSublevel (db: RawDb, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
}

/** Runs `fn` on one sublevel of the (closed) store's database, opened with a plain Level */
async function withRaw<T> (dataDir: string, name: string, fn: (sublevel: ReturnType<typeof rawSublevel>) => Promise<T>): Promise<T> {
  const raw: RawDb = new Level<string, Uint8Array>(join(dataDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' })
  try {
    return await fn(rawSublevel(raw, name))
  } finally {
    await raw.close()
  }
}

async function historyKeys (dataDir: string): Promise<string[]> {
  return withRaw(dataDir, 'history', async history => history.keys().all())
}

void describe('store at rest', () => {
  void it('writes no plaintext text, nickname or identity key to disk', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    for (let i = 0; i < 20; i++) {
      await store.append(message(PEER_A, { text: `${TEXT_MARKER} ${i}`, name: NAME_MARKER }))
      await store.append(message(PEER_B, { direction: 'out', text: TEXT_MARKER, name: NAME_MARKER }))
    }
    await store.putPeer({ peerId: PEER_A, name: NAME_MARKER, addrs: ['/dns4/marker.example/tcp/1'] })
    const identity = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
    await store.putIdentity(identity)
    await store.close()

    const db = join(fx.dataDir, 'db')
    // control: the scan sees the keys (their sublevel prefix is in clear); the peer ids are not in them
    assert.equal(await onDisk(db, '!history!'), true)
    assert.equal(await onDisk(db, PEER_A), false)
    assert.equal(await onDisk(db, PEER_B), false)
    assert.equal(await onDisk(db, TEXT_MARKER), false)
    assert.equal(await onDisk(db, NAME_MARKER), false)
    assert.equal(await onDisk(db, 'marker.example'), false)
    assert.equal(await onDisk(db, identity.subarray(4)), false)

    const entries = await rawEntries(fx.dataDir)
    assert.ok(entries.length > 40)
    for (const [key, value] of entries) {
      assert.equal(key.includes(TEXT_MARKER), false)
      const bytes = Buffer.from(value)
      assert.equal(bytes.includes(TEXT_MARKER), false)
      assert.equal(bytes.includes(NAME_MARKER), false)
      assert.equal(bytes.includes('"text"'), false)
    }

    // after compaction into table files too
    const again = await openStore(fx)
    await again.close()
    assert.equal(await onDisk(db, TEXT_MARKER), false)
  })

  void it('writes no room name, room key, room id, derived key or member peer id to disk', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    // a member that is in no other record, so that only the room could leak it
    const member = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
    const joined = room({ name: 'RoomNameMarker-c41d', key: 'RoomKeyMarker-5e0a 🔑', members: [{ peerId: member, provenAt: 1_700_000_123_456 }] })
    await store.putRoom(joined)
    await store.putRoom(room({ name: 'another-room', members: [{ peerId: member, provenAt: 1 }] }))
    await store.append(message(PEER_A))
    await store.close()
    // reopened: the log compacted into a table file, searched too
    await (await openStore(fx)).close()

    const b64 = (text: string): string => Buffer.from(text).toString('base64url')
    const needles: Needle[] = [
      ...textNeedles('room name', joined.name),
      ...textNeedles('room key', joined.key ?? ''),
      // the record holds them in base64url, inside the sealed value
      ...textNeedles('room name base64url', b64(joined.name)),
      ...textNeedles('room key base64url', b64(joined.key ?? '')),
      ...textNeedles('room id', joined.id),
      ...textNeedles('room id HEX', joined.id.toUpperCase()),
      { label: 'room id bytes', bytes: Buffer.from(joined.id, 'hex') },
      { label: 'proof key', bytes: joined.proofKey },
      { label: 'rendezvous key', bytes: joined.rendezvousKey },
      ...textNeedles('proof key base64url', Buffer.from(joined.proofKey).toString('base64url')),
      ...peerIdNeedles('member', member),
      ...textNeedles('proven at', '1700000123456')
    ]
    // control: the search reads the database files, and finds every needle where it is in clear
    assert.ok((await findOnDisk(fx.dataDir, textNeedles('sublevel', '!rooms!'))).length > 0)
    const clear = await tempDir(t, 'securechat-control-')
    await writeFile(join(clear, 'clear'), Buffer.concat(needles.map(n => Buffer.from(n.bytes))))
    assert.equal((await findOnDisk(clear, needles)).length, needles.length)

    assert.deepEqual(await findOnDisk(fx.dataDir, needles), [])
  })

  void it('skips and reports a corrupt or moved room record; putRoom replaces it, deleteRoom removes it', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    const [first, second] = [room({ name: 'first' }), room({ name: 'second' })]
    await store.putRoom(first)
    await store.putRoom(second)
    await store.close()

    // one record copied over the other (whichever is which: the keys are keyed hashes), then one truncated
    const [target, source] = await withRaw(fx.dataDir, 'rooms', async rooms => rooms.keys().all()) as [string, string]
    await withRaw(fx.dataDir, 'rooms', async rooms => {
      await rooms.put(target, await rooms.get(source) as Uint8Array)
    })
    const reported: CorruptRecordError[] = []
    const again = await openStore(fx, { onCorrupt: err => reported.push(err) })
    const left = await again.rooms()
    assert.equal(left.length, 1)
    assert.deepEqual(reported.map(e => [e.name, e.sublevel, e.key]), [['CorruptRecordError', 'rooms', target]])
    assert.equal(reported[0]?.message.includes(left[0]?.name ?? ''), false)
    const damaged = left[0]?.id === first.id ? second : first
    // written again: the damaged record is replaced
    await again.putRoom(damaged)
    assert.equal((await again.rooms()).length, 2)
    await again.close()

    await withRaw(fx.dataDir, 'rooms', async rooms => {
      const value = await rooms.get(target) as Uint8Array
      await rooms.put(target, value.subarray(0, value.byteLength - 1))
    })
    reported.length = 0
    const last = await openStore(fx, { onCorrupt: err => reported.push(err) })
    assert.equal((await last.rooms()).length, 1)
    assert.deepEqual(reported.map(e => [e.sublevel, e.key]), [['rooms', target]])
    // an unreadable room does not count towards the bound, and is removed by its id
    assert.equal(await last.deleteRoom(damaged.id), true)
    reported.length = 0
    assert.deepEqual((await last.rooms()).map(r => r.id), [damaged === first ? second.id : first.id])
    assert.deepEqual(reported, [])
  })

  void it('creates the data dir 0700 and the key file 0600, raw key without passphrase', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    await store.close()
    assert.equal((await stat(fx.dataDir)).mode & 0o777, 0o700)
    assert.equal((await stat(join(fx.dataDir, 'securechat.key'))).mode & 0o777, 0o600)
    const file = JSON.parse(await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(file).sort(), ['format', 'kdf', 'key', 'version'])
    assert.equal(file.kdf, 'none')
    assert.deepEqual((await readdir(fx.dataDir)).sort(), ['db', 'securechat.key'])
  })

  void it('round-trips with a passphrase and refuses a wrong or missing one', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx, { passphrase: PASSPHRASE })
    const m = message(PEER_A, { text: TEXT_MARKER })
    await store.append(m)
    await store.close()

    const file = await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')
    assert.equal((JSON.parse(file) as { kdf: string }).kdf, 'scrypt')

    const wrong = fx.track(createStore({ dataDir: fx.dataDir, passphrase: 'incorrect horse' }))
    await assert.rejects(wrong.open(), { name: 'WrongPassphraseError' })
    assert.equal(wrong.status, 'closed')
    const none = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(none.open(), { name: 'WrongPassphraseError' })

    // a failed open leaves the database unlocked and intact
    const right = await openStore(fx, { passphrase: PASSPHRASE })
    assert.deepEqual(await right.history(PEER_A), [m])
    // unchanged key file
    assert.equal(await readFile(join(fx.dataDir, 'securechat.key'), 'utf8'), file)
  })

  void it('refuses a passphrase for an unprotected key file', async t => {
    const fx = await fixture(t)
    await (await openStore(fx)).close()
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: PASSPHRASE }))
    await assert.rejects(store.open(), { name: 'WrongPassphraseError' })
  })

  void it('rejects a truncated, garbled, missing or foreign key file with CorruptKeyFileError', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    await store.append(message(PEER_A))
    await store.close()
    const keyPath = join(fx.dataDir, 'securechat.key')
    const good = await readFile(keyPath)

    const reopenFails = async (): Promise<void> => {
      const s = fx.track(createStore({ dataDir: fx.dataDir }))
      await assert.rejects(s.open(), { name: 'CorruptKeyFileError' })
      assert.equal(s.status, 'closed')
    }

    await writeFile(keyPath, good.subarray(0, good.length >> 1))
    await reopenFails()
    await writeFile(keyPath, Buffer.from('\x00\xff garbage'))
    await reopenFails()
    await writeFile(keyPath, '{}')
    await reopenFails()
    // a valid-looking key that is not this database's key
    const parsed = JSON.parse(good.toString('utf8')) as { key: string }
    const other = Buffer.from(parsed.key, 'base64')
    other[0] = (other[0] ?? 0) ^ 1
    await writeFile(keyPath, JSON.stringify({ ...parsed, key: other.toString('base64') }))
    await reopenFails()
    // a lost key file is not silently replaced by a new key, and the database is not even opened
    await rm(keyPath)
    const before = await snapshotDir(fx.dataDir)
    await reopenFails()
    await assert.rejects(stat(keyPath), { code: 'ENOENT' })
    assert.deepEqual(await snapshotDir(fx.dataDir), before)

    await writeFile(keyPath, good)
    const back = await openStore(fx)
    assert.equal((await back.history(PEER_A)).length, 1)
  })

  void it('refuses a key file that is a symlink or not a regular file, without blocking', async t => {
    const fx = await fixture(t)
    await (await openStore(fx)).close()
    const keyPath = join(fx.dataDir, 'securechat.key')
    const elsewhere = join(fx.root, 'elsewhere.key')
    await rename(keyPath, elsewhere)
    await symlink(elsewhere, keyPath)
    const linked = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(linked.open(), (err: Error) => err.name === 'CorruptKeyFileError' && /symbolic link/.test(err.message))
    await rm(keyPath)
    execFileSync('mkfifo', [keyPath])
    const fifo = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(fifo.open(), { name: 'CorruptKeyFileError' })
    await rm(keyPath)
    await rename(elsewhere, keyPath)
    await (await openStore(fx)).close()
  })

  void it('rejects the key file of another data dir', async t => {
    const fx = await fixture(t)
    await (await openStore(fx)).close()
    const fx2 = await fixture(t)
    await (await openStore(fx2)).close()
    await cp(join(fx2.dataDir, 'securechat.key'), join(fx.dataDir, 'securechat.key'))
    const store = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(store.open(), { name: 'CorruptKeyFileError' })
  })

  void it('skips a tampered or truncated history record and reports it; get() throws', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    const sent: ChatMessage[] = []
    for (let i = 0; i < 5; i++) {
      const m = message(PEER_A, { text: `t${i}` })
      sent.push(m)
      await store.append(m)
    }
    await store.close()

    const keys = await historyKeys(fx.dataDir)
    assert.equal(keys.length, 5)
    const [, second, , fourth] = keys as [string, string, string, string]
    await withRaw(fx.dataDir, 'history', async history => {
      await history.put(second, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))
      const value = await history.get(fourth) as Uint8Array
      const flipped = new Uint8Array(value)
      flipped[20] = (flipped[20] ?? 0) ^ 0x40
      await history.put(fourth, flipped)
    })

    const reported: CorruptRecordError[] = []
    const again = await openStore(fx, { onCorrupt: err => reported.push(err) })
    assert.deepEqual(await again.history(PEER_A), [sent[0], sent[2], sent[4]])
    assert.deepEqual(reported.map(e => [e.name, e.sublevel, e.key]), [
      ['CorruptRecordError', 'history', fourth],
      ['CorruptRecordError', 'history', second]
    ])
    // corrupt records do not count towards the limit
    assert.deepEqual(await again.history(PEER_A, { limit: 2 }), [sent[2], sent[4]])

    const err = await again.get(PEER_A, sent[1]?.id ?? '').catch((err: unknown) => err)
    assert.ok(err instanceof CorruptRecordError)
    assert.equal(err.sublevel, 'history')
    assert.equal(err.key, second)
    assert.equal(err.message.includes('t1'), false)
    await assert.rejects(again.get(PEER_A, sent[3]?.id ?? ''), { name: 'CorruptRecordError' })
    assert.deepEqual(await again.get(PEER_A, sent[2]?.id ?? ''), sent[2])
    // the dedup index still knows the ids
    assert.equal(await again.append(sent[1] as ChatMessage), false)
  })

  void it('skips a truncated record in the outbox and still hands out the rest, in order', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    const queued: ChatMessage[] = []
    for (let i = 0; i < 4; i++) {
      const m = message(PEER_A, { direction: 'out', status: 'pending', text: `q${i}` })
      queued.push(m)
      await store.append(m)
    }
    await store.close()

    const keys = await historyKeys(fx.dataDir)
    await withRaw(fx.dataDir, 'history', async history => {
      const value = await history.get(keys[1] as string) as Uint8Array
      await history.put(keys[1] as string, value.subarray(0, value.byteLength - 5))
    })

    const reported: CorruptRecordError[] = []
    const again = await openStore(fx, { onCorrupt: err => reported.push(err) })
    assert.deepEqual((await again.pending(PEER_A)).map(m => m.text), ['q0', 'q2', 'q3'])
    assert.deepEqual(reported.map(e => [e.name, e.sublevel]), [['CorruptRecordError', 'history']])
    assert.deepEqual((await again.history(PEER_A)).map(m => m.text), ['q0', 'q2', 'q3'])
  })

  void it('rejects a record moved or copied to another key', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    const first = message(PEER_A, { text: 'first' })
    const second = message(PEER_A, { text: 'second' })
    await store.append(first)
    await store.append(second)
    await store.close()

    const [firstKey, secondKey] = await historyKeys(fx.dataDir) as [string, string]
    await withRaw(fx.dataDir, 'history', async history => {
      await history.put(secondKey, await history.get(firstKey) as Uint8Array)
    })

    const reported: CorruptRecordError[] = []
    const again = await openStore(fx, { onCorrupt: err => reported.push(err) })
    await assert.rejects(again.get(PEER_A, second.id), (err: unknown) => err instanceof CorruptRecordError && err.key === secondKey)
    assert.deepEqual(await again.history(PEER_A), [first])
    assert.equal(reported.length, 1)
  })

  void it('skips and replaces a corrupt peer record; getPeer() throws', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    await store.putPeer({ peerId: PEER_A, name: 'alice', seen: 1 })
    await store.putPeer({ peerId: PEER_B, name: 'bob', seen: 2 })
    await store.close()

    // the keys are keyed hashes: copy one record over the other, whichever is which
    const [target, source] = await withRaw(fx.dataDir, 'peers', async peers => peers.keys().all()) as [string, string]
    await withRaw(fx.dataDir, 'peers', async peers => {
      await peers.put(target, await peers.get(source) as Uint8Array)
    })

    const reported: CorruptRecordError[] = []
    const again = await openStore(fx, { onCorrupt: err => reported.push(err) })
    const left = (await again.peers()).map(p => p.name)
    assert.equal(left.length, 1)
    assert.deepEqual(reported.map(e => [e.sublevel, e.key]), [['peers', target]])
    const [damaged, kept] = left[0] === 'bob' ? [PEER_A, 'bob'] : [PEER_B, 'alice']
    await assert.rejects(again.getPeer(damaged), { name: 'CorruptRecordError' })
    assert.equal((await again.getPeer(damaged === PEER_A ? PEER_B : PEER_A))?.name, kept)
    assert.deepEqual(await again.putPeer({ peerId: damaged, name: 'carol', seen: 3 }), { peerId: damaged, name: 'carol', addrs: [], firstSeen: 3, lastSeen: 3 })
    assert.equal((await again.getPeer(damaged))?.name, 'carol')
  })

  void it('throws CorruptRecordError for a tampered identity', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    await store.putIdentity(privateKeyToProtobuf(await generateKeyPair('Ed25519')))
    await store.close()
    await withRaw(fx.dataDir, 'identity', async identity => {
      await identity.put('self', new Uint8Array(64))
    })
    const again = await openStore(fx)
    await assert.rejects(again.getIdentity(), { name: 'CorruptRecordError' })
  })

  void it('refuses a store format it does not know, and changes nothing', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    await store.append(message(PEER_A))
    await store.close()
    const file = JSON.parse(await readFile(join(fx.dataDir, 'securechat.key'), 'utf8')) as { key: string }
    const dataKey = createSecretKey(Buffer.from(file.key, 'base64'))
    await withRaw(fx.dataDir, 'meta', async meta => {
      await meta.put('format', sealValue(dataKey, 'meta', 'format', new TextEncoder().encode('3')))
    })
    const before = await rawEntries(fx.dataDir)
    const newer = fx.track(createStore({ dataDir: fx.dataDir }))
    await assert.rejects(newer.open(), { name: 'StoreFormatError' })
    assert.equal(newer.status, 'closed')
    assert.deepEqual(await rawEntries(fx.dataDir), before)
  })

  void it('keeps appending after the last seq when reopened, and after a declined tail', async t => {
    const fx = await fixture(t)
    const store = await openStore(fx)
    const sent = [message(PEER_A), message(PEER_A, { direction: 'out' })]
    for (const m of sent) {
      await store.append(m)
    }
    // a request at the end of the conversation, declined: its seq may be reused
    await store.append(message(PEER_A), { request: true })
    await store.close()
    const again = await openStore(fx)
    await again.dropRequests(PEER_A)
    await again.close()
    const last = await openStore(fx)
    const later = message(PEER_A)
    sent.push(later)
    await last.append(later)
    assert.deepEqual(await last.history(PEER_A), sent)
    assert.equal(await last.has(PEER_A, later.id), true)
  })
})
