/**
 * The archive's keys: scrypt over the passphrase (crypto/passphrase-kdf.ts,
 * the key file's KDF, with the key file's cost and bounds), then HKDF-SHA256
 * with the archive's salt to two independent values: the AES-256-GCM key of
 * the frames and the key check stored in the header. The infos name the
 * format, so neither ever equals a key file's wrapping key, even for the
 * same passphrase, salt and cost.
 */
import { createSecretKey, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { hkdfSha256 } from '../crypto/hkdf.ts'
import { derivePassphraseKey } from '../crypto/passphrase-kdf.ts'
import { FRAME_KEY_INFO, FRAME_KEY_LENGTH, KEY_CHECK_INFO, KEY_CHECK_LENGTH } from './constants.ts'
import type { ScryptParams } from '../crypto/passphrase-kdf.ts'
import type { AbortOptions } from '@libp2p/interface'

export interface ArchiveKeys {
  /** AES-256-GCM key of the frames (a KeyObject: its bytes were zeroed) */
  frameKey: KeyObject
  /** stored in the header */
  keyCheck: Uint8Array
}

export async function deriveArchiveKeys (passphrase: string, salt: Uint8Array, params: ScryptParams, options: AbortOptions = {}): Promise<ArchiveKeys> {
  const secret = await derivePassphraseKey(passphrase, salt, params, options)
  const frameKey = hkdfSha256(secret, salt, FRAME_KEY_INFO, FRAME_KEY_LENGTH)
  try {
    return { frameKey: createSecretKey(frameKey), keyCheck: hkdfSha256(secret, salt, KEY_CHECK_INFO, KEY_CHECK_LENGTH) }
  } finally {
    secret.fill(0)
    frameKey.fill(0)
  }
}

/** Whether the key check derived from a passphrase is the header's */
export function keyCheckMatches (derived: Uint8Array, stored: Uint8Array): boolean {
  return derived.byteLength === stored.byteLength && timingSafeEqual(derived, stored)
}
