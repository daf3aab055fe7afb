/**
 * Unambiguous concatenation for signed and hashed transcripts: every field is
 * written as a 4-byte big-endian length followed by its bytes, so no two
 * different field lists encode to the same bytes. Pure.
 */

export type TranscriptField = Uint8Array | string | bigint

const encoder = new TextEncoder()

function toBytes (field: TranscriptField): Uint8Array {
  if (typeof field === 'string') {
    return encoder.encode(field)
  }

  if (typeof field === 'bigint') {
    if (field < 0n || field >= 2n ** 64n) {
      throw new TypeError('transcript integers must fit in a uint64')
    }

    const out = new Uint8Array(8)
    new DataView(out.buffer).setBigUint64(0, field)
    return out
  }

  return field
}

export function encodeTranscript (fields: TranscriptField[]): Uint8Array {
  const parts = fields.map(toBytes)
  const total = parts.reduce((acc, p) => acc + 4 + p.byteLength, 0)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let offset = 0

  for (const part of parts) {
    view.setUint32(offset, part.byteLength)
    out.set(part, offset + 4)
    offset += 4 + part.byteLength
  }

  return out
}
