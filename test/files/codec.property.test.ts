/**
 * Property tests of the /securechat/file/1.0.0 decoders (the house pattern
 * of test/protocol/decoders.property.test.ts): arbitrary bytes, valid
 * encodings mutated (test/fuzz/mutations.ts) and messages with arbitrary
 * fields end in a valid value or in InvalidFileFrameError, never in
 * protons' RangeError or a plain Error; what decodes is valid by the spec
 * and round-trips; and every valid value round-trips.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CHUNK_BYTES, MAX_FILE_NAME_BYTES, MAX_FILE_SIZE, REFUSAL_REASONS } from '../../src/files/constants.ts'
import { decodeReply, decodeRequest, encodeReply, encodeRequest } from '../../src/files/codec.ts'
import { ProtocolViolationError } from '../../src/protocol/errors.ts'
import { concat, mutate, mutations, varint } from '../fuzz/mutations.ts'
import type { ValidReply, ValidRequest } from '../../src/files/codec.ts'
import type { RefusalReason } from '../../src/files/constants.ts'

/** Runs `f`: its value, or undefined after an InvalidFileFrameError; any other throw fails the property */
function attempt<T> (f: () => T): T | undefined {
  try {
    return f()
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`)
    assert.equal(err.name, 'InvalidFileFrameError', `untyped failure ${err.name}: ${err.message}`)
    assert.ok(err instanceof ProtocolViolationError, `${err.name} is not a ProtocolViolationError`)
    return undefined
  }
}

const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })

/** Random protobuf-shaped bytes: fields 0..10 of any wire type, with fitting or lying lengths */
const protobufish: fc.Arbitrary<Uint8Array> = fc.array(fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, v]) => concat(varint(n * 8), varint(v))),
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 3 })).map(([n, v]) => concat(varint(n * 8), varint(v))),
  fc.tuple(fc.integer({ min: 0, max: 10 }), bytes(40)).map(([n, b]) => concat(varint(n * 8 + 2), varint(b.byteLength), b)),
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.nat(1 << 20), bytes(8)).map(([n, len, b]) => concat(varint(n * 8 + 2), varint(len), b)),
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.constantFrom(1, 3, 4, 5, 6, 7), bytes(8)).map(([n, w, b]) => concat(varint(n * 8 + w), b))
), { maxLength: 8 }).map(parts => concat(...parts))

const anyBytes = fc.oneof(bytes(300), protobufish)

const transferId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b => Buffer.from(b).toString('hex'))
const sha256 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const offset = fc.oneof(fc.nat(1 << 20), fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 }), fc.maxSafeNat())
const goodName = fc.oneof(
  fc.constantFrom('a', 'report.pdf', 'José.txt', '李小龙.png', '👨‍👩‍👧', 'x'.repeat(MAX_FILE_NAME_BYTES), '..', ' '),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
).filter(n => n !== '' && Buffer.byteLength(n) <= MAX_FILE_NAME_BYTES)

const validRequest: fc.Arbitrary<ValidRequest> = fc.oneof(
  fc.record({ type: fc.constant('offer' as const), id: transferId, name: goodName, size: offset, sha256 }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('get' as const), id: transferId, offset }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('more' as const), id: transferId, offset }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('decline' as const), id: transferId }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('done' as const), id: transferId, ok: fc.boolean() }, { noNullPrototype: true })
)

const validReply: fc.Arbitrary<ValidReply> = fc.oneof(
  fc.constant({ type: 'ok' as const }),
  fc.record({ type: fc.constant('chunk' as const), offset: fc.oneof(fc.nat(1 << 20), fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 })), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('end' as const), offset }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('refused' as const), reason: fc.constantFrom(...REFUSAL_REASONS) }, { noNullPrototype: true })
)

/** A field as protons writes it: varints left out when 0, bytes when empty */
function field (number: number, value: bigint | Uint8Array | string): Uint8Array {
  if (typeof value === 'string') value = new TextEncoder().encode(value)
  if (value instanceof Uint8Array) {
    return value.byteLength === 0 ? new Uint8Array(0) : concat(varint(number * 8 + 2), varint(value.byteLength), value)
  }
  return value === 0n ? new Uint8Array(0) : concat(varint(number * 8), varint(value))
}

const uint64 = fc.oneof({ arbitrary: fc.constant(0n), weight: 4 }, fc.bigInt({ min: 0n, max: 2n ** 20n }), fc.bigInt({ min: BigInt(MAX_FILE_SIZE) - 2n, max: BigInt(MAX_FILE_SIZE) + 2n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const safe = (v: bigint): boolean => v <= BigInt(MAX_FILE_SIZE)

void describe('FileRequest decoder (property)', () => {
  void it('arbitrary bytes: a valid request that round-trips, or InvalidFileFrameError', () => {
    fc.assert(fc.property(anyBytes, (input) => {
      const got = attempt(() => decodeRequest(input))
      if (got != null) assert.deepEqual(decodeRequest(encodeRequest(got)), got)
    }), { numRuns: 2000 })
  })

  void it('a valid request mutated: InvalidFileFrameError, or a request that passes validation and round-trips', () => {
    let accepted = 0
    fc.assert(fc.property(validRequest, mutations, (request, m) => {
      const got = attempt(() => decodeRequest(mutate(encodeRequest(request), m)))
      if (got != null) {
        accepted++
        assert.deepEqual(decodeRequest(encodeRequest(got)), got)
      }
    }), { numRuns: 2000 })
    assert.ok(accepted > 0, 'no mutation kept a request valid: the generator is too blunt')
  })

  void it('arbitrary fields: valid exactly when the spec says so', () => {
    // weighted towards fields some kind accepts: the rarest valid kind (an offer) then comes
    // about once in 130 runs, 23 times a run (unweighted, a run missed it about once in five)
    const fields = fc.record({
      kind: fc.oneof({ arbitrary: fc.constantFrom(0, 1, 2, 3, 4), weight: 6 }, fc.nat(10)),
      id: fc.oneof({ arbitrary: transferId, weight: 6 }, transferId.map(id => id.toUpperCase()), fc.string({ maxLength: 34 })),
      name: fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: goodName, weight: 3 }, fc.constant('x'.repeat(MAX_FILE_NAME_BYTES + 1))),
      size: uint64,
      sha256: fc.oneof({ arbitrary: fc.constant(new Uint8Array(0)), weight: 3 }, { arbitrary: sha256, weight: 3 }, bytes(40)),
      offset: uint64,
      ok: fc.boolean()
    })
    const seen = new Set<string>()
    fc.assert(fc.property(fields, (f) => {
      const input = concat(field(1, BigInt(f.kind)), field(2, f.id), field(3, f.name), field(4, f.size), field(5, f.sha256), field(6, f.offset), field(7, f.ok ? 1n : 0n))
      const idOk = /^[0-9a-f]{32}$/.test(f.id)
      const none = { name: f.name === '', size: f.size === 0n, sha256: f.sha256.byteLength === 0, offset: f.offset === 0n, ok: !f.ok }
      let expected: ValidRequest | undefined
      if (idOk && f.kind === 0 && none.offset && none.ok && f.name !== '' && Buffer.byteLength(f.name) <= MAX_FILE_NAME_BYTES && safe(f.size) && f.sha256.byteLength === 32) {
        expected = { type: 'offer', id: f.id, name: f.name, size: Number(f.size), sha256: f.sha256 }
      } else if (idOk && (f.kind === 1 || f.kind === 4) && none.name && none.size && none.sha256 && none.ok && safe(f.offset)) {
        expected = { type: f.kind === 1 ? 'get' : 'more', id: f.id, offset: Number(f.offset) }
      } else if (idOk && f.kind === 2 && none.name && none.size && none.sha256 && none.offset && none.ok) {
        expected = { type: 'decline', id: f.id }
      } else if (idOk && f.kind === 3 && none.name && none.size && none.sha256 && none.offset) {
        expected = { type: 'done', id: f.id, ok: f.ok }
      }
      seen.add(expected?.type ?? 'invalid')
      if (expected == null) {
        assert.equal(attempt(() => decodeRequest(input)), undefined)
      } else {
        assert.deepEqual(decodeRequest(input), expected)
        assert.deepEqual(encodeRequest(expected), input)
      }
    }), { numRuns: 3000 })
    assert.deepEqual([...seen].sort(), ['decline', 'done', 'get', 'invalid', 'more', 'offer'])
  })

  void it('round trip: every valid request', () => {
    fc.assert(fc.property(validRequest, (request) => {
      assert.deepEqual(decodeRequest(encodeRequest(request)), request)
    }), { numRuns: 1000 })
  })
})

void describe('FileReply decoder (property)', () => {
  void it('arbitrary bytes: a valid reply that round-trips, or InvalidFileFrameError', () => {
    fc.assert(fc.property(anyBytes, (input) => {
      const got = attempt(() => decodeReply(input))
      if (got != null) assert.deepEqual(decodeReply(encodeReply(got)), got)
    }), { numRuns: 2000 })
  })

  void it('a valid reply mutated: InvalidFileFrameError, or a reply that passes validation and round-trips', () => {
    let accepted = 0
    fc.assert(fc.property(validReply, mutations, (reply, m) => {
      const got = attempt(() => decodeReply(mutate(encodeReply(reply), m)))
      if (got != null) {
        accepted++
        if (got.type === 'chunk') assert.ok(got.data.byteLength >= 1 && got.data.byteLength <= CHUNK_BYTES && got.offset + got.data.byteLength <= MAX_FILE_SIZE)
        assert.deepEqual(decodeReply(encodeReply(got)), got)
      }
    }), { numRuns: 2000 })
    assert.ok(accepted > 0, 'no mutation kept a reply valid: the generator is too blunt')
  })

  void it('arbitrary fields: valid exactly when the spec says so', () => {
    const fields = fc.record({
      kind: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.nat(10)),
      offset: uint64,
      data: fc.oneof(fc.constant(new Uint8Array(0)), bytes(50), fc.constant(new Uint8Array(CHUNK_BYTES)), fc.constant(new Uint8Array(CHUNK_BYTES + 1))),
      reason: fc.oneof(fc.constant(''), fc.constantFrom(...REFUSAL_REASONS), fc.string({ maxLength: 12 }))
    })
    const seen = new Set<string>()
    fc.assert(fc.property(fields, (f) => {
      const input = concat(field(1, BigInt(f.kind)), field(2, f.offset), field(3, f.data), field(4, f.reason))
      const len = f.data.byteLength
      let expected: ValidReply | undefined
      if (f.kind === 0 && f.offset === 0n && len === 0 && f.reason === '') {
        expected = { type: 'ok' }
      } else if (f.kind === 1 && f.reason === '' && len >= 1 && len <= CHUNK_BYTES && f.offset + BigInt(len) <= BigInt(MAX_FILE_SIZE)) {
        expected = { type: 'chunk', offset: Number(f.offset), data: f.data }
      } else if (f.kind === 2 && len === 0 && f.reason === '' && safe(f.offset)) {
        expected = { type: 'end', offset: Number(f.offset) }
      } else if (f.kind === 3 && f.offset === 0n && len === 0 && (REFUSAL_REASONS as readonly string[]).includes(f.reason)) {
        expected = { type: 'refused', reason: f.reason as RefusalReason }
      }
      seen.add(expected?.type ?? 'invalid')
      if (expected == null) {
        assert.equal(attempt(() => decodeReply(input)), undefined)
      } else {
        assert.deepEqual(decodeReply(input), expected)
        assert.deepEqual(encodeReply(expected), input)
      }
    }), { numRuns: 3000 })
    assert.deepEqual([...seen].sort(), ['chunk', 'end', 'invalid', 'ok', 'refused'])
  })

  void it('round trip: every valid reply', () => {
    fc.assert(fc.property(validReply, (reply) => {
      assert.deepEqual(decodeReply(encodeReply(reply)), reply)
    }), { numRuns: 1000 })
  })
})
