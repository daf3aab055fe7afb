/**
 * HKDF-SHA256 (RFC 5869) and SHA-256 on node:crypto. Pure: no I/O.
 */
import { createHash, hkdfSync } from 'node:crypto'

export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length))
}

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}
