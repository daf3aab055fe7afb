/**
 * Mutations of valid encodings for the decoder property tests: byte-level
 * ones (bit flips, truncation, extension, insertion, deletion) and
 * protobuf-aware ones on the top-level fields of the message (fields
 * swapped, duplicated or dropped, a length-delimited field whose length
 * prefix lies, a field whose wire type or number changes). A mutation is
 * data (fast-check prints it when a property fails); `mutate` applies a
 * list of them in order, each to the result of the one before.
 */
import fc from 'fast-check'

/** One top-level protobuf field and its whole encoding (tag, length prefix if any, value) */
export interface Field {
  number: number
  wireType: number
  bytes: Uint8Array
}

export type Mutation =
  | { kind: 'flip', at: number, mask: number }
  | { kind: 'truncate', at: number }
  | { kind: 'extend', bytes: Uint8Array }
  | { kind: 'insert', at: number, bytes: Uint8Array }
  | { kind: 'delete', at: number, length: number }
  | { kind: 'swap', i: number, j: number }
  | { kind: 'duplicate', i: number }
  | { kind: 'drop', i: number }
  | { kind: 'lie', i: number, length: number }
  | { kind: 'retag', i: number, number: number, wireType: number }

export function varint (n: number | bigint): Uint8Array {
  const out: number[] = []
  let v = BigInt(n)

  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }

  out.push(Number(v))
  return Uint8Array.from(out)
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0

  for (const p of parts) {
    out.set(p, offset)
    offset += p.byteLength
  }

  return out
}

function readVarint (bytes: Uint8Array, pos: number): { value: number, end: number } | undefined {
  let value = 0
  let shift = 1

  for (let i = pos; i < bytes.byteLength && i < pos + 8; i++) {
    const b = bytes[i] ?? 0
    value += (b & 0x7f) * shift
    shift *= 128

    if ((b & 0x80) === 0) {
      return { value, end: i + 1 }
    }
  }

  return undefined
}

/** The top-level fields of a protobuf message, or undefined if it does not split cleanly (varints of up to 8 bytes: enough for the encodings we mutate) */
export function splitFields (bytes: Uint8Array): Field[] | undefined {
  const fields: Field[] = []
  let pos = 0

  while (pos < bytes.byteLength) {
    const tag = readVarint(bytes, pos)

    if (tag == null) return undefined

    const wireType = tag.value % 8
    let end: number

    if (wireType === 0) {
      const v = readVarint(bytes, tag.end)
      if (v == null) return undefined
      end = v.end
    } else if (wireType === 1) {
      end = tag.end + 8
    } else if (wireType === 2) {
      const len = readVarint(bytes, tag.end)
      if (len == null) return undefined
      end = len.end + len.value
    } else if (wireType === 5) {
      end = tag.end + 4
    } else {
      return undefined
    }

    if (end > bytes.byteLength) return undefined

    fields.push({ number: Math.floor(tag.value / 8), wireType, bytes: bytes.slice(pos, end) })
    pos = end
  }

  return fields
}

function withFields (bytes: Uint8Array, change: (fields: Field[]) => Uint8Array[] | undefined): Uint8Array {
  const fields = splitFields(bytes)

  if (fields == null || fields.length === 0) {
    // no structure left to work on: leave it to the byte-level mutations
    return bytes
  }

  const parts = change(fields)
  return parts == null ? bytes : concat(...parts)
}

function apply (bytes: Uint8Array, m: Mutation): Uint8Array {
  const len = bytes.byteLength

  switch (m.kind) {
    case 'flip': {
      if (len === 0) return bytes
      const out = bytes.slice()
      out[m.at % len] = (out[m.at % len] ?? 0) ^ m.mask
      return out
    }
    case 'truncate':
      return bytes.slice(0, len === 0 ? 0 : m.at % len)
    case 'extend':
      return concat(bytes, m.bytes)
    case 'insert': {
      const at = m.at % (len + 1)
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at))
    }
    case 'delete': {
      if (len === 0) return bytes
      const at = m.at % len
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length))
    }
    case 'swap':
      return withFields(bytes, fields => {
        const [i, j] = [m.i % fields.length, m.j % fields.length]
        const out = fields.map(f => f.bytes)
        const a = out[i]
        const b = out[j]
        if (a == null || b == null) return undefined
        out[i] = b
        out[j] = a
        return out
      })
    case 'duplicate':
      return withFields(bytes, fields => {
        const i = m.i % fields.length
        return fields.flatMap((f, k) => k === i ? [f.bytes, f.bytes] : [f.bytes])
      })
    case 'drop':
      return withFields(bytes, fields => {
        const i = m.i % fields.length
        return fields.filter((_, k) => k !== i).map(f => f.bytes)
      })
    case 'lie':
      return withFields(bytes, fields => {
        const i = m.i % fields.length
        return fields.map((f, k) => {
          if (k !== i || f.wireType !== 2) return f.bytes
          // the tag stays, the length prefix announces `m.length`, the value bytes stay as they were
          const tag = readVarint(f.bytes, 0)
          const length = tag == null ? undefined : readVarint(f.bytes, tag.end)
          if (tag == null || length == null) return f.bytes
          return concat(f.bytes.subarray(0, tag.end), varint(m.length), f.bytes.subarray(length.end))
        })
      })
    case 'retag':
      return withFields(bytes, fields => {
        const i = m.i % fields.length
        return fields.map((f, k) => {
          const tag = readVarint(f.bytes, 0)
          if (k !== i || tag == null) return f.bytes
          return concat(varint(m.number * 8 + m.wireType), f.bytes.subarray(tag.end))
        })
      })
  }
}

/** `bytes` with each mutation applied in turn */
export function mutate (bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  return mutations.reduce(apply, bytes)
}

const junk = fc.uint8Array({ minLength: 1, maxLength: 24 })

/** One mutation of any kind; indexes are taken modulo the length they apply to */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: junk }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: junk }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), i: fc.nat() }),
  fc.record({
    kind: fc.constant('lie' as const),
    i: fc.nat(),
    // a little off either way, or far past the end (up to 2^53: a 8-byte varint)
    length: fc.oneof(fc.nat(200), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))
  }),
  fc.record({ kind: fc.constant('retag' as const), i: fc.nat(), number: fc.integer({ min: 1, max: 20 }), wireType: fc.integer({ min: 0, max: 7 }) })
)

/** One to four mutations */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 4 })
