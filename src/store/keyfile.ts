/**
 * The data-key file `<dataDir>/securechat.key`: a small versioned JSON
 * document holding the 32-byte data key, either raw (`kdf: "none"`: protects
 * copies of the database, not a stolen disk) or wrapped with AES-256-GCM
 * under a key derived from a passphrase by scrypt (`kdf: "scrypt"`).
 *
 *   {"format":"securechat-key","version":1,"kdf":"none","key":"<b64 32>"}
 *   {"format":"securechat-key","version":1,"kdf":"scrypt","n":131072,"r":8,"p":1,
 *    "salt":"<b64 16>","nonce":"<b64 12>","wrapped":"<b64 32 + 16 tag>"}
 *
 * Decoding is strict: exact fields, canonical base64, exact lengths, bounded
 * scrypt cost. The KDF itself is crypto/passphrase-kdf.ts (the backup
 * archive uses it too). Errors never carry key material or the passphrase.
 * Key buffers are zeroed after use (best effort: JS strings cannot be).
 * Reading and writing the file: keyfile-io.ts.
 */
import { randomBytes } from 'node:crypto'
import { open as openSealed, seal } from '../crypto/aead.ts'
import { derivePassphraseKey, scryptParamsValid } from '../crypto/passphrase-kdf.ts'
import type { ScryptBounds, ScryptParams } from '../crypto/passphrase-kdf.ts'
import {
  DATA_KEY_LENGTH, KEY_FILE_FORMAT, KEY_FILE_VERSION, NONCE_LENGTH, SALT_LENGTH, SCRYPT_MAX_MEMORY, SCRYPT_MAX_P, SCRYPT_MAX_WORK, SCRYPT_MIN_N, SCRYPT_N, SCRYPT_P, SCRYPT_R, TAG_LENGTH
} from './constants.ts'
import { CorruptKeyFileError, WrongPassphraseError } from './errors.ts'

export type { ScryptParams } from '../crypto/passphrase-kdf.ts'

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P })

/** The scrypt cost a reader accepts (the backup archive takes the same) */
export const SCRYPT_BOUNDS: Readonly<ScryptBounds> = Object.freeze({ minN: SCRYPT_MIN_N, maxP: SCRYPT_MAX_P, maxMemory: SCRYPT_MAX_MEMORY, maxWork: SCRYPT_MAX_WORK })

const RAW_FIELDS = ['format', 'version', 'kdf', 'key']
const SCRYPT_FIELDS = ['format', 'version', 'kdf', 'n', 'r', 'p', 'salt', 'nonce', 'wrapped']
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

const encoder = new TextEncoder()

function assertPassphrase (passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new TypeError('passphrase must be a non-empty string')
  }
}

/** Binds the KDF parameters to the wrapped key */
function wrapAad (params: ScryptParams): Uint8Array {
  return encoder.encode(`${KEY_FILE_FORMAT}/${KEY_FILE_VERSION}/scrypt/${params.N}/${params.r}/${params.p}`)
}

function toBase64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Canonical base64 of exactly `length` bytes, or undefined */
function fromBase64 (value: unknown, length: number): Uint8Array | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) {
    return undefined
  }
  const bytes = Buffer.from(value, 'base64')
  try {
    if (bytes.length !== length || bytes.toString('base64') !== value) {
      return undefined
    }
    return new Uint8Array(bytes)
  } finally {
    bytes.fill(0)
  }
}

/** Serialises `dataKey`, wrapped under `passphrase` if one is given */
export async function encodeKeyFile (dataKey: Uint8Array, passphrase?: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<Uint8Array> {
  if (dataKey.length !== DATA_KEY_LENGTH) {
    throw new TypeError(`data key must be ${DATA_KEY_LENGTH} bytes`)
  }
  if (passphrase === undefined) {
    return encoder.encode(JSON.stringify({ format: KEY_FILE_FORMAT, version: KEY_FILE_VERSION, kdf: 'none', key: toBase64(dataKey) }) + '\n')
  }
  assertPassphrase(passphrase)
  if (!scryptParamsValid(params, SCRYPT_BOUNDS)) {
    throw new TypeError('scrypt parameters out of bounds')
  }
  const salt = randomBytes(SALT_LENGTH)
  const nonce = randomBytes(NONCE_LENGTH)
  const wrappingKey = await derivePassphraseKey(passphrase, salt, params)
  try {
    const wrapped = seal(wrappingKey, nonce, dataKey, wrapAad(params))
    return encoder.encode(JSON.stringify({
      format: KEY_FILE_FORMAT,
      version: KEY_FILE_VERSION,
      kdf: 'scrypt',
      n: params.N,
      r: params.r,
      p: params.p,
      salt: toBase64(salt),
      nonce: toBase64(nonce),
      wrapped: toBase64(wrapped)
    }) + '\n')
  } finally {
    wrappingKey.fill(0)
  }
}

function hasExactly (value: Record<string, unknown>, fields: readonly string[]): boolean {
  const keys = Object.keys(value)
  return keys.length === fields.length && fields.every(field => Object.hasOwn(value, field))
}

/** A key file, validated but not unwrapped */
export type ParsedKeyFile =
  | { kdf: 'none', key: Uint8Array }
  | { kdf: 'scrypt', params: ScryptParams, salt: Uint8Array, nonce: Uint8Array, wrapped: Uint8Array }

/**
 * Parses and validates a key file without unwrapping it (no passphrase, no
 * scrypt): tells an unprotected file (whose `key` the caller zeroes) from a
 * protected one. Throws CorruptKeyFileError if the file is malformed.
 */
export function parseKeyFile (bytes: Uint8Array): ParsedKeyFile {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new CorruptKeyFileError('key file is not valid JSON', { cause: err })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptKeyFileError('key file is not a JSON object')
  }
  const file = value as Record<string, unknown>
  if (file.format !== KEY_FILE_FORMAT) {
    throw new CorruptKeyFileError('key file has an unknown format')
  }
  if (file.version !== KEY_FILE_VERSION) {
    throw new CorruptKeyFileError('key file has an unsupported version')
  }

  if (file.kdf === 'none') {
    if (!hasExactly(file, RAW_FIELDS)) {
      throw new CorruptKeyFileError('key file has missing or unknown fields')
    }
    const key = fromBase64(file.key, DATA_KEY_LENGTH)
    if (key === undefined) {
      throw new CorruptKeyFileError('key file has an invalid key field')
    }
    return { kdf: 'none', key }
  }

  if (file.kdf !== 'scrypt') {
    throw new CorruptKeyFileError('key file has an unknown kdf')
  }
  if (!hasExactly(file, SCRYPT_FIELDS)) {
    throw new CorruptKeyFileError('key file has missing or unknown fields')
  }
  const params = { N: file.n, r: file.r, p: file.p }
  if (typeof params.N !== 'number' || typeof params.r !== 'number' || typeof params.p !== 'number' ||
    !scryptParamsValid(params as ScryptParams, SCRYPT_BOUNDS)) {
    throw new CorruptKeyFileError('key file has invalid scrypt parameters')
  }
  const salt = fromBase64(file.salt, SALT_LENGTH)
  const nonce = fromBase64(file.nonce, NONCE_LENGTH)
  const wrapped = fromBase64(file.wrapped, DATA_KEY_LENGTH + TAG_LENGTH)
  if (salt === undefined || nonce === undefined || wrapped === undefined) {
    throw new CorruptKeyFileError('key file has an invalid salt, nonce or wrapped key')
  }
  return { kdf: 'scrypt', params: params as ScryptParams, salt, nonce, wrapped }
}

/**
 * Parses and validates a key file and returns the data key. Throws
 * CorruptKeyFileError if the file is malformed, WrongPassphraseError if the
 * passphrase does not unwrap the key (or is missing, or given for an
 * unprotected file). A wrapped key that was tampered with is
 * indistinguishable from a wrong passphrase.
 */
export async function decodeKeyFile (bytes: Uint8Array, passphrase?: string): Promise<Uint8Array> {
  if (passphrase !== undefined) {
    assertPassphrase(passphrase)
  }
  const file = parseKeyFile(bytes)

  if (file.kdf === 'none') {
    if (passphrase !== undefined) {
      file.key.fill(0)
      throw new WrongPassphraseError('a passphrase was given but the key file is not protected by one')
    }
    return file.key
  }
  if (passphrase === undefined) {
    throw new WrongPassphraseError('the key file is protected by a passphrase and none was given')
  }

  const wrappingKey = await derivePassphraseKey(passphrase, file.salt, file.params)
  let key: Uint8Array | undefined
  try {
    key = openSealed(wrappingKey, file.nonce, file.wrapped, wrapAad(file.params))
  } finally {
    wrappingKey.fill(0)
  }
  if (key === undefined) {
    throw new WrongPassphraseError('wrong passphrase: the data key could not be unwrapped')
  }
  return key
}
