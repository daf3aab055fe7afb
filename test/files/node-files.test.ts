/**
 * File transfer between two real securechat nodes on loopback, through the
 * ChatNode API: an offer from a stranger arrives as a request, is accepted
 * and lands in the receiver's downloads folder (by default in its data
 * dir), reported on both sides; a receiver stopped half way resumes after
 * its restart from where it was, not from zero.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { Detail } from '../helpers/node-events.ts'
import type { ChatNode } from '../../src/types.ts'

const loopback = new LoopbackNodes('securechat-node-files-')
after(async () => { await loopback.cleanup() })

const FILES = { retryBase: 50, retryCap: 500 }

function collect<K extends 'offer' | 'file' | 'progress' | 'offered'> (node: ChatNode, type: K): Array<Detail<K>> {
  const seen: Array<Detail<K>> = []
  node.addEventListener(type, (evt) => { seen.push((evt as CustomEvent<Detail<K>>).detail) })
  return seen
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

void describe('files between nodes', () => {
  void it('a stranger\'s offer is a request; accepted, the file lands in <data dir>/downloads, reported on both sides', async () => {
    const dataDir = await loopback.dataDir()
    const alice = await loopback.start({ name: 'alice', files: FILES })
    const bob = await loopback.start({ name: 'bob', dataDir, files: FILES })
    const offers = collect(bob, 'offer')
    const offered = collect(alice, 'offered')
    const ends = [collect(alice, 'file'), collect(bob, 'file')]
    await alice.connect(bob.addrs()[0] ?? '')
    const source = join(dataDir, '..', 'notes.txt')
    const content = randomBytes(200_000)
    await writeFile(source, content)
    const t = await alice.sendFile(bob.peerId, source)
    await until('bob is offered the file', () => offers.some(o => o.id === t.id))
    assert.deepEqual(offers[0], { id: t.id, from: alice.peerId, name: 'notes.txt', size: content.length, sha256: sha256(content), request: true })
    await until('alice hears bob has the offer', () => offered.some(o => o.id === t.id))
    assert.equal((await bob.files())[0]?.state, 'offered')

    await bob.acceptFile(t.id)
    await until('both sides see the end', () => ends.every(e => e.some(f => f.id === t.id)))
    const landed = ends[1]?.find(f => f.id === t.id)
    assert.equal(landed?.status, 'complete')
    assert.equal(landed?.path, join(dataDir, 'downloads', 'notes.txt'))
    assert.equal(sha256(await readFile(landed?.path ?? '')), sha256(content))
    assert.equal(ends[0]?.find(f => f.id === t.id)?.status, 'complete')
    assert.equal((await alice.files())[0]?.state, 'complete')
    await assert.rejects(alice.sendFile(alice.peerId, source), { name: 'InvalidPeerIdError' })
    await assert.rejects(alice.sendFile(bob.peerId, dataDir), TypeError)
  })

  void it('a receiver stopped half way resumes after its restart, from where it was', async () => {
    const dataDir = await loopback.dataDir()
    const alice = await loopback.start({ name: 'alice', files: FILES })
    let bob = await loopback.start({ name: 'bob', dataDir, files: FILES })
    await alice.connect(bob.addrs()[0] ?? '')
    const source = join(dataDir, '..', 'big.bin')
    const content = randomBytes(96 * 1024 * 1024)
    await writeFile(source, content)
    const offers = collect(bob, 'offer')
    const t = await alice.sendFile(bob.peerId, source)
    await until('bob is offered the file', () => offers.some(o => o.id === t.id))
    const progress = collect(bob, 'progress')
    await bob.acceptFile(t.id)
    await until('bob is half way', () => progress.some(p => p.bytes > 20 * 1024 * 1024), 60_000)
    await bob.stop()

    bob = await loopback.start({ name: 'bob', dataDir, files: FILES })
    const resumed = collect(bob, 'progress')
    const ends = collect(bob, 'file')
    await alice.connect(bob.addrs()[0] ?? '')
    await until('bob has the file', () => ends.some(f => f.id === t.id), 120_000)
    assert.equal(ends[0]?.status, 'complete')
    assert.equal(sha256(await readFile(ends[0]?.path ?? '')), sha256(content))
    assert.ok((resumed[0]?.bytes ?? 0) > 16 * 1024 * 1024, `resumed at ${resumed[0]?.bytes} bytes, not from zero`)
  })
})
