/**
 * Room messages in the archive (format version 3): a message of a room's
 * conversation (`#` and the room id) keeps the room's Lamport clock, from
 * one store's records() through an archive into another store's restore();
 * a clock where none belongs, none where one does, or one that is no
 * non-negative safe integer is refused, when written (TypeError) and when
 * read (ArchiveCorruptError, for an archive crafted by whoever knows its
 * passphrase). A room message in an archive of an older version is refused
 * too, and those archives (the version 1 and version 2 fixtures, written by
 * the securechat of their time) still import as they were written.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openArchive, readArchiveHeader, sealArchive } from '../../src/archive/index.ts'
import { createStore } from '../../src/store/index.ts'
import { fixture } from '../store/helpers.ts'
import { FAST, HEADER, PASSPHRASE, iterate, newPeerId, open, sampleRecords, sampleRoom, seal, sealUnchecked } from './helpers.ts'
import type { ArchiveRecord } from '../../src/archive/pb/archive.ts'
import type { StoreRecord } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'

type MessageRecord = Extract<StoreRecord, { type: 'message' }>
type IdentityRecord = Extract<StoreRecord, { type: 'identity' }>

const FIXTURE = join(import.meta.dirname, 'fixtures')

/**
 * The sample records (sampleRecords) and a room's conversation after them:
 * a message from each member and two of ours, one delivered and one still
 * pending, with clocks from 0 to the largest safe integer
 */
async function withRoomMessages (): Promise<{ records: StoreRecord[], roomMessages: MessageRecord[], self: string, contact: string, stranger: string, room: string }> {
  const sample = await sampleRecords()
  const { self, contact, stranger } = sample
  const joined = sample.records.find(r => r.type === 'room')
  assert.ok(joined?.type === 'room')
  const room = `#${joined.room.id}`
  const roomMessage = (fields: Partial<ChatMessage> & Pick<ChatMessage, 'id' | 'from' | 'clock'>): MessageRecord => ({
    type: 'message',
    message: { peer: room, direction: fields.from === self ? 'out' : 'in', name: fields.from === self ? 'alice' : 'bob', text: `at ${fields.clock ?? 'no clock'}`, ts: 1_700_000_400_000, ...fields },
    request: false
  })
  const roomMessages = [
    roomMessage({ id: '1'.repeat(32), from: contact, clock: 0 }),
    roomMessage({ id: '2'.repeat(32), from: self, clock: 1, status: 'delivered' }),
    // ids are unique per sender in a room: another member may use the same one
    roomMessage({ id: '2'.repeat(32), from: stranger, name: 'carol', clock: 1 }),
    roomMessage({ id: '3'.repeat(32), from: self, clock: Number.MAX_SAFE_INTEGER, status: 'pending' })
  ]
  return { records: [...sample.records, ...roomMessages], roomMessages, self, contact, stranger, room }
}

/** The protobuf form of a message record, as archive.proto has it */
function pbMessage ({ message, request }: MessageRecord): ArchiveRecord {
  return { message: { ...message, request } }
}

function pbIdentity (record: IdentityRecord): ArchiveRecord {
  return { identity: { key: new Uint8Array(record.key) } }
}

async function all (records: AsyncIterable<StoreRecord>): Promise<StoreRecord[]> {
  const out: StoreRecord[] = []
  for await (const record of records) {
    out.push(record)
  }
  return out
}

async function sealStore (records: AsyncIterable<StoreRecord>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = []
  for await (const chunk of sealArchive(records, PASSPHRASE, { params: FAST })) {
    chunks.push(chunk)
  }
  return chunks
}

/** Messages in an order that does not depend on a store's keys (which are keyed hashes, per store) */
function byConversation (records: StoreRecord[]): MessageRecord[] {
  const key = (r: MessageRecord): string => `${r.message.peer} ${r.message.from} ${r.message.id}`
  return records.filter((r): r is MessageRecord => r.type === 'message').sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)
}

/** A fixture's records as JSON holds them: byte fields in base64 */
type JsonRecord = StoreRecord | { type: 'identity', key: string } | { type: 'room', room: Record<string, unknown> & { proofKey: string, rendezvousKey: string } }

function fromJson (records: JsonRecord[]): StoreRecord[] {
  const bytes = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64'))
  return records.map(r => {
    if (r.type === 'identity') {
      return { type: 'identity', key: bytes(r.key as string) }
    }
    if (r.type === 'room') {
      const room = r.room as { proofKey: string, rendezvousKey: string }
      return { type: 'room', room: { ...r.room, proofKey: bytes(room.proofKey), rendezvousKey: bytes(room.rendezvousKey) } } as StoreRecord
    }
    return r
  })
}

async function readFixture (name: string): Promise<{ bytes: Uint8Array, passphrase: string, records: StoreRecord[] }> {
  const bytes = new Uint8Array(await readFile(join(FIXTURE, `${name}.sca`)))
  const facts = JSON.parse(await readFile(join(FIXTURE, `${name}.json`), 'utf8')) as { passphrase: string, records: JsonRecord[] }
  return { bytes, passphrase: facts.passphrase, records: fromJson(facts.records) }
}

void describe('room messages in the archive', () => {
  void it('keep their clock (0 to the largest safe integer), in one frame and in many', async () => {
    const { records } = await withRoomMessages()
    assert.deepEqual(await open(await seal(records)), records)
    assert.deepEqual(await open(await seal(records, { frameSize: 23 })), records)
    // the clock, and only where it belongs
    const read = await open(await seal(records))
    assert.deepEqual(read.flatMap(r => r.type === 'message' ? [r.message.clock ?? null] : []), [null, null, null, null, 0, 1, 1, Number.MAX_SAFE_INTEGER])
    assert.ok(read.every(r => r.type !== 'message' || r.message.peer.startsWith('#') || !('clock' in r.message)))
  })

  void it('round-trip from one store\'s records() to another\'s restore(), clock and all', async t => {
    const fx = await fixture(t)
    const { records, roomMessages, room } = await withRoomMessages()
    const source = fx.track(createStore({ dataDir: fx.dataDir }))
    await source.open()
    assert.deepEqual(await source.restore(iterate(records)), { identity: true, peers: 2, rooms: 2, messages: 8 })
    const written = await all(source.records())
    assert.deepEqual(byConversation(written), byConversation(records))

    const read = await all(await openArchive(iterate(await sealStore(source.records())), PASSPHRASE))
    assert.deepEqual(read, written)

    const target = fx.track(createStore({ dataDir: `${fx.dataDir}-restored` }))
    await target.open()
    assert.deepEqual(await target.restore(iterate(read)), { identity: true, peers: 2, rooms: 2, messages: 8 })
    assert.deepEqual(byConversation(await all(target.records())), byConversation(records))
    // the restored room shows in (clock, sender) order, as every member does
    const order = (messages: ChatMessage[]): string[] => messages.map(m => `${m.clock ?? '-'} ${m.from} ${m.id}`)
    const expected = roomMessages.map(r => r.message).sort((a, b) => ((a.clock ?? 0) - (b.clock ?? 0)) || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
    assert.deepEqual(order(await target.history(room, { limit: 10 })), order(expected))
  })

  void it('a clock on a direct message, a room message without one, or a clock that is no non-negative safe integer: TypeError to write, ArchiveCorruptError to read', async () => {
    const { records, roomMessages, contact } = await withRoomMessages()
    const identity = records[0] as IdentityRecord
    const [fromMember, ours] = roomMessages as [MessageRecord, MessageRecord]
    const direct = records.find(r => r.type === 'message') as MessageRecord
    const noClock: ChatMessage = { ...fromMember.message }
    delete noClock.clock
    const withMessage = (record: MessageRecord, fields: Partial<ChatMessage>, request = record.request): MessageRecord =>
      ({ type: 'message', message: { ...record.message, ...fields }, request })
    const bad: Array<[string, MessageRecord]> = [
      ['a clock on a direct message', withMessage(direct, { clock: 1 })],
      ['a clock of 0 on a direct message', withMessage(direct, { clock: 0 })],
      ['a room message without a clock', { ...fromMember, message: noClock }],
      ['a negative clock', withMessage(fromMember, { clock: -1 })],
      ['a fractional clock', withMessage(ours, { clock: 1.5 })],
      ['an unsafe clock', withMessage(fromMember, { clock: Number.MAX_SAFE_INTEGER + 1 })],
      ['a clock of 2^64', withMessage(fromMember, { clock: 2 ** 64 })],
      ['a NaN clock', withMessage(fromMember, { clock: Number.NaN })],
      ['an infinite clock', withMessage(fromMember, { clock: Number.POSITIVE_INFINITY })],
      ['a room conversation in upper case', withMessage(fromMember, { peer: fromMember.message.peer.toUpperCase() })],
      ['a room conversation of 30 hex characters', withMessage(fromMember, { peer: fromMember.message.peer.slice(0, -2) })],
      ['a room message from no peer id', withMessage(fromMember, { from: 'not-a-peer-id' })],
      ['a room message held as a request', withMessage(fromMember, {}, true)]
    ]
    for (const [what, record] of bad) {
      await assert.rejects(seal([identity, record]), { name: 'TypeError', message: /invalid record \(message: / }, what)
      await assert.rejects(open(await sealUnchecked([pbIdentity(identity), pbMessage(record)], 3)), (err: Error) => {
        assert.equal(err.name, 'ArchiveCorruptError', `${what}: ${err.name}: ${err.message}`)
        assert.match(err.message, /invalid record \(message: /, what)
        return true
      })
    }
    // the ones the brief names say which rule they broke
    await assert.rejects(seal([identity, withMessage(direct, { clock: 1 })]), { message: /a clock on a message that is not a room message/ })
    await assert.rejects(seal([identity, { ...fromMember, message: noClock }]), { message: /a room message without a valid clock/ })
    await assert.rejects(seal([identity, withMessage(fromMember, { clock: -1 })]), { message: /a room message without a valid clock/ })
    // an incoming room message is from a member, not from its "peer"; an incoming direct one still is from its peer
    assert.equal((await open(await seal([identity, withMessage(fromMember, { from: await newPeerId() })]))).length, 2)
    await assert.rejects(seal([identity, withMessage(direct, { from: await newPeerId() })]), { message: /not from its peer/ })
    assert.equal(direct.message.from, contact)
  })

  void it('a room message in an archive of version 1 or 2 is refused; a version 3 archive relabelled as 2 does not open', async () => {
    const { records, roomMessages } = await withRoomMessages()
    const identity = records[0] as IdentityRecord
    const room = sampleRoom()
    const [roomMessage] = roomMessages as [MessageRecord]
    const direct = records.find(r => r.type === 'message') as MessageRecord
    for (const version of [1, 2]) {
      await assert.rejects(open(await sealUnchecked([pbIdentity(identity), pbMessage(roomMessage)], version)),
        { name: 'ArchiveCorruptError', message: new RegExp(`room message in a version ${version} archive`) })
      // a direct message with a clock is refused there as everywhere
      await assert.rejects(open(await sealUnchecked([pbIdentity(identity), pbMessage({ ...direct, message: { ...direct.message, clock: 1 } })], version)),
        { name: 'ArchiveCorruptError', message: /a clock on a message that is not a room message/ })
      // and a direct one without is what those versions hold
      assert.deepEqual(await open(await sealUnchecked([pbIdentity(identity), pbMessage(direct)], version)), [identity, direct])
    }
    // a room record is version 2's, a room message version 3's
    const rooms: ArchiveRecord = { room: { ...room.room, proofKey: new Uint8Array(room.room.proofKey), rendezvousKey: new Uint8Array(room.room.rendezvousKey) } }
    assert.equal((await open(await sealUnchecked([pbIdentity(identity), rooms, pbMessage(roomMessage)], 3))).length, 3)

    // the header is bound into every frame: one that says 2 (checksum fixed) fails at the first frame
    const archive = await seal(records)
    assert.equal(archive[18], 3)
    const relabelled = archive.slice()
    relabelled[18] = 2
    relabelled.set(createHash('sha256').update(relabelled.subarray(0, 63)).digest().subarray(0, 16), 63)
    assert.equal((await readArchiveHeader(iterate([relabelled.subarray(0, HEADER)]))).version, 2)
    await assert.rejects(open(relabelled), { name: 'ArchiveCorruptError', message: /frame 1 failed authentication/ })
  })

  void it('the archives of version 1 and version 2, written before room messages, open and restore as they were written', async t => {
    const fx = await fixture(t)
    for (const [name, version, summary] of [
      ['archive-v1', 1, { identity: true, peers: 1, rooms: 0, messages: 2 }],
      ['archive-v2', 2, { identity: true, peers: 1, rooms: 1, messages: 2 }]
    ] as const) {
      const { bytes, passphrase, records } = await readFixture(name)
      assert.equal((await readArchiveHeader(iterate([bytes]))).version, version)
      const read = await open(bytes, passphrase)
      assert.deepEqual(read, records, name)
      assert.ok(read.every(r => r.type !== 'message' || !('clock' in r.message)), `${name}: no clock`)

      const store = fx.track(createStore({ dataDir: join(fx.root, name) }))
      await store.open()
      assert.deepEqual(await store.restore(iterate(read)), summary, name)
      assert.deepEqual(byConversation(await all(store.records())), byConversation(records), name)
      await store.close()
    }
  })
})
