/**
 * A file transfer as the store holds it (src/files): the one check of a
 * StoredTransfer, which putTransfer() and this decoder share, and the
 * plaintext of its record, both ways. Pure. Problems name the field, never
 * its contents.
 *
 * The plaintext is JSON with the name and the path as base64url of their
 * UTF-8, padded (like every record) as if both were the longest allowed, so
 * that a record's size shows nothing of the file's name or where it is.
 */
import { isKeyPart } from './keys.ts'
import { isRecord, padded, parseJson, unknownField } from './records.ts'
import type { StoredTransfer, TransferState } from './index.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** A file name as offered: at most 255 UTF-8 bytes (what file systems take) */
export const MAX_TRANSFER_NAME_BYTES = 255
/** A path on this machine: the sender's source, the receiver's download */
export const MAX_TRANSFER_PATH_BYTES = 4096

const TRANSFER_ID = /^[0-9a-f]{32}$/
const SHA256 = /^[0-9a-f]{64}$/
const STATES: ReadonlySet<unknown> = new Set<TransferState>(['offered', 'accepted', 'complete', 'failed', 'declined'])
const FIELDS = ['id', 'peer', 'direction', 'name', 'size', 'sha256', 'state', 'path', 'offset', 'ino', 'mtime', 'ctime', 'delivered', 'request', 'createdAt', 'updatedAt'] as const

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isText (value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && value.isWellFormed() && encoder.encode(value).length <= max
}

export function isTransferId (value: unknown): value is string {
  return typeof value === 'string' && TRANSFER_ID.test(value)
}

/** Why `value` is not a StoredTransfer the store would hold; `undefined` if it is */
export function transferProblem (value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object'
  if (!isTransferId(value.id)) return 'bad id'
  if (!isKeyPart(value.peer) || value.peer.startsWith('#')) return 'bad peer'
  if (value.direction !== 'in' && value.direction !== 'out') return 'bad direction'
  if (!isText(value.name, MAX_TRANSFER_NAME_BYTES)) return 'bad name'
  if (!isCount(value.size)) return 'bad size'
  if (typeof value.sha256 !== 'string' || !SHA256.test(value.sha256)) return 'bad sha256'
  if (!STATES.has(value.state)) return 'bad state'
  if (value.path !== undefined && !isText(value.path, MAX_TRANSFER_PATH_BYTES)) return 'bad path'
  if (value.direction === 'out' && value.path === undefined) return 'an outgoing transfer without its path'
  if (!isCount(value.offset) || value.offset > value.size) return 'bad offset'
  for (const field of ['ino', 'mtime', 'ctime'] as const) {
    if (value[field] !== undefined && (!isCount(value[field]) || value.direction !== 'out')) return `bad ${field}`
  }
  if (value.delivered !== undefined && (value.delivered !== true || value.direction !== 'out')) return 'bad delivered'
  if (value.request !== undefined && (value.request !== true || value.direction !== 'in')) return 'bad request'
  if (!isCount(value.createdAt) || !isCount(value.updatedAt) || value.createdAt > value.updatedAt) return 'bad createdAt/updatedAt'
  return undefined
}

/** A copy holding only the StoredTransfer fields */
export function pickTransfer (t: StoredTransfer): StoredTransfer {
  const copy: StoredTransfer = {
    id: t.id,
    peer: t.peer,
    direction: t.direction,
    name: t.name,
    size: t.size,
    sha256: t.sha256,
    state: t.state,
    offset: t.offset,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt
  }
  if (t.path !== undefined) copy.path = t.path
  if (t.ino !== undefined) copy.ino = t.ino
  if (t.mtime !== undefined) copy.mtime = t.mtime
  if (t.ctime !== undefined) copy.ctime = t.ctime
  if (t.delivered === true) copy.delivered = true
  if (t.request === true) copy.request = true
  return copy
}

function base64url (text: string): string {
  return Buffer.from(encoder.encode(text)).toString('base64url')
}

function textFromBase64url (value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const bytes = Buffer.from(value, 'base64url')
  if (bytes.toString('base64url') !== value) return undefined
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

function toJson (t: StoredTransfer): string {
  return JSON.stringify({ ...pickTransfer(t), name: base64url(t.name), ...(t.path === undefined ? {} : { path: base64url(t.path) }) })
}

/** JSON bytes of the largest transfer record */
const RESERVE = encoder.encode(toJson({
  id: '0'.repeat(32),
  peer: 'x'.repeat(64),
  direction: 'out',
  name: 'x'.repeat(MAX_TRANSFER_NAME_BYTES),
  size: Number.MAX_SAFE_INTEGER,
  sha256: '0'.repeat(64),
  state: 'accepted',
  path: 'x'.repeat(MAX_TRANSFER_PATH_BYTES),
  offset: Number.MAX_SAFE_INTEGER,
  ino: Number.MAX_SAFE_INTEGER,
  mtime: Number.MAX_SAFE_INTEGER,
  ctime: Number.MAX_SAFE_INTEGER,
  delivered: true,
  createdAt: Number.MAX_SAFE_INTEGER,
  updatedAt: Number.MAX_SAFE_INTEGER
})).length

export function encodeTransfer (t: StoredTransfer): Uint8Array {
  return padded(toJson(pickTransfer(t)), RESERVE)
}

/** Throws Error (to be wrapped as corrupt) unless `bytes` is a valid stored transfer */
export function decodeTransfer (bytes: Uint8Array): StoredTransfer {
  const value = parseJson(bytes)
  let problem = !isRecord(value) || unknownField(value, FIELDS) !== undefined ? 'not a transfer record' : undefined
  let t: unknown
  if (problem === undefined && isRecord(value)) {
    const name = textFromBase64url(value.name)
    const path = value.path === undefined ? undefined : textFromBase64url(value.path)
    t = { ...value, name, ...(value.path === undefined ? {} : { path }) }
    if (value.path !== undefined && path === undefined) problem = 'bad path'
    problem ??= transferProblem(t)
  }
  if (problem !== undefined) {
    throw new Error(`stored transfer invalid: ${problem}`)
  }
  return pickTransfer(t as StoredTransfer)
}
