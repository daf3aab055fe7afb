/**
 * A damaged or tampered archive is refused with the right typed error:
 * every single-byte flip, every cut, frames swapped, repeated, dropped,
 * appended or taken from another archive. Records already read are always
 * a prefix of the real ones: nothing from a frame that failed is yielded.
 *
 * scrypt costs 60 ms at the lowest cost, so the flips and cuts past the
 * header go through the frame and record stages with the archive's key
 * (derived once), exactly as openArchive composes them; the header's go
 * through openArchive itself (refused before scrypt runs), and a sample of
 * the frames' too.
 */
import assert from 'node:assert/strict'
import type { KeyObject } from 'node:crypto'
import { before, describe, it } from 'node:test'
import { pipe } from 'it-pipe'
import { openFrames } from '../../src/archive/frames.ts'
import { deriveArchiveKeys } from '../../src/archive/key.ts'
import { ByteReader } from '../../src/archive/reader.ts'
import { decodeRecords } from '../../src/archive/stream.ts'
import { FAST, HEADER, PASSPHRASE, chunked, concat, frames, open, sampleRecords, seal } from './helpers.ts'
import type { Frame } from './helpers.ts'
import type { StoreRecord } from '../../src/store/index.ts'

const CORRUPT = 'ArchiveCorruptError'
const TRUNCATED = 'ArchiveTruncatedError'
const UNSUPPORTED = 'UnsupportedArchiveError'
const MAX_FRAME_LENGTH = 64 * 1024 + 16

let records: StoreRecord[]
let archive: Uint8Array
let key: KeyObject
let layout: Frame[]

/** The records of `bytes` (whose header must be `archive`'s) read with the archive's key, and how it ended */
async function openWithKey (bytes: Uint8Array): Promise<{ read: StoreRecord[], error?: Error }> {
  const read: StoreRecord[] = []
  try {
    const reader = new ByteReader(chunked(bytes.subarray(HEADER), 61))
    for await (const record of pipe(openFrames(reader, key, bytes.subarray(0, HEADER)), decodeRecords)) {
      read.push(record)
    }
    return { read }
  } catch (err) {
    return { read, error: err as Error }
  }
}

/** `bytes` refused with `name`, after yielding only a prefix of the real records */
async function refused (bytes: Uint8Array, name: string, what: string): Promise<void> {
  const { read, error } = await openWithKey(bytes)
  assert.equal(error?.name, name, `${what}: ${error?.name ?? 'no error'} ${error?.message ?? ''}`)
  assert.deepEqual(read, records.slice(0, read.length), `${what}: only real records, in order`)
}

function flipped (bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice()
  copy[at] = (copy[at] as number) ^ mask
  return copy
}

function frameBytes (frame: Frame, from = archive): Uint8Array {
  return from.subarray(frame.start, frame.end)
}

/** What a flip of the length prefix of the frame starting at `start` must give */
function lengthFlipError (bytes: Uint8Array, start: number): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(start)
  if (length < 16 || length > MAX_FRAME_LENGTH) {
    return CORRUPT
  }
  return start + 4 + length > bytes.byteLength ? TRUNCATED : CORRUPT
}

void describe('a tampered or truncated archive', () => {
  before(async () => {
    // the identity, a contact, a room without key or members and a message each way: every kind of record, kept small (every byte is flipped)
    records = (await sampleRecords()).records.filter((_, i) => [0, 1, 4, 5, 6].includes(i))
    assert.deepEqual(records.map(r => r.type), ['identity', 'peer', 'room', 'message', 'message'])
    archive = await seal(records, { frameSize: 64 })
    layout = frames(archive)
    key = (await deriveArchiveKeys(PASSPHRASE, archive.subarray(31, 47), FAST)).frameKey
  })

  void it('(the unmodified archive opens both ways, so every refusal below is the change\'s)', async () => {
    assert.ok(layout.length >= 8, `${layout.length} frames`)
    assert.deepEqual(await openWithKey(archive), { read: records })
    assert.deepEqual(await open(archive), records)
  })

  void it('every bit flip in the header: magic and version UnsupportedArchiveError, the rest ArchiveCorruptError, before scrypt', async () => {
    // an aborted signal stops the key derivation before scrypt: a header refused first never gets there
    const signal = AbortSignal.abort()
    await assert.rejects(open(archive, PASSPHRASE, { signal }), { name: 'AbortError' })
    for (let at = 0; at < HEADER; at++) {
      for (const mask of [0x01, 0x80]) {
        // a version flipped to another one this securechat reads (3 ^ 1 = 2) is caught by the checksum
        const version = at === 18 ? (archive[18] as number) ^ mask : undefined
        const name = at < 18 || (version !== undefined && (version < 1 || version > 3)) ? UNSUPPORTED : CORRUPT
        await assert.rejects(open(flipped(archive, at, mask), PASSPHRASE, { signal }), { name }, `byte ${at} ^ ${mask}`)
      }
    }
  })

  void it('every byte flipped in the frames: ArchiveCorruptError; a length pointing past the end ArchiveTruncatedError', async () => {
    const expected: Record<string, number> = { [CORRUPT]: 0, [TRUNCATED]: 0 }
    for (const frame of layout) {
      for (let at = frame.start; at < frame.end; at++) {
        // in a length, both its low and its high bit: too long, past the end, or too short
        for (const mask of at < frame.start + 4 ? [0x01, 0x80] : [0x01]) {
          const bytes = flipped(archive, at, mask)
          const name = at < frame.start + 4 ? lengthFlipError(bytes, frame.start) : CORRUPT
          expected[name] = (expected[name] ?? 0) + 1
          await refused(bytes, name, `byte ${at} ^ ${mask} (frame at ${frame.start})`)
        }
      }
    }
    assert.ok((expected[TRUNCATED] ?? 0) > 0 && (expected[CORRUPT] ?? 0) > (expected[TRUNCATED] ?? 0), JSON.stringify(expected))
  })

  void it('through openArchive too: the first byte of a length, a ciphertext and a tag, in the first, a middle and the last frame', async () => {
    for (const frame of [layout[0], layout[3], layout.at(-1)] as Frame[]) {
      for (const at of [frame.start, frame.start + 4, frame.end - 16]) {
        const bytes = flipped(archive, at)
        await assert.rejects(open(bytes), { name: at < frame.start + 4 ? lengthFlipError(bytes, frame.start) : CORRUPT }, `byte ${at}`)
      }
    }
  })

  void it('cut anywhere: ArchiveTruncatedError, in the header, at every frame boundary and inside every frame', async () => {
    for (let length = 0; length < HEADER; length++) {
      await assert.rejects(open(archive.subarray(0, length)), { name: TRUNCATED }, `cut at ${length}`)
    }
    // at the boundary, inside the length, after it, at the first and the middle of the ciphertext, inside the tag
    const cuts = layout.flatMap(({ start, end }) => [start, start + 1, start + 3, start + 4, start + 5, (start + end) >> 1, end - 16, end - 1])
    for (const length of cuts) {
      await refused(archive.subarray(0, length), TRUNCATED, `cut at ${length}`)
    }
    for (const frame of layout.slice(0, -1)) {
      const { error } = await openWithKey(archive.subarray(0, frame.end))
      assert.match(error?.message ?? '', /ends after frame \d+ without its last frame/)
    }
    await assert.rejects(open(archive.subarray(0, (layout[3] as Frame).end)), { name: TRUNCATED })
  })

  void it('frames swapped, repeated or dropped: ArchiveCorruptError; the last one dropped: ArchiveTruncatedError', async () => {
    const parts = layout.map(frame => frameBytes(frame))
    const header = archive.subarray(0, HEADER)
    const rebuilt = (list: Uint8Array[]): Uint8Array => concat(header, ...list)
    assert.deepEqual(await openWithKey(rebuilt(parts)), { read: records })

    for (let i = 0; i + 1 < parts.length; i++) {
      const swapped = [...parts]
      ;[swapped[i], swapped[i + 1]] = [parts[i + 1] as Uint8Array, parts[i] as Uint8Array]
      await refused(rebuilt(swapped), CORRUPT, `frames ${i} and ${i + 1} swapped`)
      await refused(rebuilt([...parts.slice(0, i + 1), parts[i] as Uint8Array, ...parts.slice(i + 1)]), CORRUPT, `frame ${i} twice`)
      await refused(rebuilt([...parts.slice(0, i), ...parts.slice(i + 1)]), CORRUPT, `frame ${i} dropped`)
    }
    await refused(rebuilt(parts.slice(0, -1)), TRUNCATED, 'last frame dropped')
    await refused(rebuilt([...parts, parts.at(-1) as Uint8Array]), CORRUPT, 'last frame twice')
    await refused(rebuilt([...parts.slice(0, -1), parts.at(-2) as Uint8Array]), CORRUPT, 'last frame replaced by the one before')
  })

  void it('bytes after the last frame: ArchiveCorruptError', async () => {
    for (const tail of [new Uint8Array(1), new Uint8Array(4), new Uint8Array([0, 0, 0, 16, ...new Uint8Array(16)]), frameBytes(layout[0] as Frame)]) {
      const { read, error } = await openWithKey(concat(archive, tail))
      assert.equal(error?.name, CORRUPT)
      assert.match(error.message, /data follows its last frame/)
      // the records of the last frame are held back until the end is known
      assert.ok(read.length < records.length)
    }
  })

  void it('frames or a header from another archive under the same passphrase: ArchiveCorruptError', async () => {
    const other = await seal(records, { frameSize: 64 })
    const otherLayout = frames(other)
    const spliced = concat(archive.subarray(0, (layout[2] as Frame).start), other.subarray((otherLayout[2] as Frame).start))
    await refused(spliced, CORRUPT, 'frames 2.. from another archive')
    // its header opens with the passphrase (its own key check), then our frames fail under its key
    await assert.rejects(open(concat(other.subarray(0, HEADER), archive.subarray(HEADER))), { name: CORRUPT })
  })

  void it('a length over the frame bound is refused before anything is read or allocated', async () => {
    const huge = archive.slice(0, HEADER + 4)
    new DataView(huge.buffer).setUint32(HEADER, 0xffffffff)
    const { error } = await openWithKey(huge)
    assert.equal(error?.name, CORRUPT)
    assert.match(error.message, /frame 1 has an invalid length/)
  })
})
