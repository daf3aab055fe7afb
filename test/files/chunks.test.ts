/**
 * The chunk pipeline on real files: readChunks cuts a file into CHUNK
 * replies and an END, from any offset, and stops with FileChangedError when
 * the file is not the size offered (before or while it is read);
 * verifyChunks refuses a gap, an overlap, a chunk past the end, a missing
 * or early END; and readChunks | encode | decode | verifyChunks
 * reassembles a random 3 MiB file byte for byte.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { appendFile, mkdir, readdir, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pipe } from 'it-pipe'
import { readChunks, verifyChunks } from '../../src/files/chunks.ts'
import { decodeReplies, encodeReplies } from '../../src/files/codec.ts'
import { CHUNK_BYTES } from '../../src/files/constants.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { ChunkReply, EndReply, ValidReply } from '../../src/files/codec.ts'

const KiB = 1024
const MiB = 1024 * KiB

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

/** A file of `size` random bytes in a fresh temp dir */
async function randomFile (t: { after: (fn: () => unknown) => void }, size: number): Promise<{ path: string, bytes: Buffer }> {
  const dir = await tempDir(t, 'securechat-chunks-')
  const path = join(dir, 'file.bin')
  const bytes = randomBytes(size)
  await writeFile(path, bytes)
  return { path, bytes }
}

/** Checks `replies` are chunks of CHUNK_BYTES (the last shorter) from `offset` holding `bytes`, then END at `offset + bytes.length` */
function assertChunks (replies: Array<ChunkReply | EndReply>, offset: number, bytes: Uint8Array): void {
  const end = replies.at(-1)
  assert.deepEqual(end, { type: 'end', offset: offset + bytes.byteLength })
  const chunks = replies.slice(0, -1)
  assert.equal(chunks.length, Math.ceil(bytes.byteLength / CHUNK_BYTES))
  let position = offset
  for (const [i, chunk] of chunks.entries()) {
    assert.equal(chunk.type, 'chunk')
    if (chunk.type !== 'chunk') return
    assert.equal(chunk.offset, position)
    assert.equal(chunk.data.byteLength, i < chunks.length - 1 ? CHUNK_BYTES : bytes.byteLength - (chunks.length - 1) * CHUNK_BYTES)
    assert.ok(Buffer.from(chunk.data).equals(bytes.subarray(position - offset, position - offset + chunk.data.byteLength)), `chunk ${i} bytes`)
    position += chunk.data.byteLength
  }
}

const changed = (message: RegExp) => ({ name: 'FileChangedError', message })

void describe('readChunks', () => {
  void it('an empty file: END at 0 and nothing else', async (t) => {
    const { path } = await randomFile(t, 0)
    assert.deepEqual(await collect(readChunks(path, { offset: 0, size: 0 })), [{ type: 'end', offset: 0 }])
  })

  void it('exactly 60 KiB: one full chunk, then END', async (t) => {
    const { path, bytes } = await randomFile(t, CHUNK_BYTES)
    const replies = await collect(readChunks(path, { offset: 0, size: CHUNK_BYTES }))
    assert.equal(replies.length, 2)
    assertChunks(replies, 0, bytes)
  })

  void it('1 MiB + 1: 17 full chunks, one of 4 KiB + 1, END', async (t) => {
    const size = MiB + 1
    const { path, bytes } = await randomFile(t, size)
    const replies = await collect(readChunks(path, { offset: 0, size }))
    assert.equal(replies.length, Math.ceil(size / CHUNK_BYTES) + 1)
    assertChunks(replies, 0, bytes)
  })

  void it('from an offset: mid-chunk, at a chunk boundary, the last byte, the very end', async (t) => {
    const size = 3 * CHUNK_BYTES + 100
    const { path, bytes } = await randomFile(t, size)
    for (const offset of [1, 12_345, CHUNK_BYTES, 2 * CHUNK_BYTES + 7, size - 1, size]) {
      const replies = await collect(readChunks(path, { offset, size }))
      assertChunks(replies, offset, bytes.subarray(offset))
    }
  })

  void it('an offset or size out of range is a TypeError at once, before the file is opened', () => {
    const path = '/nonexistent/file'
    assert.throws(() => readChunks(path, { offset: 11, size: 10 }), TypeError)
    assert.throws(() => readChunks(path, { offset: -1, size: 10 }), TypeError)
    assert.throws(() => readChunks(path, { offset: 0.5, size: 10 }), TypeError)
    assert.throws(() => readChunks(path, { offset: 0, size: 2 ** 53 }), TypeError)
    assert.throws(() => verifyChunks([], { offset: 2, size: 1 }), TypeError)
  })

  void it('a file that grew after the offer: FileChangedError before any chunk', async (t) => {
    const { path } = await randomFile(t, 1000)
    await appendFile(path, 'x')
    await assert.rejects(collect(readChunks(path, { offset: 0, size: 1000 })), changed(/longer/))
    // also from the very end, where no byte is read
    await assert.rejects(collect(readChunks(path, { offset: 1000, size: 1000 })), changed(/longer/))
  })

  void it('a file that shrank after the offer: FileChangedError before any chunk', async (t) => {
    const { path } = await randomFile(t, 1000)
    await truncate(path, 999)
    await assert.rejects(collect(readChunks(path, { offset: 0, size: 1000 })), changed(/shorter/))
    await assert.rejects(collect(readChunks(path, { offset: 1000, size: 1000 })), changed(/shorter/))
  })

  void it('a file that shrinks while it is read: FileChangedError at the read that finds the end, after the chunks it had', async (t) => {
    const size = 4 * CHUNK_BYTES
    const { path } = await randomFile(t, size)
    const seen: ValidReply[] = []
    await assert.rejects((async () => {
      for await (const reply of readChunks(path, { offset: 0, size })) {
        seen.push(reply)
        if (seen.length === 1) await truncate(path, 2 * CHUNK_BYTES + 10)
      }
    })(), changed(/shorter/))
    assert.deepEqual(seen.map(r => r.type), ['chunk', 'chunk'])
  })

  void it('a file that grows while it is read: FileChangedError instead of END', async (t) => {
    const size = 2 * CHUNK_BYTES
    const { path } = await randomFile(t, size)
    const seen: ValidReply[] = []
    await assert.rejects((async () => {
      for await (const reply of readChunks(path, { offset: 0, size })) {
        seen.push(reply)
        if (seen.length === 1) await appendFile(path, randomBytes(10))
      }
    })(), changed(/longer/))
    assert.deepEqual(seen.map(r => r.type), ['chunk', 'chunk'])
  })

  void it('a file gone, or now a directory: FileChangedError', async (t) => {
    const { path } = await randomFile(t, 10)
    await unlink(path)
    await assert.rejects(collect(readChunks(path, { offset: 0, size: 10 })), (err: Error) => err.name === 'FileChangedError' && /gone/.test(err.message) && (err.cause as NodeJS.ErrnoException).code === 'ENOENT')
    await mkdir(path)
    await assert.rejects(collect(readChunks(path, { offset: 0, size: 10 })), changed(/regular file/))
  })

  void it('reads only as far as it is pulled, and stops at an abort with the signal\'s reason', async (t) => {
    const size = 10 * CHUNK_BYTES
    const { path } = await randomFile(t, size)
    const controller = new AbortController()
    const replies = readChunks(path, { offset: 0, size, signal: controller.signal })
    const first = await replies.next()
    assert.equal(first.done, false)
    assert.equal((first.value as ValidReply).type, 'chunk')
    controller.abort(new Error('stop'))
    await assert.rejects(replies.next(), { message: 'stop' })
    // aborted before it starts: nothing is opened
    await assert.rejects(readChunks('/nonexistent/file', { offset: 0, size: 1, signal: AbortSignal.abort(new Error('early')) }).next(), { message: 'early' })
  })

  void it('a consumer that stops early closes the file (the generator returns)', { skip: process.platform !== 'linux' && 'counts /proc/self/fd' }, async (t) => {
    const size = 3 * CHUNK_BYTES
    const { path } = await randomFile(t, size)
    const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length
    const before = await fds()
    const replies = readChunks(path, { offset: 0, size })
    await replies.next()
    assert.equal(await fds(), before + 1, 'the file is open while chunks are pulled')
    assert.deepEqual(await replies.return(undefined), { done: true, value: undefined })
    assert.equal(await fds(), before, 'the file is closed')
    assert.deepEqual(await replies.next(), { done: true, value: undefined })
  })
})

/** Replies of a file of `size` bytes cut as a sender would, from `offset` */
function replies (offset: number, size: number, chunk = 100): ValidReply[] {
  const out: ValidReply[] = []
  for (let at = offset; at < size; at += chunk) {
    out.push({ type: 'chunk', offset: at, data: new Uint8Array(Math.min(chunk, size - at)).fill(at % 251) })
  }
  out.push({ type: 'end', offset: size })
  return out
}

void describe('verifyChunks', () => {
  void it('contiguous chunks from the offset and END at the size: the data, in order', async () => {
    for (const [offset, size] of [[0, 0], [0, 1000], [350, 1000], [1000, 1000]] as const) {
      const data = await collect(verifyChunks(replies(offset, size), { offset, size }))
      assert.equal(data.reduce((n, d) => n + d.byteLength, 0), size - offset)
    }
  })

  void it('a gap: ChunkOffsetError, after the data before it', async () => {
    const r = replies(0, 1000)
    r.splice(3, 1)
    const seen: Uint8Array[] = []
    await assert.rejects((async () => { for await (const d of verifyChunks(r, { offset: 0, size: 1000 })) seen.push(d) })(), { name: 'ChunkOffsetError', message: /gap/ })
    assert.equal(seen.length, 3)
  })

  void it('an overlap, a repeated chunk, a first chunk not at the offset: ChunkOffsetError', async () => {
    const overlap = replies(0, 1000)
    overlap.splice(2, 0, { type: 'chunk', offset: 150, data: new Uint8Array(10) })
    await assert.rejects(collect(verifyChunks(overlap, { offset: 0, size: 1000 })), { name: 'ChunkOffsetError', message: /overlaps/ })
    const repeated = replies(0, 1000)
    repeated.splice(2, 0, repeated[1] as ValidReply)
    await assert.rejects(collect(verifyChunks(repeated, { offset: 0, size: 1000 })), { name: 'ChunkOffsetError', message: /overlaps/ })
    await assert.rejects(collect(verifyChunks(replies(0, 1000), { offset: 100, size: 1000 })), { name: 'ChunkOffsetError', message: /overlaps/ })
    await assert.rejects(collect(verifyChunks(replies(200, 1000), { offset: 100, size: 1000 })), { name: 'ChunkOffsetError', message: /gap/ })
  })

  void it('a chunk past the end: ChunkOverrunError', async () => {
    await assert.rejects(collect(verifyChunks(replies(0, 1001), { offset: 0, size: 1000 })), { name: 'ChunkOverrunError' })
    await assert.rejects(collect(verifyChunks([{ type: 'chunk', offset: 0, data: new Uint8Array(1) }], { offset: 0, size: 0 })), { name: 'ChunkOverrunError' })
  })

  void it('no END: MissingEndError, after all the data', async () => {
    const r = replies(0, 1000).slice(0, -1)
    const seen: Uint8Array[] = []
    await assert.rejects((async () => { for await (const d of verifyChunks(r, { offset: 0, size: 1000 })) seen.push(d) })(), { name: 'MissingEndError' })
    assert.equal(seen.length, 10)
    await assert.rejects(collect(verifyChunks([], { offset: 0, size: 0 })), { name: 'MissingEndError' })
  })

  void it('an END early: EarlyEndError, whatever offset it claims', async () => {
    await assert.rejects(collect(verifyChunks([...replies(0, 500).slice(0, -1), { type: 'end', offset: 500 }], { offset: 0, size: 1000 })), { name: 'EarlyEndError' })
    await assert.rejects(collect(verifyChunks([...replies(0, 500).slice(0, -1), { type: 'end', offset: 1000 }], { offset: 0, size: 1000 })), { name: 'EarlyEndError' })
    await assert.rejects(collect(verifyChunks([{ type: 'end', offset: 0 }], { offset: 0, size: 1 })), { name: 'EarlyEndError' })
  })

  void it('an END at the right time but the wrong offset: ChunkOffsetError', async () => {
    await assert.rejects(collect(verifyChunks([...replies(0, 1000).slice(0, -1), { type: 'end', offset: 1001 }], { offset: 0, size: 1000 })), { name: 'ChunkOffsetError', message: /END at 1001/ })
  })

  void it('after END nothing more is read', async () => {
    let pulled = 0
    async function * source (): AsyncGenerator<ValidReply> {
      for (const reply of [...replies(0, 300), { type: 'chunk' as const, offset: 300, data: new Uint8Array(1) }]) {
        pulled++
        yield reply
      }
    }
    assert.equal((await collect(verifyChunks(source(), { offset: 0, size: 300 }))).length, 3)
    assert.equal(pulled, 4)
  })

  void it('REFUSED among the chunks: TransferRefusedError with its reason; an OK: UnexpectedReplyError', async () => {
    const refused = [...replies(0, 1000).slice(0, 2), { type: 'refused' as const, reason: 'changed' as const }]
    await assert.rejects(collect(verifyChunks(refused, { offset: 0, size: 1000 })), (err: Error) => err.name === 'TransferRefusedError' && (err as Error & { reason: string }).reason === 'changed')
    await assert.rejects(collect(verifyChunks([{ type: 'ok' }], { offset: 0, size: 1000 })), { name: 'UnexpectedReplyError' })
  })
})

void describe('the whole pipeline', () => {
  void it('readChunks | encode | decode | verifyChunks reassembles a random 3 MiB file byte for byte', async (t) => {
    const size = 3 * MiB
    const { path, bytes } = await randomFile(t, size)
    const hash = createHash('sha256')
    const range = { offset: 0, size }
    let received = 0
    await pipe(
      readChunks(path, range),
      encodeReplies,
      decodeReplies,
      source => verifyChunks(source, range),
      async source => {
        for await (const data of source) {
          hash.update(data)
          received += data.byteLength
        }
      }
    )
    assert.equal(received, size)
    assert.equal(hash.digest('hex'), createHash('sha256').update(bytes).digest('hex'))
  })

  void it('resumed from an offset, the two halves hash to the whole', async (t) => {
    const size = MiB + 12_345
    const { path, bytes } = await randomFile(t, size)
    const hash = createHash('sha256')
    for (const [offset, stop] of [[0, 7], [7 * CHUNK_BYTES, Infinity]] as const) {
      const range = { offset, size }
      let n = 0
      const verified = pipe(readChunks(path, range), encodeReplies, decodeReplies, source => verifyChunks(source, range))
      for await (const data of verified) {
        hash.update(data)
        if (++n === stop) break
      }
    }
    assert.equal(hash.digest('hex'), createHash('sha256').update(bytes).digest('hex'))
  })
})
