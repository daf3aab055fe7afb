/**
 * The frames of an archive: the STREAM construction of Hoang, Reyhanitabar,
 * Rogaway and Vizár ("Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance", CRYPTO 2015) over AES-256-GCM (crypto/aead.ts).
 *
 *   frame     u32 big-endian length of what follows ‖ ciphertext ‖ 16-byte tag
 *   nonce     the frame's index (0, 1, 2, ...) as 12 bytes big-endian
 *   AAD       the archive header ‖ one byte: 1 for the last frame, 0 before it
 *
 * The key is fresh per archive (its salt is random), so a counter nonce is
 * never reused. A frame moved, repeated or dropped is opened under the wrong
 * index and fails; a stream cut at a frame boundary ends in a frame that
 * opens only as "not the last" (ArchiveTruncatedError); bytes after the
 * last frame are ArchiveCorruptError. A reader refuses a length over
 * MAX_FRAME_LENGTH before reading the frame.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { GCM_NONCE_LENGTH, open, seal } from '../crypto/aead.ts'
import { FRAME_LENGTH_BYTES, MAX_FRAME_LENGTH, MAX_FRAME_PLAINTEXT, MIN_FRAME_LENGTH } from './constants.ts'
import { ArchiveCorruptError, ArchiveTruncatedError } from './errors.ts'
import type { AeadKey } from '../crypto/aead.ts'
import type { ByteReader } from './reader.ts'
import type { AbortOptions } from '@libp2p/interface'

/** One frame's plaintext, before sealing */
export interface FramePlaintext {
  bytes: Uint8Array
  /** the last frame of the archive */
  final: boolean
}

export function frameNonce (index: number): Uint8Array {
  const nonce = new Uint8Array(GCM_NONCE_LENGTH)
  new DataView(nonce.buffer).setBigUint64(GCM_NONCE_LENGTH - 8, BigInt(index))
  return nonce
}

function frameAad (header: Uint8Array, final: boolean): Uint8Array {
  const aad = new Uint8Array(header.byteLength + 1)
  aad.set(header)
  aad[header.byteLength] = final ? 1 : 0
  return aad
}

/**
 * Cuts a byte stream into frame plaintexts of exactly `size` bytes, and the
 * rest (1 to `size` bytes; none only for an empty stream) as the last one.
 */
export function toFramePlaintexts (size = MAX_FRAME_PLAINTEXT): (source: AsyncIterable<Uint8Array | Uint8ArrayList>) => AsyncGenerator<FramePlaintext> {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_FRAME_PLAINTEXT) {
    throw new TypeError(`frame size must be 1 to ${MAX_FRAME_PLAINTEXT} bytes`)
  }
  return async function * (source) {
    const buffer = new Uint8ArrayList()
    for await (const chunk of source) {
      buffer.append(chunk)
      while (buffer.byteLength > size) {
        yield { bytes: buffer.subarray(0, size), final: false }
        buffer.consume(size)
      }
    }
    yield { bytes: buffer.subarray(), final: true }
  }
}

/** Seals each frame plaintext under `key`, the header bound in: the frames as written */
export function sealFrames (key: AeadKey, header: Uint8Array): (source: AsyncIterable<FramePlaintext>) => AsyncGenerator<Uint8Array> {
  return async function * (source) {
    let index = 0
    for await (const { bytes, final } of source) {
      const sealed = seal(key, frameNonce(index), bytes, frameAad(header, final))
      const frame = new Uint8Array(FRAME_LENGTH_BYTES + sealed.byteLength)
      new DataView(frame.buffer).setUint32(0, sealed.byteLength)
      frame.set(sealed, FRAME_LENGTH_BYTES)
      yield frame
      index++
    }
  }
}

/**
 * Reads and opens the frames that follow the header in `reader`, yielding
 * each plaintext once it is authenticated (the last one only once the input
 * is known to end there). Throws ArchiveTruncatedError or
 * ArchiveCorruptError; frames are numbered from 1 in messages.
 */
export async function * openFrames (reader: ByteReader, key: AeadKey, header: Uint8Array, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
  for (let index = 0; ; index++) {
    options.signal?.throwIfAborted()
    const number = index + 1
    const prefix = await reader.read(FRAME_LENGTH_BYTES)
    if (prefix.byteLength === 0) {
      throw new ArchiveTruncatedError(`archive is truncated: it ends after frame ${index} without its last frame`)
    }
    if (prefix.byteLength < FRAME_LENGTH_BYTES) {
      throw new ArchiveTruncatedError(`archive is truncated: it ends inside the length of frame ${number}`)
    }
    const length = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(0)
    if (length < MIN_FRAME_LENGTH || length > MAX_FRAME_LENGTH) {
      throw new ArchiveCorruptError(`archive is damaged: frame ${number} has an invalid length`)
    }
    const sealed = await reader.read(length)
    if (sealed.byteLength < length) {
      throw new ArchiveTruncatedError(`archive is truncated: it ends inside frame ${number}`)
    }

    const nonce = frameNonce(index)
    let final = false
    let plaintext = open(key, nonce, sealed, frameAad(header, false))
    if (plaintext === undefined) {
      final = true
      plaintext = open(key, nonce, sealed, frameAad(header, true))
    }
    if (plaintext === undefined) {
      throw new ArchiveCorruptError(`archive is damaged or was tampered with: frame ${number} failed authentication`)
    }
    if (final) {
      if (!await reader.atEnd()) {
        throw new ArchiveCorruptError(`archive is damaged or was tampered with: data follows its last frame (frame ${number})`)
      }
      yield plaintext
      return
    }
    yield plaintext
  }
}
