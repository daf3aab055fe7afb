/**
 * The varint length prefix of every length-prefixed message we read
 * (/securechat/1.0.0 frames, profiles), decoded with a bound.
 *
 * lpStream (@libp2p/utils) takes a RangeError from its length decoder to
 * mean "the varint has not all arrived yet" and reads one more byte; and
 * uint8-varint, its default decoder, also throws a RangeError for a varint
 * that is too long to decode. So a peer that sent only continuation bytes
 * (0x80 0x80 ...) was read a byte at a time, every byte kept, until the read
 * timed out: about 16 MB of heap a second per stream, for up to twice
 * SESSION_IDLE_TIMEOUT_MS. This decoder refuses the prefix as soon as it is
 * longer than the largest allowed length needs, with libp2p's own
 * InvalidDataLengthLengthError (what lpStream raises for a too-long prefix
 * that does end).
 */
import { InvalidDataLengthLengthError } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Bytes of the unsigned varint of `n` */
function varintLength (n: number): number {
  let bytes = 1

  for (let rest = Math.floor(n / 128); rest > 0; rest = Math.floor(rest / 128)) {
    bytes++
  }

  return bytes
}

/** A `lengthDecoder` for lpStream/pbStream that reads at most the bytes a length up to `maxDataLength` takes */
export function lengthDecoder (maxDataLength: number): (data: Uint8ArrayList) => number {
  const maxLengthLength = varintLength(maxDataLength)

  return (data) => {
    let value = 0

    for (let i = 0; i < data.byteLength; i++) {
      if (i >= maxLengthLength) {
        throw new InvalidDataLengthLengthError(`Message length length too long - more than ${maxLengthLength} bytes`)
      }

      const byte = data.get(i)
      value += (byte & 0x7f) * 2 ** (7 * i)

      if ((byte & 0x80) === 0) {
        return value
      }
    }

    // to lpStream: read one more byte
    throw new RangeError('length prefix incomplete')
  }
}
