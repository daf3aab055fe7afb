/**
 * The backup archive (securechat export / import): everything a store holds
 * (its records(), restored by its restore()) in one file, encrypted and
 * authenticated under a passphrase. The format is docs/PROTOCOL.md,
 * "Archive format": a header (header.ts), then frames (frames.ts, STREAM over
 * AES-256-GCM) whose plaintext is the length-prefixed records (stream.ts,
 * records.ts). Both directions are it-pipe pipelines over async iterables:
 *
 *   export  records -> encode -> cut into frames -> seal -> file (file.ts)
 *   import  file -> header, passphrase checked -> open frames -> decode -> records
 *
 * Errors a caller can see, by `err.name`: ArchiveCorruptError,
 * ArchiveTruncatedError, UnsupportedArchiveError, ArchiveExistsError
 * (errors.ts: import them from there, which loads nothing else),
 * WrongPassphraseError (the store's), TypeError for bad arguments,
 * AbortError, and the file system's own (ENOENT, EACCES, ...).
 */
import { randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { pipe } from 'it-pipe'
import { scryptParamsValid } from '../crypto/passphrase-kdf.ts'
import { WrongPassphraseError } from '../store/errors.ts'
import { DEFAULT_SCRYPT_PARAMS, SCRYPT_BOUNDS } from '../store/keyfile.ts'
import { HEADER_LENGTH, SALT_LENGTH } from './constants.ts'
import { openFrames, sealFrames, toFramePlaintexts } from './frames.ts'
import { decodeHeader, encodeHeader } from './header.ts'
import { deriveArchiveKeys, keyCheckMatches } from './key.ts'
import { ByteReader } from './reader.ts'
import { decodeRecords, encodeRecords } from './stream.ts'
import type { ArchiveHeader } from './header.ts'
import type { ScryptParams } from '../crypto/passphrase-kdf.ts'
import type { StoreRecord } from '../store/index.ts'
import type { AbortOptions } from '@libp2p/interface'

export { checkArchiveTarget, readArchiveFile, writeArchiveFile } from './file.ts'

export interface SealOptions extends AbortOptions {
  /** scrypt cost; default the key file's (N = 2^17, r = 8, p = 1). Only tests lower it */
  params?: ScryptParams
  /** plaintext bytes per frame, 1 to 64 KiB; default 64 KiB. Tests lower it to get many frames */
  frameSize?: number
}

/** What the header of an archive says, read without the passphrase */
export interface ArchiveInfo {
  version: number
  params: ScryptParams
}

function assertPassphrase (passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new TypeError('an archive needs a non-empty passphrase')
  }
}

/**
 * The archive of `records` under `passphrase`: the bytes to write, in
 * order (the header, then one chunk per frame). TypeError for a record the
 * store would not hold, or records out of the store's order.
 */
export async function * sealArchive (records: AsyncIterable<StoreRecord>, passphrase: string, options: SealOptions = {}): AsyncGenerator<Uint8Array> {
  assertPassphrase(passphrase)
  const params = options.params ?? DEFAULT_SCRYPT_PARAMS
  if (!scryptParamsValid(params, SCRYPT_BOUNDS)) {
    throw new TypeError('scrypt parameters out of bounds')
  }
  const salt = new Uint8Array(randomBytes(SALT_LENGTH))
  const { frameKey, keyCheck } = await deriveArchiveKeys(passphrase, salt, params, options)
  const header = encodeHeader(params, salt, keyCheck)
  yield header
  yield * pipe(records, encodeRecords, toFramePlaintexts(options.frameSize), sealFrames(frameKey, header))
}

/**
 * Reads the header of the archive in `source`: UnsupportedArchiveError,
 * ArchiveTruncatedError or ArchiveCorruptError when it is not a readable
 * one. Needs no passphrase and reads nothing past the header.
 */
export async function readArchiveHeader (source: AsyncIterable<Uint8Array>): Promise<ArchiveInfo> {
  const reader = new ByteReader(source)
  try {
    const { version, params } = decodeHeader(await reader.read(HEADER_LENGTH))
    return { version, params }
  } finally {
    await reader.close()
  }
}

/** Reads the header and derives the frame key: WrongPassphraseError unless the key check matches */
async function unlock (reader: ByteReader, passphrase: string, options: AbortOptions): Promise<{ header: ArchiveHeader, frameKey: KeyObject }> {
  assertPassphrase(passphrase)
  const header = decodeHeader(await reader.read(HEADER_LENGTH))
  const { frameKey, keyCheck } = await deriveArchiveKeys(passphrase, header.salt, header.params, options)
  if (!keyCheckMatches(keyCheck, header.keyCheck)) {
    throw new WrongPassphraseError('wrong passphrase: it does not open this archive')
  }
  return { header, frameKey }
}

/**
 * Resolves if `passphrase` opens the archive in `source`: the header's
 * errors (readArchiveHeader), else WrongPassphraseError. Reads the header
 * only; runs scrypt, so a prompt can retry freely.
 */
export async function checkArchivePassphrase (source: AsyncIterable<Uint8Array>, passphrase: string, options: AbortOptions = {}): Promise<void> {
  const reader = new ByteReader(source)
  try {
    await unlock(reader, passphrase, options)
  } finally {
    await reader.close()
  }
}

/**
 * Reads the header of the archive in `source` and checks `passphrase`
 * against its key check (checkArchivePassphrase's errors) before any frame
 * is read. Resolves with the archive's records: each is yielded once its
 * frame authenticated and it is valid, the last ones only once the archive
 * is known to end there; iterating rejects with ArchiveCorruptError or
 * ArchiveTruncatedError at the first problem. Iterate to the end (or
 * return()) to release the source.
 */
export async function openArchive (source: AsyncIterable<Uint8Array>, passphrase: string, options: AbortOptions = {}): Promise<AsyncGenerator<StoreRecord>> {
  const reader = new ByteReader(source)
  let unlocked
  try {
    unlocked = await unlock(reader, passphrase, options)
  } catch (err) {
    await reader.close()
    throw err
  }
  const { header, frameKey } = unlocked
  return (async function * () {
    try {
      yield * pipe(openFrames(reader, frameKey, header.bytes, options), plaintexts => decodeRecords(plaintexts, header.version))
    } finally {
      await reader.close()
    }
  })()
}
