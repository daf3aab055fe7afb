/**
 * exportArchive and importArchive on real LevelDB data dirs: a store with
 * everything in it (identity, a verified contact with a petname, strangers,
 * a blocked peer, joined rooms, history both ways, an undelivered message
 * in the outbox, a held message request) comes back identical in a new data dir, protected
 * by the archive's passphrase; every way an import can fail leaves the
 * target's parent exactly as it was, and an export never leaves a file.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Level } from 'level'
import {
  checkArchivePassphrase, checkExportTarget, checkImportTarget, checkPassphrase, createAccount, exportArchive, importArchive, inspectArchive, inspectDataDir
} from '../../src/app/index.ts'
import { createStore } from '../../src/store/index.ts'
import { PASSPHRASE as ARCHIVE_PASSPHRASE, seal } from '../archive/helpers.ts'
import { snapshotDir } from '../helpers/files.ts'
import { protectCheaply } from '../helpers/scrypt.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { Store, StoreRecord } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'

const PASSPHRASE = 'tangerine otter sleeps under quiet bridges'

async function peerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

function message (peer: string, from: string, fields: Partial<ChatMessage> = {}): ChatMessage {
  const direction = fields.direction ?? 'in'
  return { id: randomBytes(16).toString('hex'), peer, direction, from, name: direction === 'in' ? 'them' : 'me', text: 'hello', ts: 1_700_000_000_000, ...fields }
}

async function withStore<T> (dataDir: string, passphrase: string | undefined, use: (store: Store) => Promise<T>): Promise<T> {
  const store = createStore({ dataDir, passphrase })
  await store.open()
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

async function allRecords (store: Store): Promise<StoreRecord[]> {
  const records: StoreRecord[] = []
  for await (const record of store.records()) {
    records.push(record)
  }
  // conversations come in the order of their keyed hash, which differs per store: by peer, each in its own order
  const messages = records.filter(r => r.type === 'message')
  const peers = [...new Set(messages.map(r => r.message.peer))].sort()
  return [...records.filter(r => r.type !== 'message'), ...peers.flatMap(p => messages.filter(r => r.message.peer === p))]
}

interface Account {
  dataDir: string
  self: string
  contact: string
  stranger: string
}

/**
 * A data dir holding one of everything, protected by `passphrase` (or not)
 * at the cheapest scrypt cost: the archive's own derivations, and the data
 * dir an import creates, keep the real cost.
 */
async function fullAccount (root: string, passphrase: string | undefined = PASSPHRASE): Promise<Account> {
  const dataDir = join(root, 'source')
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key).toString()
  const [contact, stranger, blocked] = [await peerId(), await peerId(), await peerId()]
  await withStore(dataDir, undefined, async store => {
    await store.putIdentity(privateKeyToProtobuf(key))
    await store.putPeer({ peerId: contact, name: 'bob', relation: 'contact', petname: 'Bobby', verified: true, addrs: ['/ip4/192.0.2.7/tcp/4001'], seen: 1_700_000_000_000 })
    await store.putPeer({ peerId: stranger, name: 'mallory', addrs: [], seen: 1_700_000_100_000 })
    await store.putPeer({ peerId: blocked, name: 'spam', relation: 'blocked', addrs: [], seen: 1_700_000_200_000 })
    await store.append(message(contact, contact, { text: 'hi' }))
    const read = message(contact, self, { direction: 'out', status: 'pending', text: 'hello bob' })
    await store.append(read)
    await store.setStatus(contact, read.id, 'read')
    await store.append(message(contact, self, { direction: 'out', status: 'pending', text: 'still in the outbox' }))
    await store.append(message(stranger, stranger, { text: 'buy now' }), { request: true })
    await store.putRoom({
      id: randomBytes(16).toString('hex'), name: 'Ｔｅａｍ', key: 'room secret', proofKey: new Uint8Array(randomBytes(32)), rendezvousKey: new Uint8Array(randomBytes(32)),
      joinedAt: 1_700_000_300_000, members: [{ peerId: contact, provenAt: 1_700_000_400_000 }, { peerId: stranger, provenAt: 1_700_000_400_001 }]
    })
    await store.putRoom({ id: randomBytes(16).toString('hex'), name: 'lobby', proofKey: new Uint8Array(randomBytes(32)), rendezvousKey: new Uint8Array(randomBytes(32)), joinedAt: 1_700_000_300_001, members: [] })
  })
  if (passphrase !== undefined) {
    await protectCheaply(dataDir, passphrase)
  }
  return { dataDir, self, contact, stranger }
}

/** importArchive, aborted as soon as its scratch dir appears next to `dataDir` (it then still has the store to create and fill) */
async function abortedImport (file: string, dataDir: string): Promise<unknown> {
  const controller = new AbortController()
  const watcher = watch(dirname(dataDir), (_, name) => {
    if (name?.startsWith(`.${basename(dataDir)}.import-`) === true) {
      controller.abort()
    }
  })
  try {
    return await importArchive({ file, dataDir, passphrase: PASSPHRASE }, { signal: controller.signal })
  } finally {
    watcher.close()
    assert.ok(controller.signal.aborted, 'the scratch dir was seen')
  }
}

void describe('exportArchive / importArchive', () => {
  void it('restores identity, contacts, rooms, history, outbox and requests into a new data dir, identical', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const account = await fullAccount(root)
    const file = join(root, 'backup.sca')

    const exported = await exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE })
    assert.deepEqual({ ...exported, bytes: 0 }, { file, peerId: account.self, peers: 3, messages: 4, bytes: 0 })
    assert.ok(exported.bytes > 500)
    assert.deepEqual((await readdir(root)).sort(), ['backup.sca', 'source'])
    await inspectArchive(file)
    await checkArchivePassphrase(file, PASSPHRASE)
    await assert.rejects(checkArchivePassphrase(file, 'not it'), { name: 'WrongPassphraseError' })
    await assert.rejects(checkArchivePassphrase(file), { name: 'WrongPassphraseError' })

    const restored = join(root, 'elsewhere', 'restored')
    const imported = await importArchive({ file, dataDir: restored, passphrase: PASSPHRASE })
    assert.deepEqual(imported, { dataDir: restored, peerId: account.self, peers: 3, messages: 4 })
    assert.deepEqual(await readdir(join(root, 'elsewhere')), ['restored'], 'no scratch dir left')
    assert.equal((await inspectDataDir(restored)).state, 'protected')
    assert.deepEqual((await inspectDataDir(restored)).looseModes, [])

    const [before, after] = await Promise.all([account.dataDir, restored].map(async dir => withStore(dir, PASSPHRASE, async store => ({
      records: await allRecords(store),
      outbox: store.outboxSize(),
      requests: store.requests(),
      pending: (await store.pending(account.contact)).map(m => m.text),
      contact: await store.getPeer(account.contact),
      rooms: await store.rooms()
    }))))
    assert.deepEqual(after, before)
    assert.deepEqual(after?.rooms.map(r => [r.name, r.key, r.members.length]).sort(), [['lobby', undefined, 0], ['Ｔｅａｍ', 'room secret', 2]])
    assert.equal(after?.outbox, 1)
    assert.deepEqual(after?.pending, ['still in the outbox'])
    assert.deepEqual(after?.requests.map(r => [r.peer, r.messages]), [[account.stranger, 1]])
    assert.deepEqual(after?.contact && [after.contact.petname, after.contact.verified, after.contact.relation], ['Bobby', true, 'contact'])
  })

  void it('a history larger than a frame: several full 64 KiB frames, every message back in order', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const dataDir = join(root, 'source')
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key).toString()
    const contact = await peerId()
    const texts = Array.from({ length: 200 }, (_, i) => `${i} `.padEnd(1000, 'x'))
    await withStore(dataDir, undefined, async store => {
      await store.putIdentity(privateKeyToProtobuf(key))
      for (const [i, text] of texts.entries()) {
        await store.append(i % 2 === 0 ? message(contact, contact, { text }) : message(contact, self, { direction: 'out', status: 'delivered', text }))
      }
    })
    await protectCheaply(dataDir, PASSPHRASE)
    const file = join(root, 'backup.sca')
    const { bytes, messages } = await exportArchive({ dataDir, file, passphrase: PASSPHRASE })
    assert.equal(messages, 200)
    assert.ok(bytes > 3 * 64 * 1024, `${bytes} bytes: more than three frames`)
    const restored = join(root, 'restored')
    await importArchive({ file, dataDir: restored, passphrase: PASSPHRASE })
    assert.deepEqual(await withStore(restored, PASSPHRASE, async store => (await store.history(contact, { limit: 1000 })).map(m => m.text)), texts)
  })

  void it('an unprotected data dir: the archive is still encrypted, and the restored data dir is protected by its passphrase', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const dataDir = join(root, 'source')
    await createAccount({ dataDir })
    const file = join(root, 'backup.sca')
    await exportArchive({ dataDir, file, passphrase: PASSPHRASE })
    const bytes = await readFile(file)
    assert.equal(bytes.subarray(0, 18).toString('ascii'), 'securechat-archive')
    const restored = join(root, 'restored')
    await importArchive({ file, dataDir: restored, passphrase: PASSPHRASE })
    assert.equal((await inspectDataDir(restored)).state, 'protected')
    await checkPassphrase(restored, PASSPHRASE)
    await assert.rejects(checkPassphrase(restored), { name: 'WrongPassphraseError' })
  })

  void it('an import that fails at any step leaves the target\'s parent exactly as it was', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const account = await fullAccount(root)
    const file = join(root, 'backup.sca')
    await exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE })
    const bytes = await readFile(file)
    const parent = join(root, 'parent')
    await mkdir(parent)
    const target = join(parent, 'restored')

    const variant = async (name: string, content: Uint8Array): Promise<string> => {
      const path = join(root, name)
      await writeFile(path, content)
      return path
    }
    const flipped = Buffer.from(bytes)
    flipped[bytes.byteLength - 5] = (flipped[bytes.byteLength - 5] as number) ^ 1
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['tampered last frame', async () => importArchive({ file: await variant('tampered.sca', flipped), dataDir: target, passphrase: PASSPHRASE }), 'ArchiveCorruptError'],
      ['truncated', async () => importArchive({ file: await variant('cut.sca', bytes.subarray(0, bytes.byteLength - 10)), dataDir: target, passphrase: PASSPHRASE }), 'ArchiveTruncatedError'],
      ['not an archive', async () => importArchive({ file: await variant('notes.txt', Buffer.from('hello')), dataDir: target, passphrase: PASSPHRASE }), 'UnsupportedArchiveError'],
      ['wrong passphrase', async () => importArchive({ file, dataDir: target, passphrase: 'wrong' }), 'WrongPassphraseError'],
      ['aborted once the scratch dir exists', async () => abortedImport(file, target), 'AbortError'],
      ['no such file', async () => importArchive({ file: join(root, 'missing.sca'), dataDir: target, passphrase: PASSPHRASE }), 'Error']
    ]
    // everything in the parent but its own times (a scratch dir made and removed changes them)
    const contents = async (): Promise<string[]> => (await snapshotDir(parent)).filter(line => !line.startsWith('. '))
    const touched = async (): Promise<string> => (await snapshotDir(parent))[0] ?? ''
    for (const [what, run, name] of cases) {
      const [before, times] = [await contents(), await touched()]
      await assert.rejects(run(), (err: Error) => {
        assert.equal(err.name, name, `${what}: ${err.name}: ${err.message}`)
        return true
      })
      assert.deepEqual(await contents(), before, `${what}: nothing left in the parent`)
      if (what === 'tampered last frame' || what === 'truncated' || what.startsWith('aborted')) {
        // refused only at the end, once the frames before were restored: a real scratch dir was made and removed
        assert.notEqual(await touched(), times, `${what}: the scratch dir was used`)
      }
    }
    // and nothing was missing: the unmodified archive imports into the same target
    await importArchive({ file, dataDir: target, passphrase: PASSPHRASE })
  })

  void it('refuses an authentic but crafted archive no node could have written, and leaves out strangers past the bound', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key).toString()
    const identity: StoreRecord = { type: 'identity', key: privateKeyToProtobuf(key) }
    const [contact, stranger] = [await peerId(), await peerId()]
    const peer = (peerId: string, relation?: 'contact'): StoreRecord => ({ type: 'peer', peer: { peerId, addrs: [], firstSeen: 1, lastSeen: 1, ...(relation === undefined ? {} : { relation }) } })
    const other = await generateKeyPair('Ed25519')
    // an Ed25519 key whose public half is another key's: it would claim that key's peer id
    const lying = privateKeyToProtobuf(key)
    lying.set(other.publicKey.raw, lying.length - 32)
    const secp = await generateKeyPair('secp256k1')
    const base = [identity, peer(contact, 'contact'), peer(stranger)]
    const cases: Array<[string, StoreRecord[]]> = [
      ['a secp256k1 identity', [{ type: 'identity', key: privateKeyToProtobuf(secp) }]],
      ['an identity with another key\'s public half', [{ type: 'identity', key: lying }]],
      ['a message to send to a stranger', [...base, { type: 'message', message: message(stranger, self, { direction: 'out', status: 'pending' }), request: false }]],
      ['a message to send to a peer not in the archive', [...base, { type: 'message', message: message(await peerId(), self, { direction: 'out', status: 'sent' }), request: false }]],
      ['an outgoing message from another identity', [...base, { type: 'message', message: message(contact, stranger, { direction: 'out', status: 'delivered' }), request: false }]],
      ['a conversation with itself', [...base, { type: 'message', message: message(self, self), request: false }]],
      ['a peer-book entry for itself', [identity, peer(self)]]
    ]
    for (const [what, records] of cases) {
      const file = join(root, `${what.replace(/\W+/g, '-')}.sca`)
      await writeFile(file, await seal(records))
      const target = join(root, 'restored')
      await assert.rejects(importArchive({ file, dataDir: target, passphrase: ARCHIVE_PASSPHRASE }), (err: Error) => {
        assert.equal(err.name, 'ArchiveCorruptError', `${what}: ${err.name}: ${err.message}`)
        return true
      })
      assert.deepEqual((await readdir(root)).filter(name => !name.endsWith('.sca')), [], `${what}: nothing written`)
    }
    // the same archive without the crafted record imports; a flood of strangers is cut to the peer book's bound
    const strangers = await Promise.all(Array.from({ length: 1_003 }, async () => peerId()))
    const file = join(root, 'strangers.sca')
    await writeFile(file, await seal([...base, ...strangers.map(p => peer(p)), { type: 'message', message: message(contact, self, { direction: 'out', status: 'pending' }), request: false }]))
    const summary = await importArchive({ file, dataDir: join(root, 'restored'), passphrase: ARCHIVE_PASSPHRASE })
    assert.equal(summary.peerId, self)
    assert.equal(summary.peers, 1_001)
    assert.equal(summary.strangersLeftOut, 4)
    assert.equal(summary.messages, 1)
  })

  void it('export leaves out a record damaged on disk and says how many', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const dataDir = join(root, 'data')
    const { peerId: self } = await createAccount({ dataDir })
    const other = await peerId()
    await withStore(dataDir, undefined, async store => {
      for (let i = 0; i < 3; i++) await store.append(message(other, other, { text: `m${i}` }))
    })
    const raw = new Level<string, Uint8Array>(join(dataDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' })
    const history = raw.sublevel<string, Uint8Array>('history', { keyEncoding: 'utf8', valueEncoding: 'view' })
    const [first] = await history.keys({ limit: 1 }).all()
    await history.put(first as string, new Uint8Array(40))
    await raw.close()
    const file = join(root, 'backup.sca')
    const summary = await exportArchive({ dataDir, file, passphrase: PASSPHRASE })
    assert.equal(summary.peerId, self)
    assert.equal(summary.messages, 2)
    assert.equal(summary.unreadable, 1)
  })

  void it('refuses a target that is not empty before reading the archive, and an export target that exists', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const account = await fullAccount(root)
    const file = join(root, 'backup.sca')
    await exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE })

    const occupied = join(root, 'occupied')
    await mkdir(occupied)
    await writeFile(join(occupied, 'notes.txt'), 'mine')
    const before = await snapshotDir(root)
    await assert.rejects(checkImportTarget(occupied), { name: 'DataDirNotEmptyError' })
    // not even an archive is read: a missing file would be ENOENT
    await assert.rejects(importArchive({ file: join(root, 'missing.sca'), dataDir: occupied, passphrase: PASSPHRASE }), { name: 'DataDirNotEmptyError' })
    await assert.rejects(importArchive({ file, dataDir: account.dataDir, passphrase: PASSPHRASE }), { name: 'DataDirNotEmptyError', message: /not empty/ })
    await assert.rejects(importArchive({ file, dataDir: join(occupied, 'notes.txt'), passphrase: PASSPHRASE }), { name: 'DataDirNotEmptyError' })
    await assert.rejects(checkExportTarget(file), { name: 'ArchiveExistsError' })
    await assert.rejects(exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE }), { name: 'ArchiveExistsError' })
    assert.deepEqual(await snapshotDir(root), before)

    // an empty directory is taken, and replaced by the restored one
    const empty = join(root, 'empty')
    await mkdir(empty, { mode: 0o755 })
    await checkImportTarget(empty)
    await importArchive({ file, dataDir: empty, passphrase: PASSPHRASE })
    assert.equal((await inspectDataDir(empty)).state, 'protected')
    assert.deepEqual((await inspectDataDir(empty)).looseModes, [])
  })

  void it('export refuses a wrong passphrase, a data dir in use (stop the node first) and an empty one, leaving no file', async (t) => {
    const root = await tempDir(t, 'securechat-backup-')
    const account = await fullAccount(root)
    const file = join(root, 'backup.sca')
    await assert.rejects(exportArchive({ dataDir: account.dataDir, file, passphrase: 'wrong' }), { name: 'WrongPassphraseError' })

    const running = createStore({ dataDir: account.dataDir, passphrase: PASSPHRASE })
    await running.open()
    try {
      await assert.rejects(exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE }), { name: 'DataDirInUseError', message: /stop the node first/ })
    } finally {
      await running.close()
    }

    const empty = join(root, 'empty')
    await assert.rejects(exportArchive({ dataDir: empty, file, passphrase: PASSPHRASE }), { name: 'NoAccountError' })
    await assert.rejects(readdir(empty), { code: 'ENOENT' }, 'the empty data dir is not created')
    await assert.rejects(exportArchive({ dataDir: account.dataDir, file, passphrase: PASSPHRASE }, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.deepEqual((await readdir(root)).sort(), ['source'])
  })
})
