/**
 * The file-transfer service between two real libp2p nodes on loopback,
 * each with a real store: an offer arrives, is accepted, and the file lands
 * under a safe name with its SHA-256 checked, on both sides reported; a
 * transfer cut half way resumes from the receiver's synced offset, not from
 * zero (test/files/node-files.test.ts shows it across a restart); a
 * declined offer is reported to the sender; a hostile name lands inside the
 * downloads folder.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import type { FileSide } from '../helpers/file-nodes.ts'

const nodes = new FileNodes()
after(async () => { await nodes.cleanup() })
const pair = async (): Promise<[FileSide, FileSide]> => nodes.pair()
const next = nextFileEvent

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

void describe('file transfer service', () => {
  void it('an offer arrives, is accepted, and lands checked under its name; both sides are told', async () => {
    const [alice, bob] = await pair()
    const content = randomBytes(3 * 1024 * 1024 + 17)
    const source = join(alice.dir.path, 'holiday.jpg')
    await writeFile(source, content)
    const offered = next(bob.node.services.files, 'offer')
    const sent = await alice.node.services.files.offer(bob.node.peerId, source)
    assert.equal(sent.sha256, sha256(content))
    const offer = await offered
    assert.deepEqual([offer.id, offer.name, offer.size, offer.direction], [sent.id, 'holiday.jpg', content.length, 'in'])

    const doneAtBob = next(bob.node.services.files, 'file', d => d.id === sent.id)
    const doneAtAlice = next(alice.node.services.files, 'file', d => d.id === sent.id)
    await bob.node.services.files.accept(offer.id)
    const landed = await doneAtBob
    assert.equal(landed.status, 'complete')
    assert.equal(landed.path, join(bob.downloads, 'holiday.jpg'))
    assert.equal(sha256(await readFile(landed.path ?? '')), sha256(content))
    assert.equal((await doneAtAlice).status, 'complete')
    assert.deepEqual(await readdir(join(bob.downloads, '.partial')), [], 'no partial file is left')
  })

  void it('a hostile name lands inside the downloads folder; a declined offer is reported to the sender', async () => {
    const [alice, bob] = await pair()
    const source = join(alice.dir.path, 'x.txt')
    await writeFile(source, 'hello')
    // the sender's name is its base name: the receiver must not trust it anyway, so write one by hand
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    const offer = await next(bob.node.services.files, 'offer', d => d.id === t.id)
    await bob.store.putTransfer({ ...(await bob.store.getTransfer(offer.id))!, name: '../../etc/passwd' })
    const done = next(bob.node.services.files, 'file', d => d.id === t.id)
    await bob.node.services.files.accept(offer.id)
    const landed = await done
    assert.equal(landed.path, join(bob.downloads, 'passwd'))

    const second = await alice.node.services.files.offer(bob.node.peerId, source)
    await next(bob.node.services.files, 'offer', d => d.id === second.id)
    const told = next(alice.node.services.files, 'file', d => d.id === second.id)
    await bob.node.services.files.decline(second.id)
    assert.equal((await told).status, 'declined')
  })

  void it('a file accepted while another from the same peer downloads is fetched right after it, not at the next connection', async () => {
    const [alice, bob] = await pair()
    const big = join(alice.dir.path, 'big.bin')
    const small = join(alice.dir.path, 'small.txt')
    await writeFile(big, randomBytes(32 * 1024 * 1024))
    await writeFile(small, 'after the big one')
    const first = await alice.node.services.files.offer(bob.node.peerId, big)
    const second = await alice.node.services.files.offer(bob.node.peerId, small)
    await next(bob.node.services.files, 'offer', d => d.id === first.id)
    await next(bob.node.services.files, 'offer', d => d.id === second.id)
    const started = next(bob.node.services.files, 'progress', d => d.id === first.id)
    const ends: string[] = []
    bob.node.services.files.addEventListener('file', (evt) => { ends.push(evt.detail.id) })
    await bob.node.services.files.accept(first.id)
    await started
    await bob.node.services.files.accept(second.id)
    await next(bob.node.services.files, 'file', d => d.id === second.id, 60_000)
    assert.ok(ends.includes(first.id), 'the first finished too')
    assert.equal(await readFile(join(bob.downloads, 'small.txt'), 'utf8'), 'after the big one')
  })
})
