/**
 * Review 2 (flow control, path moves), finding R2-2: the peer a file is
 * offered to decides the sender's `via`, and every change of it is an
 * event (past the 250 ms ration) and a line in the REPL. The sender's
 * progress is per transfer, but its `via` is the path of whichever GET sent
 * the last chunk; nothing stops a receiver from holding two GETs of the
 * same transfer at once, one through the relay and one direct. Each chunk
 * then flips `via`, so the sender gets a progress event per 60 KiB chunk and
 * its REPL prints "… now goes over a direct connection" / "… now goes
 * through the relay" for each one: thousands of lines per file, again for
 * every GET the receiver cares to make (the transfer stays servable until
 * it says DONE). The README rations strangers' presence lines for exactly
 * this reason; the receiver here may be a stranger the user sent a file to.
 *
 * Real nodes and a real relay (src/relay/server.ts); the hostile receiver
 * opens its GETs by hand on its two connections to the sender. Failed on
 * the code under review (hundreds of path lines); passes now that a newer
 * GET of a transfer ends the older one and changes of path are rationed
 * (events and REPL lines).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { TextOutput } from '../../src/cli/chat/text-output.ts'
import { decodeReply, encodeRequest } from '../../src/files/codec.ts'
import { FILE_PROTOCOL_ID, MORE_EVERY_BYTES } from '../../src/files/constants.ts'
import { performHandshake, readFrame, writeFrame } from '../../src/protocol/wire.ts'
import { createRelayNode } from '../../src/relay/server.ts'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { FilesEvents } from '../../src/files/index.ts'
import type { FileSide } from '../helpers/file-nodes.ts'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const nodes = new FileNodes()
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  await nodes.cleanup()
})

async function until (check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** A hostile receiver's GET of `id` on `connection`, read to the end, acknowledged as an honest one would */
async function getOn (connection: Connection, from: FileSide, id: string): Promise<number> {
  const signal = AbortSignal.timeout(30_000)
  const stream = await connection.newStream(FILE_PROTOCOL_ID, { runOnLimitedConnection: true, signal })
  const session = await performHandshake(stream, { protocol: FILE_PROTOCOL_ID, role: 'initiator', localPeer: from.node.peerId, remotePeer: connection.remotePeer, privateKey: from.key, nickname: 'mallory', maxReadBufferBytes: 8 * 1024 * 1024 }, { signal })
  await writeFrame(session, encodeRequest({ type: 'get', id, offset: 0 }), { signal })
  let offset = 0
  let taken = 0
  while (true) {
    const reply = decodeReply(await readFrame(session, { signal }))
    if (reply.type !== 'chunk') break
    offset += reply.data.byteLength
    if (offset - taken >= MORE_EVERY_BYTES) {
      await writeFrame(session, encodeRequest({ type: 'more', id, offset }), { signal })
      taken = offset
    }
  }
  await stream.close().catch(() => {})
  return offset
}

void describe('review 2: the sender\'s path, as the receiver makes it', () => {
  void it('R2-2: a receiver with a relayed and a direct connection cannot make the sender print a path line per chunk', async () => {
    const relayDir = await createTempDir('securechat-review2-relay-')
    const relay = await createRelayNode({ dataDir: relayDir.path, host: '127.0.0.1', port: 0 })
    cleanups.push(async () => { await relay.stop(); await relayDir.remove() })
    const relayAddr = multiaddr(relay.addrs()[0] ?? '')

    const alice = await nodes.side({ relay: true })
    const bob = await nodes.side({ relay: true })
    const circuit = (side: FileSide): Multiaddr[] => side.node.getMultiaddrs().filter(a => a.getComponents().some(c => c.name === 'p2p-circuit'))
    await Promise.all([alice.node.dial(relayAddr), bob.node.dial(relayAddr)])
    await until(() => circuit(alice).length > 0 && circuit(bob).length > 0, 'both reservations')

    // bob holds two connections to alice: one through the relay, one direct
    const relayed = await bob.node.dial(circuit(alice))
    assert.equal(relayed.direct, false)
    const direct = await bob.node.dial(alice.node.getMultiaddrs().filter(a => !circuit(alice).some(c => c.equals(a))), { force: true })
    assert.equal(direct.direct, true)

    // alice offers bob a file, her REPL renders her progress events
    const source = join(alice.dir.path, 'holiday.mp4')
    await writeFile(source, randomBytes(6 * 1024 * 1024))
    const events: Array<FilesEvents['progress']['detail']> = []
    const lines: string[] = []
    const output = new TextOutput({ out: (line) => { lines.push(line) }, err: () => {} })
    alice.node.services.files.addEventListener('progress', (evt) => { events.push(evt.detail); output.progress(evt.detail) })
    const sent = await alice.node.services.files.offer(bob.node.peerId, source)
    await nextFileEvent(bob.node.services.files, 'offer', d => d.id === sent.id)

    // two GETs of the same transfer at once, one on each path: the newer one ends the older, and it gets it all
    const first = getOn(relayed, bob, sent.id)
    await new Promise(resolve => setTimeout(resolve, 50))
    const [older, newer] = await Promise.allSettled([first, getOn(direct, bob, sent.id)])
    assert.equal(newer.status === 'fulfilled' ? newer.value : newer.reason, 6 * 1024 * 1024, 'the newer GET gets the whole file')
    assert.equal(older.status, 'rejected', 'the older GET is ended')

    const flips = events.filter((e, i) => i > 0 && events[i - 1]?.via !== e.via).length
    const pathLines = lines.filter(l => / goes (over a direct connection|through the relay)/.test(l))
    assert.ok(pathLines.length <= 4, `alice's REPL printed ${pathLines.length} path lines (${flips} flips of via in ${events.length} progress events) for one 6 MiB file, e.g. ${JSON.stringify(pathLines.slice(0, 3))}`)
  })
})
