/**
 * Fixtures for the archive tests: records with real keys and peer ids, an
 * archive sealed in memory at the cheapest scrypt cost the reader accepts
 * (through the explicit parameter: the default stays the key file's), and
 * its layout, header and frames, as offsets.
 */
import { createHash, randomBytes } from 'node:crypto'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import { sealFrames, toFramePlaintexts } from '../../src/archive/frames.ts'
import { encodeHeader } from '../../src/archive/header.ts'
import { openArchive, sealArchive } from '../../src/archive/index.ts'
import { deriveArchiveKeys } from '../../src/archive/key.ts'
import { ArchiveRecord } from '../../src/archive/pb/archive.ts'
import type { SealOptions } from '../../src/archive/index.ts'
import type { StoreRecord } from '../../src/store/index.ts'
import type { AbortOptions } from '@libp2p/interface'

export const PASSPHRASE = 'correct horse battery staple'
/** The lowest cost the reader accepts (SCRYPT_MIN_N): about 60 ms a derivation */
export const FAST = { N: 2 ** 14, r: 8, p: 1 }
/** The header's size (docs/PROTOCOL.md, "Archive format") */
export const HEADER = 79

export async function newPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

/** A joined room with random id and keys */
export function sampleRoom (fields: Partial<Extract<StoreRecord, { type: 'room' }>['room']> = {}): Extract<StoreRecord, { type: 'room' }> {
  return {
    type: 'room',
    room: {
      id: randomBytes(16).toString('hex'),
      name: 'Ｄｅｍｏ',
      proofKey: new Uint8Array(randomBytes(32)),
      rendezvousKey: new Uint8Array(randomBytes(32)),
      joinedAt: 1_700_000_200_000,
      members: [],
      ...fields
    }
  }
}

/**
 * An identity, a contact with petname and mark, a stranger, two rooms (one
 * with a key and both as members), messages both ways, an undelivered one
 * and a held request
 */
export async function sampleRecords (): Promise<{ records: StoreRecord[], self: string, contact: string, stranger: string }> {
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key).toString()
  const contact = await newPeerId()
  const stranger = await newPeerId()
  const records: StoreRecord[] = [
    { type: 'identity', key: privateKeyToProtobuf(key) },
    { type: 'peer', peer: { peerId: contact, name: 'bob', relation: 'contact', petname: 'Bobby', verified: true, addrs: ['/ip4/192.0.2.1/tcp/4001'], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000 } },
    { type: 'peer', peer: { peerId: stranger, name: '', addrs: [], firstSeen: 1_700_000_100_000, lastSeen: 1_700_000_100_000 } },
    sampleRoom({ key: 'a room key ✓', members: [contact, stranger].sort().map((peerId, i) => ({ peerId, provenAt: 1_700_000_300_000 + i })) }),
    sampleRoom({ name: 'lobby' }),
    { type: 'message', message: { id: 'a'.repeat(32), peer: contact, direction: 'in', from: contact, name: 'bob', text: 'hi ✓ ünïcödé', ts: 1_700_000_000_001 }, request: false },
    { type: 'message', message: { id: 'b'.repeat(32), peer: contact, direction: 'out', from: self, name: 'alice', text: 'hello', ts: 1_700_000_000_002.5, status: 'read' }, request: false },
    { type: 'message', message: { id: 'c'.repeat(32), peer: contact, direction: 'out', from: self, name: 'alice', text: 'not delivered yet', ts: 1_700_000_000_003, status: 'pending' }, request: false },
    { type: 'message', message: { id: 'd'.repeat(32), peer: stranger, direction: 'in', from: stranger, name: 'mallory', text: 'buy now', ts: -5 }, request: true }
  ]
  return { records, self, contact, stranger }
}

export async function * iterate<T> (items: Iterable<T>): AsyncGenerator<T> {
  yield * items
}

/** The bytes of an archive of `records`, sealed with FAST unless told otherwise */
export async function seal (records: StoreRecord[], options: SealOptions & { passphrase?: string } = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of sealArchive(iterate(records), options.passphrase ?? PASSPHRASE, { params: FAST, ...options })) {
    chunks.push(chunk)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/** `bytes` in pieces of `size` (a file read in chunks) */
export async function * chunked (bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) {
    yield bytes.slice(at, at + size)
  }
}

/** Every record of the archive `bytes`, or the first error */
export async function open (bytes: Uint8Array, passphrase = PASSPHRASE, options: AbortOptions = {}): Promise<StoreRecord[]> {
  const records: StoreRecord[] = []
  for await (const record of await openArchive(chunked(bytes), passphrase, options)) {
    records.push(record)
  }
  return records
}

export interface Frame {
  /** offset of its length prefix */
  start: number
  /** offset after its tag */
  end: number
}

/** The frames of a well-formed archive, by their length prefixes */
export function frames (archive: Uint8Array): Frame[] {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength)
  const found: Frame[] = []
  for (let at = HEADER; at < archive.byteLength;) {
    const end = at + 4 + view.getUint32(at)
    found.push({ start: at, end })
    at = end
  }
  return found
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

/**
 * An archive of `records` as given, unchecked (so it may hold what no
 * writer would write), its header of `version`: how a crafted archive
 * looks to a reader that knows the passphrase.
 */
export async function sealUnchecked (records: ArchiveRecord[], version = 2): Promise<Uint8Array> {
  const salt = new Uint8Array(randomBytes(16))
  const { frameKey, keyCheck } = await deriveArchiveKeys(PASSPHRASE, salt, FAST)
  const header = encodeHeader(FAST, salt, keyCheck)
  header[18] = version
  header.set(createHash('sha256').update(header.subarray(0, 63)).digest().subarray(0, 16), 63)
  const plaintext = records.map(r => lp.encode.single(ArchiveRecord.encode(r)).subarray())
  const chunks: Uint8Array[] = [header]
  for await (const frame of pipe(iterate(plaintext), toFramePlaintexts(), sealFrames(frameKey, header))) {
    chunks.push(frame)
  }
  return concat(...chunks)
}
