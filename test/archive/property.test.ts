/**
 * Property tests of the archive decoder: whatever the bytes (random, an
 * archive mutated anywhere, or garbage sealed under the right key so that
 * it passes authentication and reaches the record decoder), reading ends
 * in the records or in one of the archive's typed errors, never in another
 * exception, and never hangs. What was yielded before an error is always a
 * prefix of the real records.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { before, describe, it } from 'node:test'
import fc from 'fast-check'
import { pipe } from 'it-pipe'
import * as lp from 'it-length-prefixed'
import { openFrames, sealFrames, toFramePlaintexts } from '../../src/archive/frames.ts'
import { deriveArchiveKeys } from '../../src/archive/key.ts'
import { ArchiveRecord } from '../../src/archive/pb/archive.ts'
import { ByteReader } from '../../src/archive/reader.ts'
import { decodeRecords } from '../../src/archive/stream.ts'
import { FAST, HEADER, PASSPHRASE, chunked, concat, iterate, open, sampleRecords, seal } from './helpers.ts'
import type { StoreRecord } from '../../src/store/index.ts'
import type { KeyObject } from 'node:crypto'

const TYPED = new Set(['ArchiveCorruptError', 'ArchiveTruncatedError', 'UnsupportedArchiveError', 'WrongPassphraseError'])
/** Far more than any single read takes; a run past it is a hang */
const HANG = 5_000

let records: StoreRecord[]
let archive: Uint8Array
let key: KeyObject

/** How reading went: the records yielded, and the error it ended with, if any; rejects if it hung */
async function outcome (read: (out: StoreRecord[]) => Promise<void>): Promise<{ read: StoreRecord[], error?: unknown }> {
  const out: StoreRecord[] = []
  const timer = new AbortController()
  const hung = sleep(HANG, undefined, { signal: timer.signal }).then(() => { throw new Error(`reading hung for ${HANG} ms`) })
  try {
    await Promise.race([read(out), hung])
    return { read: out }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('reading hung')) {
      throw err
    }
    return { read: out, error: err }
  } finally {
    timer.abort()
    await hung.catch(() => {})
  }
}

function explain (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : `a thrown ${typeof err}`
}

function assertTyped (result: { read: StoreRecord[], error?: unknown }, expected: StoreRecord[] = records): void {
  if (result.error === undefined) {
    assert.deepEqual(result.read, expected)
    return
  }
  assert.ok(result.error instanceof Error && TYPED.has(result.error.name), `untyped failure: ${explain(result.error)}`)
  assert.deepEqual(result.read, expected.slice(0, result.read.length), 'only real records, in order')
}

/** Reads the frames after `bytes`' header with the archive's key (no scrypt per run) */
async function readWithKey (bytes: Uint8Array, out: StoreRecord[], header = bytes.subarray(0, HEADER)): Promise<void> {
  const reader = new ByteReader(chunked(bytes.subarray(HEADER), 29))
  for await (const record of pipe(openFrames(reader, key, header), decodeRecords)) {
    out.push(record)
  }
}

/** `plaintext` sealed as frames of `size` under the archive's key and header: it authenticates */
async function sealedPlaintext (plaintext: Uint8Array, size: number): Promise<Uint8Array> {
  const header = archive.subarray(0, HEADER)
  const chunks: Uint8Array[] = [header]
  for await (const frame of pipe(iterate([plaintext]), toFramePlaintexts(size), sealFrames(key, header))) {
    chunks.push(frame)
  }
  return concat(...chunks)
}

/** A mutation of an archive: bytes written, a range cut out, bytes inserted, or the end cut off */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), writes: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() })
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

/** `m` applied to `bytes` at or after offset `from` (offsets wrap around what is there) */
function mutate (bytes: Uint8Array, m: Mutation, from = 0): Uint8Array {
  const span = bytes.byteLength - from
  switch (m.kind) {
    case 'write': {
      const copy = bytes.slice()
      for (const { at, byte } of m.writes) {
        copy[from + at % span] = byte
      }
      return copy
    }
    case 'cut': {
      const at = from + m.at % span
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length))
    }
    case 'insert': {
      const at = from + m.at % (span + 1)
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at))
    }
    case 'truncate':
      return bytes.subarray(0, from + m.at % span)
  }
}

void describe('archive decoder properties', () => {
  before(async () => {
    records = (await sampleRecords()).records
    archive = await seal(records, { frameSize: 100 })
    key = (await deriveArchiveKeys(PASSPHRASE, archive.subarray(31, 47), FAST)).frameKey
  })

  void it('(the unmodified archive reads back whole both ways)', async () => {
    assert.deepEqual(await outcome(async out => { await readWithKey(archive, out) }), { read: records })
    assert.deepEqual(await open(archive), records)
  })

  void it('random bytes, bare or behind the magic: only typed errors, found in the header', async () => {
    const magic = new TextEncoder().encode('securechat-archive')
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom('none', 'magic', 'version'), async (bytes, prefix) => {
      const input = prefix === 'none' ? bytes : concat(magic, ...(prefix === 'version' ? [new Uint8Array([1])] : []), bytes)
      const result = await outcome(async out => { out.push(...await open(input)) })
      assert.ok(result.error !== undefined)
      assertTyped(result)
    }), { numRuns: 300 })
  })

  void it('an archive mutated past its header: the records or a typed error, never a hang', async () => {
    await fc.assert(fc.asyncProperty(mutation, async m => {
      assertTyped(await outcome(async out => { await readWithKey(mutate(archive, m, HEADER), out) }))
    }), { numRuns: 500 })
  })

  void it('an archive mutated anywhere, through openArchive (scrypt each run)', async () => {
    await fc.assert(fc.asyncProperty(mutation, async m => {
      assertTyped(await outcome(async out => { out.push(...await open(mutate(archive, m))) }))
    }), { numRuns: 40 })
  })

  void it('garbage that authenticates (sealed under the right key) reaches the record decoder: only ArchiveCorruptError', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 200 }), async (plaintext, size) => {
      const result = await outcome(async out => { await readWithKey(await sealedPlaintext(plaintext, size), out) })
      if (result.error !== undefined) {
        assert.equal((result.error as Error).name, 'ArchiveCorruptError', explain(result.error))
      }
    }), { numRuns: 300 })
  })

  void it('well-framed records with random fields: valid records come through, the rest is ArchiveCorruptError', async () => {
    const [identity] = records as [Extract<StoreRecord, { type: 'identity' }>]
    const field = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom(records.flatMap(r => r.type === 'peer' ? [r.peer.peerId] : [])[0] as string))
    const peer = fc.record({
      peerId: field, name: fc.option(fc.string(), { nil: undefined }), relation: fc.option(fc.constantFrom('contact', 'blocked', 'friend', ''), { nil: undefined }),
      petname: fc.option(fc.string(), { nil: undefined }), verified: fc.boolean(), addrs: fc.array(fc.string(), { maxLength: 3 }),
      firstSeen: fc.double(), lastSeen: fc.double()
    })
    // a room's conversation, or something near one; and clocks, valid or not, on either kind of message
    const roomConversation = fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b => `#${Buffer.from(b).toString('hex')}`), fc.string({ maxLength: 40 }).map(s => `#${s}`))
    const message = fc.record({
      id: fc.string({ maxLength: 40 }), peer: fc.oneof(field, roomConversation), direction: fc.constantFrom('in', 'out', 'sideways'), from: field, name: fc.string(), text: fc.string(),
      ts: fc.double(), status: fc.option(fc.constantFrom('pending', 'sent', 'delivered', 'read', 'lost'), { nil: undefined }), request: fc.boolean(),
      clock: fc.option(fc.oneof(fc.double(), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER + 1)), { nil: undefined })
    })
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(b => new Uint8Array(b))
    const room = fc.record({
      id: fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b => Buffer.from(b).toString('hex'))),
      name: fc.string({ maxLength: 80 }), key: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }), proofKey: bytes, rendezvousKey: bytes,
      joinedAt: fc.oneof(fc.double(), fc.nat()), members: fc.array(fc.record({ peerId: field, provenAt: fc.oneof(fc.double(), fc.nat()) }), { maxLength: 3 })
    })
    const record = fc.oneof(
      fc.record({ identity: fc.record({ key: fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constant(identity.key)).map(key => new Uint8Array(key)) }) }),
      fc.record({ peer }),
      fc.record({ room }),
      fc.record({ message }),
      fc.constant({})
    )
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 6 }), fc.boolean(), async (list, withIdentity) => {
      const encoded: ArchiveRecord[] = withIdentity ? [{ identity: { key: new Uint8Array(identity.key) } }, ...list] : list
      const plaintext = concat(...encoded.map(r => lp.encode.single(ArchiveRecord.encode(r)).subarray()))
      const result = await outcome(async out => { await readWithKey(await sealedPlaintext(plaintext, 64), out) })
      if (result.error !== undefined) {
        assert.equal((result.error as Error).name, 'ArchiveCorruptError', explain(result.error))
      } else {
        assert.equal(result.read.length, encoded.length)
      }
    }), { numRuns: 300 })
  })
})
