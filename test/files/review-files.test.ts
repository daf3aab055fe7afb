/**
 * Regression tests of the file-transfer service's security review (issue
 * 12), two real libp2p nodes with real stores, as in service.test.ts, and a
 * hand-made client for raw GETs: each test was the review's proof of a
 * finding, turned round once it was fixed.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { decodeReply, encodeRequest } from '../../src/files/codec.ts'
import { FILE_PROTOCOL_ID } from '../../src/files/constants.ts'
import { performHandshake, readFrame, writeFrame } from '../../src/protocol/wire.ts'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import type { FilesEvents } from '../../src/files/index.ts'
import type { FileSide } from '../helpers/file-nodes.ts'
import type { PeerId } from '@libp2p/interface'

const nodes = new FileNodes()
after(async () => { await nodes.cleanup() })
const pair = async (): Promise<[FileSide, FileSide]> => nodes.pair()
const next = nextFileEvent


/** A hostile receiver's hand-made GET: every byte the sender serves for `id` from 0 */
async function rawGet (from: FileSide, to: PeerId, id: string): Promise<Buffer> {
  const signal = AbortSignal.timeout(20_000)
  const stream = await from.node.dialProtocol(to, FILE_PROTOCOL_ID, { signal })
  const session = await performHandshake(stream, { protocol: FILE_PROTOCOL_ID, role: 'initiator', localPeer: from.node.peerId, remotePeer: to, privateKey: from.key, nickname: 'mallory' }, { signal })
  await writeFrame(session, encodeRequest({ type: 'get', id, offset: 0 }), { signal })
  const parts: Uint8Array[] = []
  while (true) {
    const reply = decodeReply(await readFrame(session, { signal }))
    if (reply.type === 'chunk') { parts.push(reply.data.slice()); continue }
    if (reply.type === 'refused') throw new Error(`refused: ${reply.reason}`)
    break
  }
  await stream.close().catch(() => {})
  return Buffer.concat(parts)
}

void describe('file transfer review', () => {
  void it('F1: a finished transfer is not served again, and a file swapped for a link is refused', async () => {
    const [alice, bob] = await pair()
    const source = join(alice.dir.path, 'vault.bin')
    await writeFile(source, Buffer.alloc(4096, 'A'))
    const before = await stat(source)
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await next(bob.node.services.files, 'offer', d => d.id === t.id)
    const doneAtAlice = next(alice.node.services.files, 'file', d => d.id === t.id)
    await bob.node.services.files.accept(t.id)
    assert.equal((await doneAtAlice).status, 'complete')
    assert.equal((await alice.store.getTransfer(t.id))?.state, 'complete')

    // later the same path holds other bytes of the same size, its mtime kept
    const secret = Buffer.alloc(4096, 'S')
    await writeFile(source, secret)
    await utimes(source, before.atime, before.mtime)
    await assert.rejects(rawGet(bob, alice.node.peerId, t.id), /refused: unknown/, 'a finished transfer is not served again')
    // not finished: the same edit (size and mtime kept) is still caught, by the inode or the change time
    await alice.store.putTransfer({ ...(await alice.store.getTransfer(t.id))!, state: 'accepted' })
    await assert.rejects(rawGet(bob, alice.node.peerId, t.id), /refused: changed|changed/)

    // a symlink put in its place is refused
    const other = join(alice.dir.path, 'private-key.pem')
    await writeFile(other, randomBytes(4096))
    await utimes(other, before.atime, before.mtime)
    await unlink(source)
    await symlink(other, source)
    await assert.rejects(rawGet(bob, alice.node.peerId, t.id), /refused: changed/)
  })

  void it('F2: declining during a pull stops it: reported once, the record stays declined, no partial file is left', async () => {
    const [alice, bob] = await pair()
    const content = randomBytes(64 * 1024 * 1024)
    const source = join(alice.dir.path, 'big.bin')
    await writeFile(source, content)
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await next(bob.node.services.files, 'offer', d => d.id === t.id)
    const ends: Array<FilesEvents['file']['detail']> = []
    bob.node.services.files.addEventListener('file', (e) => { if (e.detail.id === t.id) ends.push(e.detail) })
    const halfway = next(bob.node.services.files, 'progress', d => d.id === t.id && d.bytes > 5 * 1024 * 1024)
    await bob.node.services.files.accept(t.id)
    await halfway
    assert.equal((await bob.node.services.files.decline(t.id)).state, 'declined')
    await new Promise(resolve => setTimeout(resolve, 1_500))
    assert.deepEqual(ends.map(e => e.status), ['declined'])
    assert.equal((await bob.store.getTransfer(t.id))?.state, 'declined')
    assert.deepEqual(await readdir(join(bob.downloads, '.partial')), [])
  })

  void it('F3: blocking the sender stops an accepted pull: it is not resumed from the blocked peer', async () => {
    const [alice, bob] = await pair()
    const content = randomBytes(32 * 1024 * 1024)
    const source = join(alice.dir.path, 'big.bin')
    await writeFile(source, content)
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await next(bob.node.services.files, 'offer', d => d.id === t.id)
    const halfway = next(bob.node.services.files, 'progress', d => d.id === t.id && d.bytes > 5 * 1024 * 1024)
    const ends: Array<FilesEvents['file']['detail']> = []
    bob.node.services.files.addEventListener('file', (e) => { if (e.detail.id === t.id) ends.push(e.detail) })
    await bob.node.services.files.accept(t.id)
    await halfway
    bob.blocked.add(alice.node.peerId.toString())
    await bob.node.hangUp(alice.node.peerId)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    assert.deepEqual(ends, [], 'nothing more from the blocked peer')
    assert.equal((await bob.store.getTransfer(t.id))?.state, 'accepted', 'kept for after an unblock')
  })

  void it('F4: a transfer that ends REFUSED (changed) leaves no partial file', async () => {
    const [alice, bob] = await pair()
    const content = randomBytes(64 * 1024 * 1024)
    const source = join(alice.dir.path, 'big.bin')
    await writeFile(source, content)
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await next(bob.node.services.files, 'offer', d => d.id === t.id)
    const halfway = next(bob.node.services.files, 'progress', d => d.id === t.id && d.bytes > 9 * 1024 * 1024)
    const done = next(bob.node.services.files, 'file', d => d.id === t.id, 60_000)
    await bob.node.services.files.accept(t.id)
    await halfway
    await truncate(source, 1024) // or a hostile sender answers REFUSED at 4 GiB - 1
    const end = await done
    assert.equal(end.status, 'failed')
    assert.deepEqual(await readdir(join(bob.downloads, '.partial')), [])
  })

  void it('F5: at MAX_STORED_TRANSFERS the oldest finished transfers make room, both ways', async () => {
    const [alice, bob] = await pair()
    const now = Date.now()
    for (let i = 0; i < 1024; i++) {
      await bob.store.putTransfer({ id: randomBytes(16).toString('hex'), peer: alice.node.peerId.toString(), direction: 'in', name: 'x', size: 1, sha256: '0'.repeat(64), state: 'declined', offset: 0, createdAt: now, updatedAt: now })
    }
    const source = join(bob.dir.path, 'x.txt')
    await writeFile(source, 'hello')
    const mine = await bob.node.services.files.offer(alice.node.peerId, source)
    assert.equal((await bob.store.getTransfer(mine.id))?.state, 'offered')
    // and an incoming offer is stored, room made the same way
    const src2 = join(alice.dir.path, 'y.txt')
    await writeFile(src2, 'hi')
    const t = await alice.node.services.files.offer(bob.node.peerId, src2)
    await next(bob.node.services.files, 'offer', d => d.id === t.id)
    assert.ok((await bob.store.transfers()).length <= 1024)
  })
})
