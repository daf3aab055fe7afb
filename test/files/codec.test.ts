/**
 * The /securechat/file/1.0.0 codec: every kind round-trips, at the bounds
 * and in the range protons' uint64 writer gets wrong; our encoding is
 * protons' byte for byte where protons is right; every malformed field is
 * an InvalidFileFrameError (protons' error kept as the cause); an invalid
 * value is a TypeError on encode; a sealed CHUNK of the largest size fits
 * in a frame.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CHUNK_BYTES, MAX_FILE_NAME_BYTES, MAX_FILE_SIZE, REFUSAL_REASONS } from '../../src/files/constants.ts'
import { decodeReplies, decodeReply, decodeRequest, encodeReplies, encodeReply, encodeRequest } from '../../src/files/codec.ts'
import { FileReply, FileRequest } from '../../src/files/pb/files.ts'
import { MAX_FRAME_BYTES } from '../../src/protocol/constants.ts'
import { ProtocolViolationError } from '../../src/protocol/errors.ts'
import { Frame } from '../../src/protocol/pb/securechat.ts'
import { SessionCipher } from '../../src/protocol/session.ts'
import { concat, varint } from '../fuzz/mutations.ts'
import type { ValidReply, ValidRequest } from '../../src/files/codec.ts'

const ID = '0123456789abcdef0123456789abcdef'
const SHA = new Uint8Array(32).fill(0xab)

/** A predicate for assert.throws: InvalidFileFrameError, a protocol violation */
function invalid (message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'InvalidFileFrameError', `${err.name}: ${err.message}`)
    assert.ok(err instanceof ProtocolViolationError)
    if (message != null) assert.match(err.message, message)
    return true
  }
}

/** A raw protobuf field: a varint (left out when 0, as protons does) or bytes (left out when empty) */
function field (number: number, value: number | bigint | Uint8Array | string): Uint8Array {
  if (typeof value === 'string') value = new TextEncoder().encode(value)
  if (value instanceof Uint8Array) {
    return value.byteLength === 0 ? new Uint8Array(0) : concat(varint(number * 8 + 2), varint(value.byteLength), value)
  }
  return BigInt(value) === 0n ? new Uint8Array(0) : concat(varint(number * 8), varint(value))
}

const PB_REQUEST: FileRequest = { kind: FileRequest.Kind.OFFER, id: '', name: '', size: 0n, sha256: new Uint8Array(0), offset: 0n, ok: false }
const PB_REPLY: FileReply = { kind: FileReply.Kind.OK, offset: 0n, data: new Uint8Array(0), reason: '' }

void describe('file codec: round trips', () => {
  const requests: ValidRequest[] = [
    { type: 'offer', id: ID, name: 'a', size: 0, sha256: SHA },
    { type: 'offer', id: ID, name: 'report 2024.pdf', size: 1234567, sha256: SHA },
    { type: 'offer', id: ID, name: 'é'.repeat(127) + 'x', size: MAX_FILE_SIZE, sha256: SHA },
    { type: 'offer', id: ID, name: '👨‍👩‍👧.png', size: 2 ** 31, sha256: SHA },
    { type: 'get', id: ID, offset: 0 },
    { type: 'get', id: ID, offset: 2 ** 32 - 1 },
    { type: 'get', id: ID, offset: MAX_FILE_SIZE },
    { type: 'decline', id: ID },
    { type: 'done', id: ID, ok: true },
    { type: 'done', id: ID, ok: false }
  ]
  const replies: ValidReply[] = [
    { type: 'ok' },
    { type: 'chunk', offset: 0, data: Uint8Array.of(1) },
    { type: 'chunk', offset: 2 ** 31 + 7, data: new Uint8Array(randomBytes(CHUNK_BYTES)) },
    { type: 'chunk', offset: MAX_FILE_SIZE - CHUNK_BYTES, data: new Uint8Array(CHUNK_BYTES) },
    { type: 'end', offset: 0 },
    { type: 'end', offset: 2 ** 32 - 1 },
    { type: 'end', offset: MAX_FILE_SIZE },
    ...REFUSAL_REASONS.map(reason => ({ type: 'refused' as const, reason }))
  ]

  void it('every request kind, at the bounds', () => {
    for (const request of requests) {
      assert.deepEqual(decodeRequest(encodeRequest(request)), request)
    }
  })

  void it('every reply kind, at the bounds', () => {
    for (const reply of replies) {
      assert.deepEqual(decodeReply(encodeReply(reply)), reply)
    }
  })

  void it('our encoding is protons\' byte for byte, for uint64 values it writes correctly', () => {
    const name = 'x.bin'
    assert.deepEqual(encodeRequest({ type: 'offer', id: ID, name, size: 2 ** 31 - 1, sha256: SHA }), FileRequest.encode({ ...PB_REQUEST, id: ID, name, size: 2n ** 31n - 1n, sha256: SHA }))
    assert.deepEqual(encodeRequest({ type: 'offer', id: ID, name, size: 0, sha256: SHA }), FileRequest.encode({ ...PB_REQUEST, id: ID, name, sha256: SHA }))
    assert.deepEqual(encodeRequest({ type: 'get', id: ID, offset: 5 }), FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.GET, id: ID, offset: 5n }))
    assert.deepEqual(encodeRequest({ type: 'decline', id: ID }), FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DECLINE, id: ID }))
    assert.deepEqual(encodeRequest({ type: 'done', id: ID, ok: true }), FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DONE, id: ID, ok: true }))
    assert.deepEqual(encodeRequest({ type: 'done', id: ID, ok: false }), FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DONE, id: ID }))
    const data = new Uint8Array(randomBytes(1000))
    assert.deepEqual(encodeReply({ type: 'ok' }), FileReply.encode(PB_REPLY))
    assert.deepEqual(encodeReply({ type: 'chunk', offset: 300, data }), FileReply.encode({ ...PB_REPLY, kind: FileReply.Kind.CHUNK, offset: 300n, data }))
    assert.deepEqual(encodeReply({ type: 'end', offset: 2 ** 31 - 1 }), FileReply.encode({ ...PB_REPLY, kind: FileReply.Kind.END, offset: 2n ** 31n - 1n }))
    assert.deepEqual(encodeReply({ type: 'refused', reason: 'too-large' }), FileReply.encode({ ...PB_REPLY, kind: FileReply.Kind.REFUSED, reason: 'too-large' }))
  })

  void it('sizes and offsets in [2^31, 2^32) and up to 2^53-1 are their exact varints (protons-runtime 7.1.2 writes these wrong)', () => {
    for (const n of [2 ** 31, 2 ** 31 + 1, 3_000_000_000, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, MAX_FILE_SIZE]) {
      assert.deepEqual(encodeReply({ type: 'end', offset: n }), concat(Uint8Array.of(0x08, 0x02), varint(0x10), varint(n)))
      assert.deepEqual(encodeRequest({ type: 'get', id: ID, offset: n }), concat(Uint8Array.of(0x08, 0x01), field(2, ID), varint(0x30), varint(n)))
      assert.equal(FileRequest.decode(encodeRequest({ type: 'offer', id: ID, name: 'n', size: n, sha256: SHA })).size, BigInt(n))
    }
  })

  void it('a decoded chunk\'s data is a view of the frame, the offer\'s hash a copy', () => {
    const bytes = encodeReply({ type: 'chunk', offset: 1, data: Uint8Array.of(1, 2, 3) })
    const chunk = decodeReply(bytes)
    assert.equal(chunk.type, 'chunk')
    assert.equal(chunk.data.buffer, bytes.buffer)
    const offer = encodeRequest({ type: 'offer', id: ID, name: 'n', size: 1, sha256: SHA })
    const decoded = decodeRequest(offer)
    assert.equal(decoded.type, 'offer')
    assert.notEqual(decoded.sha256.buffer, offer.buffer)
  })

  void it('encodeReplies and decodeReplies are the codec as pipeline stages', async () => {
    const out: ValidReply[] = []
    for await (const reply of decodeReplies(encodeReplies(replies))) out.push(reply)
    assert.deepEqual(out, replies)
  })

  void it('the largest CHUNK at the largest offset, sealed at the last counter, fits in MAX_FRAME_BYTES', () => {
    const key = new Uint8Array(32)
    const cipher = new SessionCipher({ role: 'initiator', sendKey: key, recvKey: new Uint8Array(32) })
    const plaintext = encodeReply({ type: 'chunk', offset: MAX_FILE_SIZE - CHUNK_BYTES, data: new Uint8Array(CHUNK_BYTES) })
    const sealed = cipher.seal(plaintext)
    // the last counter a session uses is 2^32 - 1; 2^32 has as long a varint and is clear of protons' bad range
    const frame = Frame.encode({ counter: 2n ** 32n, ciphertext: sealed.ciphertext })
    assert.ok(frame.byteLength <= MAX_FRAME_BYTES, `${frame.byteLength} > ${MAX_FRAME_BYTES}`)
    assert.ok(plaintext.byteLength <= CHUNK_BYTES + 16)
  })
})

void describe('file codec: rejections', () => {
  void it('bytes that are no protobuf message, or an unknown kind: InvalidFileFrameError with protons\' error as the cause', () => {
    // a length-delimited field (request: id; reply: data) of 80 bytes with none after it, a varint that never ends, a wire type protobuf has not, kinds 5 and 127
    const common = [Uint8Array.of(0x08, ...new Array<number>(11).fill(0xff)), Uint8Array.of(0x0f), Uint8Array.of(0x08, 0x05), Uint8Array.of(0x08, 0x7f)]
    for (const bytes of [Uint8Array.of(0x12, 0x50), ...common]) {
      assert.throws(() => decodeRequest(bytes), (err: Error) => invalid(/could not be decoded/)(err) && err.cause instanceof Error)
    }
    for (const bytes of [Uint8Array.of(0x1a, 0x50), ...common]) {
      assert.throws(() => decodeReply(bytes), (err: Error) => invalid(/could not be decoded/)(err) && err.cause instanceof Error)
    }
  })

  void it('requests: every field out of range, or of another kind', () => {
    const offer = (rest: Partial<FileRequest>): Uint8Array => FileRequest.encode({ ...PB_REQUEST, id: ID, name: 'f', size: 10n, sha256: SHA, ...rest })
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['no id', offer({ id: '' }), /id invalid/],
      ['upper-case id', offer({ id: ID.toUpperCase() }), /id invalid/],
      ['short id', offer({ id: ID.slice(2) }), /id invalid/],
      ['long id', offer({ id: ID + '00' }), /id invalid/],
      ['empty name', offer({ name: '' }), /name empty/],
      ['name of 256 bytes', offer({ name: 'x'.repeat(MAX_FILE_NAME_BYTES + 1) }), /name too long/],
      ['name of 128 two-byte characters', offer({ name: 'é'.repeat(128) }), /name too long/],
      ['name of invalid UTF-8 (a lone surrogate)', concat(field(2, ID), field(3, Uint8Array.of(0xed, 0xa0, 0x80)), field(4, 10), field(5, SHA)), /not well-formed/],
      ['size 2^53', concat(field(2, ID), field(3, 'f'), field(4, 2n ** 53n), field(5, SHA)), /size out of range/],
      ['size 2^64-1', concat(field(2, ID), field(3, 'f'), field(4, 2n ** 64n - 1n), field(5, SHA)), /size out of range/],
      ['no sha256', offer({ sha256: new Uint8Array(0) }), /sha256/],
      ['sha256 of 31 bytes', offer({ sha256: SHA.subarray(1) }), /sha256/],
      ['sha256 of 33 bytes', offer({ sha256: new Uint8Array(33) }), /sha256/],
      ['offer with an offset', offer({ offset: 1n }), /another kind/],
      ['offer with ok', offer({ ok: true }), /another kind/],
      ['get offset 2^53', concat(field(1, 1), field(2, ID), field(6, 2n ** 53n)), /offset out of range/],
      ['get with a name', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.GET, id: ID, name: 'f' }), /another kind/],
      ['get with a size', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.GET, id: ID, size: 1n }), /another kind/],
      ['get with a sha256', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.GET, id: ID, sha256: SHA }), /another kind/],
      ['get with ok', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.GET, id: ID, ok: true }), /another kind/],
      ['decline with an offset', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DECLINE, id: ID, offset: 3n }), /another kind/],
      ['decline with ok', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DECLINE, id: ID, ok: true }), /another kind/],
      ['decline with no id', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DECLINE }), /id invalid/],
      ['done with a sha256', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DONE, id: ID, ok: true, sha256: SHA }), /another kind/],
      ['done with an offset', FileRequest.encode({ ...PB_REQUEST, kind: FileRequest.Kind.DONE, id: ID, offset: 1n }), /another kind/]
    ]
    for (const [what, bytes, message] of cases) {
      assert.throws(() => decodeRequest(bytes), invalid(message), what)
    }
  })

  void it('replies: every field out of range, or of another kind', () => {
    const reply = (rest: Partial<FileReply>): Uint8Array => FileReply.encode({ ...PB_REPLY, ...rest })
    const { CHUNK, END, OK, REFUSED } = FileReply.Kind
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['ok with an offset', reply({ kind: OK, offset: 1n }), /another kind/],
      ['ok with data', reply({ kind: OK, data: Uint8Array.of(1) }), /another kind/],
      ['ok with a reason', reply({ kind: OK, reason: 'busy' }), /another kind/],
      ['empty chunk', reply({ kind: CHUNK, offset: 5n }), /chunk empty/],
      ['chunk over CHUNK_BYTES', reply({ kind: CHUNK, data: new Uint8Array(CHUNK_BYTES + 1) }), /chunk data/],
      ['chunk offset 2^53', concat(field(1, 1), field(2, 2n ** 53n), field(3, Uint8Array.of(1))), /offset out of range/],
      ['chunk ending past 2^53-1', concat(field(1, 1), field(2, MAX_FILE_SIZE), field(3, Uint8Array.of(1))), /past the largest file size/],
      ['chunk with a reason', reply({ kind: CHUNK, data: Uint8Array.of(1), reason: 'busy' }), /another kind/],
      ['end offset 2^64-1', concat(field(1, 2), field(2, 2n ** 64n - 1n)), /offset out of range/],
      ['end with data', reply({ kind: END, offset: 1n, data: Uint8Array.of(1) }), /another kind/],
      ['end with a reason', reply({ kind: END, reason: 'busy' }), /another kind/],
      ['refused with no reason', reply({ kind: REFUSED }), /reason unknown/],
      ['refused with an unknown reason', reply({ kind: REFUSED, reason: 'nope' }), /reason unknown/],
      ['refused with a reason in capitals', reply({ kind: REFUSED, reason: 'BUSY' }), /reason unknown/],
      ['refused with an offset', reply({ kind: REFUSED, reason: 'busy', offset: 1n }), /another kind/],
      ['refused with data', reply({ kind: REFUSED, reason: 'busy', data: Uint8Array.of(1) }), /another kind/]
    ]
    for (const [what, bytes, message] of cases) {
      assert.throws(() => decodeReply(bytes), invalid(message), what)
    }
  })

  void it('a field repeated: the last one counts, as protobuf says, and is validated', () => {
    const good = encodeRequest({ type: 'get', id: ID, offset: 7 })
    assert.deepEqual(decodeRequest(concat(good, field(6, 9))), { type: 'get', id: ID, offset: 9 })
    assert.throws(() => decodeRequest(concat(good, field(6, 2n ** 60n))), invalid(/offset out of range/))
    assert.throws(() => decodeRequest(concat(good, field(2, 'nope'))), invalid(/id invalid/))
  })

  void it('encoding an invalid value is a TypeError (a programmer mistake), not a frame on the wire', () => {
    const requests = [
      { type: 'offer', id: ID, name: '', size: 1, sha256: SHA },
      { type: 'offer', id: ID, name: 'x'.repeat(256), size: 1, sha256: SHA },
      { type: 'offer', id: ID, name: '\ud800', size: 1, sha256: SHA },
      { type: 'offer', id: ID, name: 'f', size: -1, sha256: SHA },
      { type: 'offer', id: ID, name: 'f', size: 1.5, sha256: SHA },
      { type: 'offer', id: ID, name: 'f', size: 2 ** 53, sha256: SHA },
      { type: 'offer', id: ID, name: 'f', size: 1, sha256: SHA.subarray(1) },
      { type: 'get', id: 'ABC', offset: 0 },
      { type: 'get', id: ID, offset: Number.NaN },
      { type: 'done', id: ID, ok: 1 },
      { type: 'nope', id: ID }
    ] as unknown as ValidRequest[]
    for (const request of requests) {
      assert.throws(() => encodeRequest(request), TypeError, JSON.stringify(request))
    }
    const replies = [
      { type: 'chunk', offset: 0, data: new Uint8Array(0) },
      { type: 'chunk', offset: 0, data: new Uint8Array(CHUNK_BYTES + 1) },
      { type: 'chunk', offset: MAX_FILE_SIZE, data: Uint8Array.of(1) },
      { type: 'chunk', offset: -1, data: Uint8Array.of(1) },
      { type: 'end', offset: 2 ** 53 },
      { type: 'refused', reason: 'because' },
      { type: 'nope' }
    ] as unknown as ValidReply[]
    for (const reply of replies) {
      assert.throws(() => encodeReply(reply), TypeError, JSON.stringify(reply))
    }
  })
})
