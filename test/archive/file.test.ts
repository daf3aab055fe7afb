/**
 * The archive on disk: written whole or not at all, never over anything
 * already there, private to the user; no temp file left after a failure,
 * an abort, or a target that appeared meanwhile.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkArchiveTarget, readArchiveFile, writeArchiveFile } from '../../src/archive/index.ts'
import { tempDir } from '../helpers/tmp.ts'
import { iterate } from './helpers.ts'

const CHUNKS = [new Uint8Array([1, 2, 3]), new Uint8Array(100_000).fill(7), new Uint8Array([9])]

async function * failing (after: number, error: Error): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < after; i++) {
    yield new Uint8Array(1000)
  }
  throw error
}

void describe('archive file', () => {
  void it('writes the chunks as a 0600 file, syncs and names it; no temp file remains; reads back in chunks', async (t) => {
    const dir = await tempDir(t, 'securechat-archive-')
    const path = join(dir, 'backup.sca')
    assert.equal(await writeArchiveFile(path, iterate(CHUNKS)), 100_004)
    assert.deepEqual(await readdir(dir), ['backup.sca'])
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.deepEqual(new Uint8Array(await readFile(path)), new Uint8Array(Buffer.concat(CHUNKS)))

    const read = await readArchiveFile(path, async chunks => {
      const all: Uint8Array[] = []
      for await (const chunk of chunks) {
        all.push(chunk)
      }
      return all
    })
    assert.ok(read.length > 1 && read.every(c => c.byteLength <= 64 * 1024))
    assert.deepEqual(new Uint8Array(Buffer.concat(read)), new Uint8Array(Buffer.concat(CHUNKS)))
  })

  void it('refuses a target that exists (a file, a directory, a dangling link) before writing, and leaves it alone', async (t) => {
    const dir = await tempDir(t, 'securechat-archive-')
    await writeFile(join(dir, 'file'), 'keep me')
    await mkdir(join(dir, 'dir'))
    await symlink(join(dir, 'nowhere'), join(dir, 'link'))
    for (const name of ['file', 'dir', 'link']) {
      await assert.rejects(checkArchiveTarget(join(dir, name)), { name: 'ArchiveExistsError' })
      await assert.rejects(writeArchiveFile(join(dir, name), iterate(CHUNKS)), { name: 'ArchiveExistsError', message: /already exists: an export never replaces a file/ })
    }
    assert.deepEqual((await readdir(dir)).sort(), ['dir', 'file', 'link'])
    assert.equal(await readFile(join(dir, 'file'), 'utf8'), 'keep me')
    await assert.rejects(checkArchiveTarget(join(dir, 'missing', 'backup.sca')), { code: 'ENOENT' })
    await checkArchiveTarget(join(dir, 'new.sca'))
  })

  void it('a target that appears while writing is not replaced: ArchiveExistsError, the temp file removed', async (t) => {
    const dir = await tempDir(t, 'securechat-archive-')
    const path = join(dir, 'backup.sca')
    async function * racing (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10)
      await writeFile(path, 'someone else')
      yield new Uint8Array(10)
    }
    await assert.rejects(writeArchiveFile(path, racing()), { name: 'ArchiveExistsError' })
    assert.deepEqual(await readdir(dir), ['backup.sca'])
    assert.equal(await readFile(path, 'utf8'), 'someone else')
  })

  void it('a source that fails, or an abort, leaves no file at all', async (t) => {
    const dir = await tempDir(t, 'securechat-archive-')
    const path = join(dir, 'backup.sca')
    await assert.rejects(writeArchiveFile(path, failing(5, new Error('boom'))), { message: 'boom' })
    assert.deepEqual(await readdir(dir), [])

    const controller = new AbortController()
    async function * aborting (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10)
      controller.abort()
      yield new Uint8Array(10)
    }
    await assert.rejects(writeArchiveFile(path, aborting(), { signal: controller.signal }), { name: 'AbortError' })
    assert.deepEqual(await readdir(dir), [])
  })
})
