/**
 * Encoding and validation of the /securechat/file/1.0.0 messages inside a
 * Frame, pure: a FileRequest (the opener's one message) and a FileReply (the
 * answers) to and from typed values. Every field that came from the network
 * is checked before anything else sees it; anything malformed is an
 * InvalidFileFrameError. Encoding an invalid value is a programmer mistake,
 * a TypeError: the same rules hold on both sides of the wire.
 */
import { FileReply, FileRequest } from './pb/files.ts'
import { CHUNK_BYTES, FILE_HASH_BYTES, MAX_FILE_NAME_BYTES, MAX_FILE_SIZE, REFUSAL_REASONS, TRANSFER_ID_BYTES } from './constants.ts'
import { InvalidFileFrameError } from './errors.ts'
import type { RefusalReason } from './constants.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The sender offers a file; the receiver answers OK (it will GET) or REFUSED */
export interface OfferRequest {
  type: 'offer'
  /** the transfer id, TRANSFER_ID_BYTES as lower-case hex */
  id: string
  /** as the sender names it, 1..MAX_FILE_NAME_BYTES of UTF-8: not yet safe to use as a path */
  name: string
  /** bytes, 0..MAX_FILE_SIZE */
  size: number
  /** SHA-256 of the whole file, FILE_HASH_BYTES */
  sha256: Uint8Array
}

/** The receiver asks for the file from `offset` on; the sender answers CHUNK... END, or REFUSED */
export interface GetRequest {
  type: 'get'
  id: string
  /** 0..MAX_FILE_SIZE (the service checks it against the offer's size) */
  offset: number
}

/**
 * On a GET's stream, after it: the receiver has taken every byte before
 * `offset`, so the sender may send up to `offset` + FILE_WINDOW_BYTES
 */
export interface MoreRequest {
  type: 'more'
  id: string
  /** 0..MAX_FILE_SIZE (the service checks it against what it sent) */
  offset: number
}

/** The receiver declines the offer */
export interface DeclineRequest {
  type: 'decline'
  id: string
}

/** The receiver has every byte; `ok` says whether they hashed to the offer's sha256 */
export interface DoneRequest {
  type: 'done'
  id: string
  ok: boolean
}

export type ValidRequest = OfferRequest | GetRequest | DeclineRequest | DoneRequest | MoreRequest

export interface OkReply {
  type: 'ok'
}

/** File bytes at `offset`; on decode, `data` is a view into the decoded bytes, not a copy */
export interface ChunkReply {
  type: 'chunk'
  offset: number
  /** 1..CHUNK_BYTES, and offset + its length is at most MAX_FILE_SIZE */
  data: Uint8Array
}

/** The last reply to a GET: `offset` is the file size */
export interface EndReply {
  type: 'end'
  offset: number
}

export interface RefusedReply {
  type: 'refused'
  reason: RefusalReason
}

export type ValidReply = OkReply | ChunkReply | EndReply | RefusedReply

const TRANSFER_ID = new RegExp(`^[0-9a-f]{${TRANSFER_ID_BYTES * 2}}$`)
const REASONS: ReadonlySet<string> = new Set(REFUSAL_REASONS)

/** The wire values of the enums of files.proto (protons' generated enums are strings) */
const REQUEST_KIND = { offer: 0, get: 1, decline: 2, done: 3, more: 4 } as const
const REPLY_KIND = { ok: 0, chunk: 1, end: 2, refused: 3 } as const

const utf8 = new TextEncoder()

function isOffset (n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0
}

function isBytes (b: unknown, min: number, max: number): b is Uint8Array {
  return b instanceof Uint8Array && b.byteLength >= min && b.byteLength <= max
}

/** Why `request` breaks docs/PROTOCOL.md, or undefined */
function requestProblem (request: ValidRequest): string | undefined {
  if (typeof request.id !== 'string' || !TRANSFER_ID.test(request.id)) {
    return 'id invalid'
  }

  switch (request.type) {
    case 'offer': {
      if (typeof request.name !== 'string' || request.name === '') return 'name empty'
      // protons reads a string leniently (lone surrogates from bad UTF-8): refuse what has no UTF-8 encoding of its own
      if (!request.name.isWellFormed()) return 'name not well-formed'
      if (Buffer.byteLength(request.name, 'utf8') > MAX_FILE_NAME_BYTES) return 'name too long'
      if (!isOffset(request.size)) return 'size out of range'
      if (!isBytes(request.sha256, FILE_HASH_BYTES, FILE_HASH_BYTES)) return 'sha256 not 32 bytes'
      return undefined
    }
    case 'get':
    case 'more':
      return isOffset(request.offset) ? undefined : 'offset out of range'
    case 'decline':
      return undefined
    case 'done':
      return typeof request.ok === 'boolean' ? undefined : 'ok not a boolean'
    default:
      return 'type unknown'
  }
}

/** Why `reply` breaks docs/PROTOCOL.md, or undefined */
function replyProblem (reply: ValidReply): string | undefined {
  switch (reply.type) {
    case 'ok':
      return undefined
    case 'chunk':
      if (!isOffset(reply.offset)) return 'offset out of range'
      if (!isBytes(reply.data, 0, CHUNK_BYTES)) return 'chunk data not 1..CHUNK_BYTES bytes'
      if (reply.data.byteLength === 0) return 'chunk empty'
      if (reply.offset + reply.data.byteLength > MAX_FILE_SIZE) return 'chunk ends past the largest file size'
      return undefined
    case 'end':
      return isOffset(reply.offset) ? undefined : 'offset out of range'
    case 'refused':
      return REASONS.has(reply.reason) ? undefined : 'reason unknown'
    default:
      return 'type unknown'
  }
}

/** One field of a message: a varint (an enum, a bool, a uint64 up to MAX_FILE_SIZE) or length-delimited bytes */
type Field = readonly [number: number, value: number | Uint8Array]

function varintLength (n: number): number {
  let length = 1

  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    length++
  }

  return length
}

function writeVarint (out: Uint8Array, pos: number, n: number): number {
  // arithmetic, not bit operations: exact for every safe integer, where `>>>` would cut at 2^32
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }

  out[pos++] = n
  return pos
}

/**
 * A message of `fields`, given in field-number order, written as protons
 * would write it: proto3 defaults (0, false, empty) left out. Written here
 * rather than by protons: protons-runtime's uint64 writer (7.1.2) emits a
 * broken varint, 4 of its bytes uninitialised memory, for values in
 * [2^31, 2^32) (see src/protocol/envelope.ts), and a size or an offset
 * lands there in every file over 2 GiB. One allocation, one copy of a
 * chunk's data.
 */
function encodeFields (fields: readonly Field[]): Uint8Array {
  let length = 0

  for (const [number, value] of fields) {
    if (typeof value === 'number') {
      if (value !== 0) length += varintLength(number << 3) + varintLength(value)
    } else if (value.byteLength > 0) {
      length += varintLength((number << 3) | 2) + varintLength(value.byteLength) + value.byteLength
    }
  }

  const out = new Uint8Array(length)
  let pos = 0

  for (const [number, value] of fields) {
    if (typeof value === 'number') {
      if (value === 0) continue
      pos = writeVarint(out, pos, number << 3)
      pos = writeVarint(out, pos, value)
    } else if (value.byteLength > 0) {
      pos = writeVarint(out, pos, (number << 3) | 2)
      pos = writeVarint(out, pos, value.byteLength)
      out.set(value, pos)
      pos += value.byteLength
    }
  }

  return out
}

export function encodeRequest (request: ValidRequest): Uint8Array {
  const problem = requestProblem(request)

  if (problem != null) {
    throw new TypeError(`cannot encode file request: ${problem}`)
  }

  const id = utf8.encode(request.id)

  switch (request.type) {
    case 'offer':
      return encodeFields([[1, REQUEST_KIND.offer], [2, id], [3, utf8.encode(request.name)], [4, request.size], [5, request.sha256]])
    case 'get':
    case 'more':
      return encodeFields([[1, REQUEST_KIND[request.type]], [2, id], [6, request.offset]])
    case 'decline':
      return encodeFields([[1, REQUEST_KIND.decline], [2, id]])
    case 'done':
      return encodeFields([[1, REQUEST_KIND.done], [2, id], [7, request.ok ? 1 : 0]])
  }
}

export function encodeReply (reply: ValidReply): Uint8Array {
  const problem = replyProblem(reply)

  if (problem != null) {
    throw new TypeError(`cannot encode file reply: ${problem}`)
  }

  switch (reply.type) {
    case 'ok':
      return encodeFields([[1, REPLY_KIND.ok]])
    case 'chunk':
      return encodeFields([[1, REPLY_KIND.chunk], [2, reply.offset], [3, reply.data]])
    case 'end':
      return encodeFields([[1, REPLY_KIND.end], [2, reply.offset]])
    case 'refused':
      return encodeFields([[1, REPLY_KIND.refused], [4, utf8.encode(reply.reason)]])
  }
}

/** A uint64 from the wire as a number, or InvalidFileFrameError past MAX_FILE_SIZE */
function safeNumber (value: bigint, what: string): number {
  if (value < 0n || value > BigInt(MAX_FILE_SIZE)) {
    throw new InvalidFileFrameError(`${what} out of range`)
  }

  return Number(value)
}

/** The typed value of a decoded FileRequest; InvalidFileFrameError for a field its kind does not have */
function requestOf (pb: FileRequest): ValidRequest {
  const { id } = pb

  switch (pb.kind) {
    case FileRequest.Kind.OFFER:
      if (pb.offset !== 0n || pb.ok) throw new InvalidFileFrameError('offer carries fields of another kind')
      // a copy: 32 bytes, kept with the transfer, need not hold the whole frame
      return { type: 'offer', id, name: pb.name, size: safeNumber(pb.size, 'offer size'), sha256: pb.sha256.slice() }
    case FileRequest.Kind.GET:
      if (pb.name !== '' || pb.size !== 0n || pb.sha256.byteLength !== 0 || pb.ok) throw new InvalidFileFrameError('get carries fields of another kind')
      return { type: 'get', id, offset: safeNumber(pb.offset, 'get offset') }
    case FileRequest.Kind.MORE:
      if (pb.name !== '' || pb.size !== 0n || pb.sha256.byteLength !== 0 || pb.ok) throw new InvalidFileFrameError('more carries fields of another kind')
      return { type: 'more', id, offset: safeNumber(pb.offset, 'more offset') }
    case FileRequest.Kind.DECLINE:
      if (pb.name !== '' || pb.size !== 0n || pb.sha256.byteLength !== 0 || pb.offset !== 0n || pb.ok) throw new InvalidFileFrameError('decline carries fields of another kind')
      return { type: 'decline', id }
    case FileRequest.Kind.DONE:
      if (pb.name !== '' || pb.size !== 0n || pb.sha256.byteLength !== 0 || pb.offset !== 0n) throw new InvalidFileFrameError('done carries fields of another kind')
      return { type: 'done', id, ok: pb.ok }
    default:
      throw new InvalidFileFrameError('file request kind unknown')
  }
}

function replyOf (pb: FileReply): ValidReply {
  switch (pb.kind) {
    case FileReply.Kind.OK:
      if (pb.offset !== 0n || pb.data.byteLength !== 0 || pb.reason !== '') throw new InvalidFileFrameError('ok carries fields of another kind')
      return { type: 'ok' }
    case FileReply.Kind.CHUNK:
      if (pb.reason !== '') throw new InvalidFileFrameError('chunk carries fields of another kind')
      return { type: 'chunk', offset: safeNumber(pb.offset, 'chunk offset'), data: pb.data }
    case FileReply.Kind.END:
      if (pb.data.byteLength !== 0 || pb.reason !== '') throw new InvalidFileFrameError('end carries fields of another kind')
      return { type: 'end', offset: safeNumber(pb.offset, 'end offset') }
    case FileReply.Kind.REFUSED:
      if (pb.offset !== 0n || pb.data.byteLength !== 0) throw new InvalidFileFrameError('refused carries fields of another kind')
      // checked by replyProblem right after
      return { type: 'refused', reason: pb.reason as RefusalReason }
    default:
      throw new InvalidFileFrameError('file reply kind unknown')
  }
}

export function decodeRequest (bytes: Uint8Array | Uint8ArrayList): ValidRequest {
  let pb: FileRequest

  try {
    pb = FileRequest.decode(bytes)
  } catch (err) {
    // protons: a RangeError for a truncated field, an Error for an enum value outside Kind
    throw new InvalidFileFrameError('file request could not be decoded', { cause: err })
  }

  const request = requestOf(pb)
  const problem = requestProblem(request)

  if (problem != null) {
    throw new InvalidFileFrameError(`file request ${problem}`)
  }

  return request
}

export function decodeReply (bytes: Uint8Array | Uint8ArrayList): ValidReply {
  let pb: FileReply

  try {
    pb = FileReply.decode(bytes)
  } catch (err) {
    throw new InvalidFileFrameError('file reply could not be decoded', { cause: err })
  }

  const reply = replyOf(pb)
  const problem = replyProblem(reply)

  if (problem != null) {
    throw new InvalidFileFrameError(`file reply ${problem}`)
  }

  return reply
}

/** Pipeline stage: replies in, their encodings out (the service seals each) */
export async function * encodeReplies (source: AsyncIterable<ValidReply> | Iterable<ValidReply>): AsyncGenerator<Uint8Array> {
  for await (const reply of source) {
    yield encodeReply(reply)
  }
}

/** Pipeline stage: opened frames' plaintexts in, replies out; InvalidFileFrameError at the first malformed one */
export async function * decodeReplies (source: AsyncIterable<Uint8Array | Uint8ArrayList> | Iterable<Uint8Array | Uint8ArrayList>): AsyncGenerator<ValidReply> {
  for await (const bytes of source) {
    yield decodeReply(bytes)
  }
}
