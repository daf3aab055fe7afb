/**
 * Review 2 (flow control, path moves), finding R2-1: a download that has to
 * dial its sender directly aborts itself. pull() registers itself with
 * `via: 'relay'` before openStream() runs; the direct connection that
 * openStream's own dial opens fires `connection:open`, onConnection takes
 * the pull for one running through a relay and aborts it with
 * TransferMovedError; the abort tears down the dial (and the connection
 * with it), the "move" counts as a success (no backoff) and kicks a new
 * round at once, which dials again... The download never starts; the two
 * nodes open and drop a connection tens of times a second for as long as
 * no other connection to the peer exists (after a restart, after an idle
 * connection closed, for an accept made later).
 *
 * No hostile peer is needed. The second test is the whole node (ChatNode,
 * its gater, liveness and all): a receiver restarted after accepting, that
 * nobody dials, never gets a 2 MiB file (here: ~60 aborted moves and the
 * sender's gater resetting the rest, in 20 s). Both fail on the code under
 * review; both pass once a pull says `relay` only for a stream that really
 * is relayed (its `via` unset until openStream() returns).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import { until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { Detail } from '../helpers/node-events.ts'

const nodes = new FileNodes()
const loopback = new LoopbackNodes('securechat-review2-dial-')
after(async () => {
  await nodes.cleanup()
  await loopback.cleanup()
})

void describe('review 2: a pull that dials its sender', () => {
  void it('R2-1a: a download accepted while not connected completes over the direct connection it dials, in one round', async () => {
    const [alice, bob] = await nodes.pair()
    const source = join(alice.dir.path, 'photo.jpg')
    const content = randomBytes(1024 * 1024)
    await writeFile(source, content)
    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await nextFileEvent(bob.node.services.files, 'offer', d => d.id === t.id)

    // the offer's connection goes away (idle, a restart, a network change): bob's pull must dial alice
    await bob.node.hangUp(alice.node.peerId)
    await sleep(200)
    assert.equal(bob.node.getConnections(alice.node.peerId).length, 0)

    // each round of bob's pulls lane reads the store once; each connection alice sees is one dial of bob's
    let rounds = 0
    const transfers = bob.store.transfers.bind(bob.store)
    bob.store.transfers = async (...args: Parameters<typeof transfers>) => { rounds++; return transfers(...args) }
    let connections = 0
    alice.node.addEventListener('connection:open', () => { connections++ })

    const landed = nextFileEvent(bob.node.services.files, 'file', d => d.id === t.id, 20_000)
    await bob.node.services.files.accept(t.id)
    const outcome = await landed.catch((err: Error) => err)
    assert.ok(!(outcome instanceof Error), `the download never completed: ${rounds} rounds, ${connections} connections opened to alice in 20 s`)
    assert.equal(outcome.status, 'complete')
    assert.ok(rounds <= 3, `${rounds} rounds for one download`)
    assert.ok(connections <= 2, `${connections} connections for one download`)
  })

  void it('R2-1b: a whole node restarted after accepting a download, that nobody dials, completes it', async () => {
    const files = { retryBase: 1_000, retryCap: 30_000 }
    const dataDir = await loopback.dataDir()
    const alice = await loopback.start({ name: 'alice', files })
    let bob = await loopback.start({ name: 'bob', dataDir, files })
    await bob.connect(alice.addrs()[0] ?? '')
    const source = join(dataDir, '..', 'slides.pdf')
    await writeFile(source, randomBytes(2 * 1024 * 1024))
    const offers: Array<Detail<'offer'>> = []
    bob.addEventListener('offer', (evt) => { offers.push(evt.detail) })
    const t = await alice.sendFile(bob.peerId, source)
    await until('bob is offered the file', () => offers.some(o => o.id === t.id))

    // bob restarts (nothing connects to him: alice has nothing to deliver) and accepts: his pull dials alice
    await bob.stop()
    bob = await loopback.start({ name: 'bob', dataDir, files })
    const ends: Array<Detail<'file'>> = []
    bob.addEventListener('file', (evt) => { ends.push(evt.detail) })
    await bob.acceptFile(t.id)
    const done = await until('bob has the file', () => ends.some(f => f.id === t.id), 20_000).then(() => true, () => false)
    assert.ok(done, 'no download within 20 s')
    assert.equal(ends.find(f => f.id === t.id)?.status, 'complete')
  })
})
