/**
 * Review 2 (decline and the pulls lane), finding R2-5: a decline that comes
 * while a pulls round is reading the store is not seen by that round.
 * decline() aborts only a pull already in `pulls`; the round started on
 * the accept still holds its snapshot ('accepted'), registers its pull
 * after the decline, opens (creates) the partial file again and GETs. A
 * sender that does not take the DECLINE to heart (a hostile one, or one
 * whose store lags) serves it; the pull only notices at its first sync,
 * 4 MiB later, and returns from inside the loop, past the one place that
 * removes the partial file of a declined download: the file stays in
 * downloads/.partial for good (nothing ever sweeps that folder), and the
 * bytes were fetched after the user said no.
 *
 * The store read is slowed (a store of 1,024 transfers takes ~180 ms to
 * scan here, so the window is real) and the sender ignores DECLINE (its
 * 'declined' write is dropped). Failed on the code under review (a 4 MiB
 * partial file stays); passes once pull() checks the stored state after
 * registering itself and unlinks the partial file on every way out of a
 * transfer that is no longer accepted.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'

const nodes = new FileNodes()
after(async () => { await nodes.cleanup() })

void describe('review 2: decline against the pulls lane', () => {
  void it('R2-5: a download declined while its round reads the store is not fetched, and leaves no partial file', async () => {
    const [alice, bob] = await nodes.pair()
    const source = join(alice.dir.path, 'dump.bin')
    await writeFile(source, randomBytes(12 * 1024 * 1024))
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await nextFileEvent(bob.node.services.files, 'offer', d => d.id === t.id)

    // the sender keeps serving after a DECLINE (its 'declined' never lands)
    const put = alice.store.putTransfer.bind(alice.store)
    alice.store.putTransfer = async (transfer, options) => { if (transfer.id === t.id && transfer.state === 'declined') return; await put(transfer, options) }
    // bob's store is slow to scan (a full one takes ~180 ms)
    const scan = bob.store.transfers.bind(bob.store)
    bob.store.transfers = async (options) => { const all = await scan(options); await sleep(400); return all }

    await bob.node.services.files.accept(t.id)
    await sleep(100)
    // the user changes their mind while the round that the accept started reads the store
    assert.equal((await bob.node.services.files.decline(t.id)).state, 'declined')
    await sleep(3_000)

    const partialDir = join(bob.downloads, '.partial')
    const left = await readdir(partialDir).catch(() => [])
    const sizes = await Promise.all(left.map(async f => (await stat(join(partialDir, f))).size))
    assert.equal((await bob.store.getTransfer(t.id))?.state, 'declined')
    assert.deepEqual(left, [], `a declined download left ${left.join(', ')} (${sizes.join(', ')} bytes) in downloads/.partial, fetched after the decline`)
  })
})
