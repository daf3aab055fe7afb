/**
 * HKDF-SHA256 (RFC 5869) and SHA-256 on node:crypto. Pure: no I/O.
 */
import { createHash, hkdfSync } from 'node:crypto'

/** `info` is bytes, or a string taken as its UTF-8 bytes (our labels are strings) */
export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, typeof info === 'string' ? Buffer.from(info, 'utf8') : info, length))
}

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}
