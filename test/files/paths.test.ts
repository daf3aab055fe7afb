/**
 * Which files are fetched without asking, and which path their bytes take,
 * between real libp2p nodes on loopback with real stores (and, for the
 * path, a real relay from src/relay/server.ts):
 *
 * - auto-accept: with it on, a verified contact's offer is downloaded at
 *   once; an unverified contact's offer waits, and so does everyone's with
 *   it off. An accept the downloads disk cannot hold is refused
 *   (NotEnoughSpaceError) and the offer stays.
 * - a download through the relay moves to a direct connection as soon as
 *   one appears, with every verified byte kept (it goes on from where it
 *   was, not from the last 4 MiB sync point), and both sides' progress says
 *   which path is in use.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createRelayNode } from '../../src/relay/server.ts'
import { tcpPort } from '../helpers/addrs.ts'
import { FileNodes, nextFileEvent as next } from '../helpers/file-nodes.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { FilesEvents } from '../../src/files/index.ts'
import type { FileSide } from '../helpers/file-nodes.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

const nodes = new FileNodes()
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  await nodes.cleanup()
})

async function introduce (a: FileSide, b: FileSide): Promise<void> {
  await a.node.peerStore.merge(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
  await b.node.peerStore.merge(a.node.peerId, { multiaddrs: a.node.getMultiaddrs() })
}

async function until (check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

type Progress = FilesEvents['progress']['detail']

void describe('file transfer: auto-accept', () => {
  void it('with auto-accept on, a verified contact\'s offer downloads at once; an unverified one\'s, or with it off, waits', async () => {
    const alice = await nodes.side()
    const bob = await nodes.side({ files: { autoAccept: true } })
    const carol = await nodes.side()
    await introduce(alice, bob)
    await introduce(alice, carol)
    const source = join(alice.dir.path, 'song.ogg')
    const content = randomBytes(300_000)
    await writeFile(source, content)

    // alice is bob's contact, not yet verified: her offer waits for him
    const first = next(bob.node.services.files, 'offer')
    await alice.node.services.files.offer(bob.node.peerId, source)
    assert.equal((await first).state, 'offered')

    bob.verified.add(alice.node.peerId.toString())
    carol.verified.add(alice.node.peerId.toString())
    const second = next(bob.node.services.files, 'offer')
    const landed = next(bob.node.services.files, 'file')
    const sent = await alice.node.services.files.offer(bob.node.peerId, source)
    assert.equal((await second).state, 'accepted', 'verified, auto-accept on: taken at once')
    const done = await landed
    assert.deepEqual([done.id, done.status], [sent.id, 'complete'])
    assert.deepEqual(await readFile(done.path ?? ''), content)

    // carol has alice verified too, but auto-accept off
    const third = next(carol.node.services.files, 'offer')
    await alice.node.services.files.offer(carol.node.peerId, source)
    assert.equal((await third).state, 'offered')
    assert.deepEqual((await bob.node.services.files.transfers()).map(t => t.state), ['offered', 'complete'], 'the unverified offer still waits')
  })

  void it('an accept the downloads disk cannot hold is refused with NotEnoughSpaceError, and the offer stays', async () => {
    const [alice, bob] = await nodes.pair()
    const source = join(alice.dir.path, 'small.txt')
    await writeFile(source, 'small')
    const offered = next(bob.node.services.files, 'offer')
    await alice.node.services.files.offer(bob.node.peerId, source)
    const offer = await offered
    // as if the offer were for a petabyte: no disk here has that free
    const stored = await bob.store.getTransfer(offer.id)
    assert.ok(stored != null)
    await bob.store.putTransfer({ ...stored, size: 2 ** 50 })
    await assert.rejects(bob.node.services.files.accept(offer.id), { name: 'NotEnoughSpaceError', message: /needed .* free in / })
    assert.equal((await bob.store.getTransfer(offer.id))?.state, 'offered')
  })
})

void describe('file transfer: the path', () => {
  void it('a download through the relay moves to a direct connection when one appears, every verified byte kept; both sides say which path', async () => {
    const relayDir = await createTempDir('securechat-files-relay-')
    const relay = await createRelayNode({ dataDir: relayDir.path, host: '127.0.0.1', port: 0 })
    cleanups.push(async () => { await relay.stop(); await relayDir.remove() })
    const relayAddr = multiaddr(relay.addrs()[0] ?? '')
    const relayPort = tcpPort(relayAddr.toString())

    // until the test allows it, each side dials only the relay (and circuits through it): no direct connection
    let direct = false
    const allowDial = (addr: Multiaddr): boolean => direct || addr.getComponents().some(c => c.name === 'p2p-circuit') || (!addr.toString().includes('/p2p-circuit') && addr.toString().includes(`/tcp/${relayPort}`))
    const alice = await nodes.side({ relay: true, allowDial })
    const bob = await nodes.side({ relay: true, allowDial })
    const circuit = (side: FileSide): Multiaddr[] => side.node.getMultiaddrs().filter(a => a.getComponents().some(c => c.name === 'p2p-circuit'))
    await Promise.all([alice.node.dial(relayAddr), bob.node.dial(relayAddr)])
    await until(() => circuit(alice).length > 0 && circuit(bob).length > 0, 'both reservations')
    await alice.node.peerStore.merge(bob.node.peerId, { multiaddrs: circuit(bob) })
    await bob.node.peerStore.merge(alice.node.peerId, { multiaddrs: circuit(alice) })

    const content = randomBytes(40 * 1024 * 1024)
    const source = join(alice.dir.path, 'video.mkv')
    await writeFile(source, content)
    const atBob: Progress[] = []
    const atAlice: Progress[] = []
    bob.node.services.files.addEventListener('progress', (evt) => {
      atBob.push(evt.detail)
      if (!direct && evt.detail.bytes > 2 * 1024 * 1024) {
        // part of the file came through the relay: now a direct connection appears
        direct = true
        void alice.node.dial(bob.node.getMultiaddrs().filter(a => circuit(bob).every(c => !c.equals(a))))
      }
    })
    alice.node.services.files.addEventListener('progress', (evt) => { atAlice.push(evt.detail) })

    const offered = next(bob.node.services.files, 'offer')
    const sent = await alice.node.services.files.offer(bob.node.peerId, source)
    await offered
    const landed = next(bob.node.services.files, 'file', d => d.id === sent.id, 60_000)
    await bob.node.services.files.accept(sent.id)
    const done = await landed
    assert.equal(done.status, 'complete')
    assert.equal(createHash('sha256').update(await readFile(done.path ?? '')).digest('hex'), sent.sha256)

    for (const [who, events] of [['bob', atBob], ['alice', atAlice]] as const) {
      const paths = events.map(e => e.via).filter((v, i, all) => i === 0 || all[i - 1] !== v)
      assert.deepEqual(paths, ['relay', 'direct'], `${who}: through the relay first, then direct, never back`)
    }
    const lastRelayed = atBob.filter(e => e.via === 'relay').at(-1)?.bytes ?? 0
    const firstDirect = atBob.find(e => e.via === 'direct')?.bytes ?? 0
    // moved by the direct connection, not cut by the relay's 16 MiB limit of the relayed one
    assert.ok(lastRelayed > 2 * 1024 * 1024 && lastRelayed < 14 * 1024 * 1024, `${lastRelayed} bytes came through the relay`)
    assert.ok(firstDirect >= lastRelayed, `the direct download goes on from ${firstDirect}, not from before ${lastRelayed}: no verified byte is fetched again`)
    assert.ok(bob.node.getConnections(alice.node.peerId).some(c => c.direct), 'the direct connection is in use')
  })
})
