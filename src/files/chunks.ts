/**
 * The file bytes of a transfer as pipeline stages over async iterables,
 * pure of crypto and stream I/O: the sender's `readChunks` (read the file
 * from an offset, cut it into CHUNK replies, END) and the receiver's
 * `verifyChunks` (chunks in order, within the size, END exactly at it).
 * The service puts them between the codec and the session cipher:
 *
 *   sender:   readChunks | encodeReplies | seal | frame
 *   receiver: frames | open | decodeReplies | verifyChunks | write
 *
 * Both are pulled, never pushed: nothing is read from the file before the
 * stage after it asks, so a slow receiver slows the reads (flow control).
 */
import { constants, open } from 'node:fs/promises'
import { pipe } from 'it-pipe'
import { CHUNK_BYTES, MAX_FILE_SIZE } from './constants.ts'
import { ChunkOffsetError, ChunkOverrunError, EarlyEndError, FileChangedError, MissingEndError, TransferRefusedError, UnexpectedReplyError } from './errors.ts'
import type { ChunkReply, EndReply, ValidReply } from './codec.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { FileHandle } from 'node:fs/promises'

export interface ChunkRange {
  /** the first byte: 0..size */
  offset: number
  /** the file's size as offered, 0..MAX_FILE_SIZE */
  size: number
}

/** The file as it was offered: what its handle's fstat must still show */
export interface FileIdentity {
  ino: number
  /** ms, floored */
  mtime: number
  /** ms, floored: user space cannot set it back */
  ctime: number
}

export interface ReadChunksOptions extends ChunkRange, AbortOptions {
  /** refuse (FileChangedError) a file that is not this one any more */
  identity?: FileIdentity
}

/** TypeError unless 0 <= offset <= size <= MAX_FILE_SIZE, all integers: the service checks a GET's offset first */
function checkRange ({ offset, size }: ChunkRange): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_SIZE) {
    throw new TypeError(`file size ${size} out of range`)
  }

  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new TypeError(`offset ${offset} out of range 0..${size}`)
  }
}

function isGone (err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * The bytes of `path` from `offset` to `size`, in pieces of CHUNK_BYTES
 * (the last one shorter), each a buffer of its own. FileChangedError if the
 * file is gone, not a regular file, or not `size` bytes long: at the start,
 * while it is read (a read that finds the end too soon) or at the end (a
 * byte past `size`). A change that keeps the size is the receiver's hash
 * check's to find.
 */
async function * readBytes (path: string, { offset, size, signal, identity }: ReadChunksOptions): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted()
  let handle: FileHandle

  try {
    // a link put in the file's place is not followed
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    if (isGone(err) || (err as NodeJS.ErrnoException).code === 'ELOOP') throw new FileChangedError('file gone since it was offered', { cause: err })
    throw err
  }

  try {
    // checked on the handle that is read, so nothing can be swapped in between
    const info = await handle.stat()

    if (!info.isFile()) {
      throw new FileChangedError('file no longer a regular file')
    }

    if (identity !== undefined && (info.ino !== identity.ino || Math.floor(info.mtimeMs) !== identity.mtime || Math.floor(info.ctimeMs) !== identity.ctime)) {
      throw new FileChangedError('file changed since it was offered')
    }

    if (info.size !== size) {
      throw new FileChangedError(info.size < size ? 'file shorter than offered' : 'file longer than offered')
    }

    let position = offset

    while (position < size) {
      signal?.throwIfAborted()
      const length = Math.min(CHUNK_BYTES, size - position)
      const buffer = new Uint8Array(length)
      let filled = 0

      // a read may return less than asked without being at the end: 0 bytes is the end
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled)

        if (bytesRead === 0) {
          throw new FileChangedError('file shorter than offered')
        }

        filled += bytesRead
      }

      position += length
      yield buffer
    }

    signal?.throwIfAborted()
    const { bytesRead } = await handle.read(new Uint8Array(1), 0, 1, size)

    if (bytesRead > 0) {
      throw new FileChangedError('file longer than offered')
    }
  } finally {
    await handle.close()
  }
}

/** Pipeline stage: file bytes from `offset` in, a CHUNK reply per piece out, then END at the offset after the last */
function toReplies (offset: number) {
  return async function * (source: AsyncIterable<Uint8Array>): AsyncGenerator<ChunkReply | EndReply> {
    let position = offset

    for await (const data of source) {
      yield { type: 'chunk', offset: position, data }
      position += data.byteLength
    }

    yield { type: 'end', offset: position }
  }
}

/**
 * The sender's replies to a GET from `offset` of a file offered at `size`:
 * CHUNK replies of at most CHUNK_BYTES, in order, then END at `size`. The
 * file is opened on the first pull and closed when the replies end, fail or
 * the consumer stops. Throws FileChangedError (the service refuses with
 * `changed`), the signal's reason when it aborts, and fs errors (EACCES,
 * EIO) as they are; TypeError at once for an offset or size out of range.
 */
export function readChunks (path: string, options: ReadChunksOptions): AsyncGenerator<ChunkReply | EndReply> {
  checkRange(options)
  return pipe(readBytes(path, options), toReplies(options.offset))
}

async function * verify (replies: AsyncIterable<ValidReply> | Iterable<ValidReply>, { offset, size }: ChunkRange): AsyncGenerator<Uint8Array> {
  let expected = offset

  for await (const reply of replies) {
    switch (reply.type) {
      case 'chunk': {
        if (reply.offset !== expected) {
          throw new ChunkOffsetError(reply.offset < expected
            ? `chunk at ${reply.offset} overlaps the bytes before ${expected}`
            : `chunk at ${reply.offset} leaves a gap after ${expected}`)
        }

        const end = reply.offset + reply.data.byteLength

        if (end > size) {
          throw new ChunkOverrunError(`chunk ends at ${end}, past the file size ${size}`)
        }

        expected = end
        yield reply.data
        break
      }
      case 'end':
        if (expected < size) {
          throw new EarlyEndError(`END after ${expected} of ${size} bytes`)
        }

        if (reply.offset !== size) {
          throw new ChunkOffsetError(`END at ${reply.offset}, not at the file size ${size}`)
        }

        // END is the last reply: what follows is not read
        return
      case 'refused':
        throw new TransferRefusedError(reply.reason)
      default:
        throw new UnexpectedReplyError(`${reply.type} among the chunks`)
    }
  }

  throw new MissingEndError(`replies ended after ${expected} of ${size} bytes`)
}

/**
 * The receiver's check of the replies to its GET from `offset` of a file
 * offered at `size`: yields each chunk's data once it is known to be the
 * next bytes of the file, and ends at an END exactly at `size` (without
 * reading further). Throws ChunkOffsetError (a gap or an overlap, an END
 * at the wrong offset), ChunkOverrunError (past `size`), EarlyEndError (END
 * before `size`), MissingEndError (the replies ended first),
 * TransferRefusedError (REFUSED, with its reason), UnexpectedReplyError (an
 * OK); the data yielded before an error stays valid, so a transfer resumes
 * from the offset it reached. TypeError at once for an offset or size out
 * of range.
 */
export function verifyChunks (replies: AsyncIterable<ValidReply> | Iterable<ValidReply>, range: ChunkRange): AsyncGenerator<Uint8Array> {
  checkRange(range)
  return verify(replies, range)
}
