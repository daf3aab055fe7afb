/**
 * The archive header, HEADER_LENGTH bytes before the first frame:
 *
 *   offset  bytes
 *        0     18  magic "securechat-archive" (ASCII)
 *       18      1  version: 3 (2: before room messages, 1: before room records too; read alike)
 *       19     12  scrypt N, r, p: u32 big-endian each
 *       31     16  salt (random)
 *       47     16  key check: HKDF(scrypt(passphrase, salt), salt, "... key check")
 *       63     16  checksum: the first 16 bytes of SHA-256 over bytes 0-62
 *
 * The whole header is the start of every frame's associated data, so no
 * byte of it can change without every frame failing authentication. The
 * checksum is not a MAC (anyone can recompute it): it tells accidental
 * damage (ArchiveCorruptError) from a wrong passphrase (the key check,
 * WrongPassphraseError); a deliberate change to the salt or the cost with a
 * fresh checksum reads as a wrong passphrase, and is refused all the same.
 * Pure: no I/O.
 */
import { sha256 } from '../crypto/hkdf.ts'
import { scryptParamsValid } from '../crypto/passphrase-kdf.ts'
import { SCRYPT_BOUNDS } from '../store/keyfile.ts'
import { ARCHIVE_MAGIC, ARCHIVE_VERSION, CHECKSUM_LENGTH, HEADER_LENGTH, KEY_CHECK_LENGTH, MIN_ARCHIVE_VERSION, SALT_LENGTH } from './constants.ts'
import { ArchiveCorruptError, ArchiveTruncatedError, UnsupportedArchiveError } from './errors.ts'
import type { ScryptParams } from '../crypto/passphrase-kdf.ts'

export interface ArchiveHeader {
  /** MIN_ARCHIVE_VERSION to ARCHIVE_VERSION */
  version: number
  params: ScryptParams
  salt: Uint8Array
  keyCheck: Uint8Array
  /** the header as written: the prefix of every frame's associated data */
  bytes: Uint8Array
}

const MAGIC = new TextEncoder().encode(ARCHIVE_MAGIC)
const VERSION_OFFSET = MAGIC.byteLength
const PARAMS_OFFSET = VERSION_OFFSET + 1
const SALT_OFFSET = PARAMS_OFFSET + 12
const KEY_CHECK_OFFSET = SALT_OFFSET + SALT_LENGTH
const CHECKSUM_OFFSET = KEY_CHECK_OFFSET + KEY_CHECK_LENGTH

function checksum (bytes: Uint8Array): Uint8Array {
  return sha256(bytes.subarray(0, CHECKSUM_OFFSET)).subarray(0, CHECKSUM_LENGTH)
}

export function encodeHeader (params: ScryptParams, salt: Uint8Array, keyCheck: Uint8Array): Uint8Array {
  if (!scryptParamsValid(params, SCRYPT_BOUNDS)) {
    throw new TypeError('scrypt parameters out of bounds')
  }
  if (salt.byteLength !== SALT_LENGTH || keyCheck.byteLength !== KEY_CHECK_LENGTH) {
    throw new TypeError(`salt and key check must be ${SALT_LENGTH} and ${KEY_CHECK_LENGTH} bytes`)
  }
  const bytes = new Uint8Array(HEADER_LENGTH)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC)
  bytes[VERSION_OFFSET] = ARCHIVE_VERSION
  view.setUint32(PARAMS_OFFSET, params.N)
  view.setUint32(PARAMS_OFFSET + 4, params.r)
  view.setUint32(PARAMS_OFFSET + 8, params.p)
  bytes.set(salt, SALT_OFFSET)
  bytes.set(keyCheck, KEY_CHECK_OFFSET)
  bytes.set(checksum(bytes), CHECKSUM_OFFSET)
  return bytes
}

/**
 * Refuses `bytes` (the start of a file, at most HEADER_LENGTH bytes) unless
 * it could begin an archive of a version this securechat reads:
 * UnsupportedArchiveError when the magic or the version differ, checked
 * first so that any other file is "not an archive", whatever its length.
 */
function checkFormat (bytes: Uint8Array): void {
  const magic = bytes.subarray(0, MAGIC.byteLength)
  if (!magic.every((byte, i) => byte === MAGIC[i])) {
    throw new UnsupportedArchiveError('not a securechat archive')
  }
  const version = bytes[VERSION_OFFSET]
  if (version !== undefined && (version < MIN_ARCHIVE_VERSION || version > ARCHIVE_VERSION)) {
    throw new UnsupportedArchiveError(`archive format version ${version} is not supported (this securechat reads versions ${MIN_ARCHIVE_VERSION} to ${ARCHIVE_VERSION})`)
  }
}

/**
 * Parses the first HEADER_LENGTH bytes of an archive (fewer: the file ended
 * early). Throws UnsupportedArchiveError (magic, version),
 * ArchiveTruncatedError (a file shorter than a header that starts like
 * one), ArchiveCorruptError (checksum, scrypt cost out of bounds).
 */
export function decodeHeader (bytes: Uint8Array): ArchiveHeader {
  checkFormat(bytes)
  if (bytes.byteLength < HEADER_LENGTH) {
    throw new ArchiveTruncatedError(`archive is truncated: it ends inside its header (${bytes.byteLength} of ${HEADER_LENGTH} bytes)`)
  }
  if (bytes.byteLength > HEADER_LENGTH) {
    throw new TypeError(`a header is ${HEADER_LENGTH} bytes`)
  }
  const expected = checksum(bytes)
  if (!expected.every((byte, i) => byte === bytes[CHECKSUM_OFFSET + i])) {
    throw new ArchiveCorruptError('archive header is damaged (checksum mismatch)')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const params = { N: view.getUint32(PARAMS_OFFSET), r: view.getUint32(PARAMS_OFFSET + 4), p: view.getUint32(PARAMS_OFFSET + 8) }
  if (!scryptParamsValid(params, SCRYPT_BOUNDS)) {
    throw new ArchiveCorruptError('archive header has scrypt parameters out of bounds')
  }
  const copy = bytes.slice()
  return {
    version: copy[VERSION_OFFSET] ?? ARCHIVE_VERSION,
    params,
    salt: copy.slice(SALT_OFFSET, KEY_CHECK_OFFSET),
    keyCheck: copy.slice(KEY_CHECK_OFFSET, CHECKSUM_OFFSET),
    bytes: copy
  }
}
