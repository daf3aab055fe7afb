/**
 * Review 2 (flow control, path moves), finding R2-3: a write that
 * half-completed is counted whole. pull() does
 * `await handle.write(data, 0, data.byteLength, offset)` and then
 * `offset += data.byteLength`, ignoring `bytesWritten`; Node's
 * FileHandle.write is one pwrite(2), which writes less than asked when the
 * disk fills up (ENOSPC), a quota is reached (EDQUOT) or the file size
 * limit is (EFBIG): the bytes that fit, and the next write fails.
 * (`ulimit -f 100` and two 60 KiB writes show it: 61440, then 40960, then
 * EFBIG.) The cut then syncs and stores that offset, "every byte written
 * was verified", though part of the chunk never reached the file; the
 * resume truncates the partial file *up* to the stored offset (zeros) and
 * fetches on from there; at the end the SHA-256 does not match and the
 * transfer fails for good, every byte thrown away, and the sender is told
 * its file arrived corrupt. (The partial file is opened 'a+': on Linux
 * its positional writes append, so even without the cut the rest of the
 * file would land shifted.)
 *
 * The kernel's short write is injected into FileHandle.prototype.write for
 * one chunk of the download (half of it written, then ENOSPC once, then the
 * disk has room again), real nodes otherwise. Failed on the code under
 * review ('failed', SHA-256 mismatch); passes once the offset moves by
 * `bytesWritten` (or the write loops until all is written) and a resume
 * starts from what the partial file really holds.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { CHUNK_BYTES } from '../../src/files/constants.ts'
import { FileNodes, nextFileEvent } from '../helpers/file-nodes.ts'
import type { FileHandle } from 'node:fs/promises'

const nodes = new FileNodes()
const restore: Array<() => void> = []
after(async () => {
  for (const r of restore) r()
  await nodes.cleanup()
})

type Write = FileHandle['write']

void describe('review 2: a write that half-completed', () => {
  void it('R2-3: a disk that fills up mid-chunk (a short write, then ENOSPC) and frees again still yields the file, not a hash failure', async () => {
    const [alice, bob] = await nodes.pair()
    const source = join(alice.dir.path, 'backup.tar')
    const content = randomBytes(3 * 1024 * 1024)
    await writeFile(source, content)

    // FileHandle's prototype, to stand in for the kernel's pwrite once
    const probe = await open(join(bob.dir.path, 'probe'), 'w')
    const proto = Object.getPrototypeOf(probe) as { write: Write }
    await probe.close()
    const original = proto.write
    restore.push(() => { proto.write = original })
    let phase: 'armed' | 'short' | 'full' | 'done' = 'armed'
    let shortAt = -1
    proto.write = async function (this: FileHandle, ...args: unknown[]) {
      const [buffer, off, length, position] = args as [Uint8Array, number, number, number]
      // a chunk of the download (bob's pull writes whole chunks at their offset), past its first MiB
      if (phase === 'armed' && length === CHUNK_BYTES && typeof position === 'number' && position >= 1024 * 1024) {
        phase = 'short'
        shortAt = position
        // the disk had room for half of it: pwrite returns what it wrote
        return (original as (...a: unknown[]) => Promise<{ bytesWritten: number, buffer: Uint8Array }>).call(this, buffer, off, length / 2, position)
      }
      if (phase === 'short') {
        phase = 'done'
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' })
      }
      return (original as (...a: unknown[]) => Promise<unknown>).apply(this, args)
    } as Write

    const t = await alice.node.services.files.offer(bob.node.peerId, source)
    await nextFileEvent(bob.node.services.files, 'offer', d => d.id === t.id)
    const landed = nextFileEvent(bob.node.services.files, 'file', d => d.id === t.id)
    await bob.node.services.files.accept(t.id)
    const outcome = await landed
    proto.write = original

    assert.equal(phase, 'done', 'the short write and the ENOSPC were injected')
    assert.equal(outcome.status, 'complete', `after a short write at ${shortAt} the download ended ${outcome.status}: ${outcome.reason ?? ''}`)
    assert.deepEqual(await readFile(outcome.path ?? ''), content)
  })
})
