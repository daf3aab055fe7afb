/**
 * Flow control of a GET (docs/PROTOCOL.md, "File transfer"), against the
 * real service of a real node, with a hand-made receiver: the sender sends
 * no more than FILE_WINDOW_BYTES past the receiver's last acknowledged
 * offset, each MORE lets as much again go, and a MORE that goes back, runs
 * ahead of what was sent or names another transfer resets the stream.
 * Without it a receiver slower than its sender (a disk, a relay) had its
 * read buffer overflow and the download cut every few hundred KiB.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeReply, encodeRequest } from '../../src/files/codec.ts'
import { CHUNK_BYTES, FILE_PROTOCOL_ID, FILE_WINDOW_BYTES } from '../../src/files/constants.ts'
import { performHandshake, readFrame, writeFrame } from '../../src/protocol/wire.ts'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import type { SecureSession } from '../../src/protocol/wire.ts'
import type { FileSide } from '../helpers/file-nodes.ts'

const nodes = new FileNodes()
after(async () => { await nodes.cleanup() })

/** A receiver that reads only when told to, with room to hold far more than a window */
async function rawGet (from: FileSide, to: FileSide, id: string): Promise<SecureSession> {
  const signal = AbortSignal.timeout(20_000)
  const stream = await from.node.dialProtocol(to.node.peerId, FILE_PROTOCOL_ID, { signal })
  const session = await performHandshake(stream, { protocol: FILE_PROTOCOL_ID, role: 'initiator', localPeer: from.node.peerId, remotePeer: to.node.peerId, privateKey: from.key, nickname: 'slow', maxReadBufferBytes: 64 * 1024 * 1024 }, { signal })
  await writeFrame(session, encodeRequest({ type: 'get', id, offset: 0 }), { signal })
  return session
}

/** Every chunk byte that has come so far: frames read until none comes for a while */
async function drain (session: SecureSession): Promise<number> {
  let bytes = 0
  while (true) {
    let frame: Uint8Array
    try {
      frame = await readFrame(session, { signal: AbortSignal.timeout(400) })
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') return bytes
      throw err
    }
    const reply = decodeReply(frame)
    assert.equal(reply.type, 'chunk')
    if (reply.type === 'chunk') bytes += reply.data.byteLength
  }
}

/** The sender reset the stream: a read fails, and not because nothing came in time */
async function assertReset (session: SecureSession, message: string): Promise<void> {
  await sleep(300)
  const err = await drain(session).then(async () => readFrame(session, { signal: AbortSignal.timeout(2_000) })).then(() => undefined, (e: Error) => e)
  assert.ok(err != null && err.name !== 'TimeoutError' && err.name !== 'AbortError', `${message}: ${err?.name ?? 'a frame came'}`)
}

async function offered (size: number): Promise<{ alice: FileSide, bob: FileSide, id: string }> {
  const [alice, bob] = await nodes.pair()
  const source = join(alice.dir.path, 'big.bin')
  await writeFile(source, randomBytes(size))
  const t = await alice.node.services.files.offer(bob.node.peerId, source)
  await nextFileEvent(bob.node.services.files, 'offer', d => d.id === t.id)
  return { alice, bob, id: t.id }
}

void describe('file transfer flow control', () => {
  void it('a sender sends at most FILE_WINDOW_BYTES past the last acknowledged offset; each MORE lets as much again go', async () => {
    const { alice, bob, id } = await offered(16 * 1024 * 1024)
    const session = await rawGet(bob, alice, id)
    // a receiver that takes nothing for a while: the sender stops at the window, not at the file's end
    await sleep(1_000)
    const first = await drain(session)
    assert.ok(first <= FILE_WINDOW_BYTES && first > FILE_WINDOW_BYTES - CHUNK_BYTES, `${first} bytes before any MORE`)

    await writeFrame(session, encodeRequest({ type: 'more', id, offset: first }), { signal: AbortSignal.timeout(5_000) })
    await sleep(500)
    const second = await drain(session)
    assert.ok(first + second <= first + FILE_WINDOW_BYTES && second > FILE_WINDOW_BYTES - CHUNK_BYTES, `${second} bytes after a MORE at ${first}`)

    // a MORE that goes back is a violation: the stream is reset
    await writeFrame(session, encodeRequest({ type: 'more', id, offset: first - 1 }), { signal: AbortSignal.timeout(5_000) })
    await assertReset(session, 'a MORE going back')
  })

  void it('a MORE ahead of what was sent, or for another transfer, resets the stream', async () => {
    const { alice, bob, id } = await offered(8 * 1024 * 1024)
    for (const more of [{ type: 'more' as const, id, offset: 7 * 1024 * 1024 }, { type: 'more' as const, id: 'ab'.repeat(16), offset: 0 }]) {
      const session = await rawGet(bob, alice, id)
      await sleep(300)
      await drain(session)
      await writeFrame(session, encodeRequest(more), { signal: AbortSignal.timeout(5_000) })
      await assertReset(session, more.id === id ? 'a MORE ahead of what was sent' : 'a MORE of another transfer')
    }
  })
})
