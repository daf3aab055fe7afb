/**
 * DISCOVER cookies, pure: where in a namespace the previous page ended,
 * sealed so the server keeps no state per cookie and a client can neither
 * forge one nor use it for another namespace.
 *
 * A cookie is COOKIE_BYTES: version (1), position (8, big-endian: the
 * sequence number of the last registration returned), tag (16: HMAC-SHA256
 * under a key of the server's, over the version, the position and the
 * namespace, truncated). The key is new each time the server starts, and so
 * are its sequence numbers: a cookie from before a restart does not verify
 * (E_INVALID_COOKIE), so it cannot skip registrations made since. Opaque to
 * the client, which hands it back as it got it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { COOKIE_BYTES } from './constants.ts'

const VERSION = 1
const POSITION_BYTES = 8
const TAG_BYTES = COOKIE_BYTES - 1 - POSITION_BYTES
/** what the tag is for, so the key could never sign anything else by mistake */
const CONTEXT = uint8ArrayFromString('securechat rendezvous cookie')

export class Cookies {
  private readonly key: Uint8Array

  constructor (key: Uint8Array = randomBytes(32)) {
    this.key = key
  }

  /** The cookie that resumes `namespace` after `position` */
  seal (namespace: string, position: number): Uint8Array<ArrayBuffer> {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new TypeError('cookie position must be a non-negative safe integer')
    }

    const cookie = new Uint8Array(COOKIE_BYTES)
    cookie[0] = VERSION
    new DataView(cookie.buffer).setBigUint64(1, BigInt(position))
    cookie.set(this.tag(cookie.subarray(0, 1 + POSITION_BYTES), namespace), 1 + POSITION_BYTES)
    return cookie
  }

  /** The position `cookie` resumes `namespace` after, or undefined if it is not a cookie of ours for that namespace */
  open (namespace: string, cookie: Uint8Array): number | undefined {
    if (cookie.byteLength !== COOKIE_BYTES || cookie[0] !== VERSION) {
      return undefined
    }

    const expected = this.tag(cookie.subarray(0, 1 + POSITION_BYTES), namespace)

    if (!timingSafeEqual(expected, cookie.subarray(1 + POSITION_BYTES))) {
      return undefined
    }

    const position = new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).getBigUint64(1)
    return position <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(position) : undefined
  }

  private tag (header: Uint8Array, namespace: string): Uint8Array {
    return createHmac('sha256', this.key)
      .update(CONTEXT)
      .update(header)
      .update(uint8ArrayFromString(namespace))
      .digest()
      .subarray(0, TAG_BYTES)
  }
}
