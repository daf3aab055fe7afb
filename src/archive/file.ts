/**
 * The archive on disk. An export never shows a partial archive under its
 * name and never replaces a file: it writes a 0600 temp file
 * `.<name>.<12 hex>.tmp` next to the target, syncs it, hard-links it to the
 * target (link(2) fails if anything is there) and removes the temp name,
 * then syncs the directory. A failure at any step removes the temp file; a
 * SIGKILL may leave it behind (its name says what it is). On a file system
 * without hard links (FAT on a USB stick) the link becomes an exclusive
 * copy (COPYFILE_EXCL: it fails if anything appeared at the target).
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, link, lstat, open, stat, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { pipe } from 'it-pipe'
import { ARCHIVE_FILE_MODE, READ_CHUNK_BYTES } from './constants.ts'
import { ArchiveExistsError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'

/** link(2) errors that mean "this file system has no hard links", not "the target exists" */
const NO_HARD_LINKS: ReadonlySet<unknown> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

function errorCode (err: unknown): unknown {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

function exists (path: string): ArchiveExistsError {
  return new ArchiveExistsError(`${path} already exists: an export never replaces a file (choose another name, or remove it first)`)
}

/**
 * Resolves if an archive can be written at `path`: nothing is there (not
 * even a dangling link: ArchiveExistsError) and its directory exists (the
 * file system's ENOENT otherwise).
 */
export async function checkArchiveTarget (path: string): Promise<void> {
  try {
    await lstat(path)
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') {
      throw err
    }
    await stat(dirname(path))
    return
  }
  throw exists(path)
}

async function writeAll (handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset)
    offset += bytesWritten
  }
}

async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** The temp file's name at `path`, never anything that was there */
async function publish (temp: string, path: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (err) {
    if (errorCode(err) === 'EEXIST') {
      throw exists(path)
    }
    if (!NO_HARD_LINKS.has(errorCode(err))) {
      throw err
    }
    // no hard links (FAT): a copy that fails if anything is at `path` (COPYFILE_EXCL), never a rename over it
    try {
      await copyFile(temp, path, constants.COPYFILE_EXCL)
    } catch (copyErr) {
      if (errorCode(copyErr) === 'EEXIST') {
        throw exists(path)
      }
      throw copyErr
    }
    const copy = await open(path, 'r')
    try {
      await copy.sync()
    } finally {
      await copy.close()
    }
  }
}

/**
 * Writes `chunks` as a new file at `path` (see the top of this file) and
 * resolves with its size. ArchiveExistsError if anything is at `path`,
 * before or at the end; on any failure nothing is left under either name.
 */
export async function writeArchiveFile (path: string, chunks: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<number> {
  await checkArchiveTarget(path)
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', ARCHIVE_FILE_MODE)
  let size = 0
  try {
    // the umask can only narrow the mode; a file system without modes (FAT)
    // refuses chmod, which is harmless: the archive is encrypted
    await handle.chmod(ARCHIVE_FILE_MODE).catch(() => {})
    await pipe(chunks, async source => {
      for await (const chunk of source) {
        options.signal?.throwIfAborted()
        await writeAll(handle, chunk)
        size += chunk.byteLength
      }
    })
    options.signal?.throwIfAborted()
    await handle.sync()
    await handle.close()
    await publish(temp, path)
  } catch (err) {
    await handle.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw err
  }
  await unlink(temp).catch(() => {})
  await syncDir(dir)
  return size
}

async function * readChunks (handle: FileHandle, options: AbortOptions): AsyncGenerator<Uint8Array> {
  for (;;) {
    options.signal?.throwIfAborted()
    const buffer = new Uint8Array(READ_CHUNK_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null)
    if (bytesRead === 0) {
      return
    }
    yield buffer.subarray(0, bytesRead)
  }
}

/** Runs `read` over the bytes of the file at `path`, which stays open until it settles */
export async function readArchiveFile<T> (path: string, read: (chunks: AsyncIterable<Uint8Array>) => Promise<T>, options: AbortOptions = {}): Promise<T> {
  const handle = await open(path, 'r')
  try {
    return await read(readChunks(handle, options))
  } finally {
    await handle.close()
  }
}
