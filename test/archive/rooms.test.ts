/**
 * Room records in the archive (format version 2): they round-trip, from a
 * store's records() into another store's restore(); they are checked as
 * the store checks a room, plus the store's bounds (64 rooms, 256 members),
 * both when written (TypeError) and when read (ArchiveCorruptError, for an
 * archive crafted by whoever knows its passphrase); and an archive of
 * version 1, written before rooms, still opens.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openArchive, readArchiveHeader, sealArchive } from '../../src/archive/index.ts'
import { createStore } from '../../src/store/index.ts'
import { fixture, room } from '../store/helpers.ts'
import { FAST, HEADER, PASSPHRASE, iterate, newPeerId, open, sampleRecords, sampleRoom, seal, sealUnchecked } from './helpers.ts'
import type { ArchiveRecord } from '../../src/archive/pb/archive.ts'
import type { StoreRecord, StoredRoom } from '../../src/store/index.ts'

type RoomRecord = Extract<StoreRecord, { type: 'room' }>

/** The protobuf form of a room, as archive.proto has it */
function pb (r: StoredRoom): ArchiveRecord {
  return { room: { ...r, proofKey: new Uint8Array(r.proofKey), rendezvousKey: new Uint8Array(r.rendezvousKey), members: r.members.map(m => ({ ...m })) } }
}

/** The protobuf form of an identity */
function pbIdentity (key: Uint8Array): ArchiveRecord {
  return { identity: { key: new Uint8Array(key) } }
}

async function all (records: AsyncIterable<StoreRecord>): Promise<StoreRecord[]> {
  const out: StoreRecord[] = []
  for await (const record of records) {
    out.push(record)
  }
  return out
}

const FIXTURE = join(import.meta.dirname, 'fixtures')

void describe('rooms in the archive', () => {
  void it('round-trip from one store\'s records() to another\'s restore(), after the peers and before the messages', async t => {
    const fx = await fixture(t)
    const { records } = await sampleRecords()
    const source = fx.track(createStore({ dataDir: fx.dataDir }))
    await source.open()
    await source.restore(iterate(records))
    const stored = await source.rooms()
    assert.equal(stored.length, 2)

    const chunks: Uint8Array[] = []
    for await (const chunk of sealArchive(source.records(), PASSPHRASE, { params: FAST })) {
      chunks.push(chunk)
    }
    const read = await all(await openArchive(iterate(chunks), PASSPHRASE))
    assert.deepEqual(read.filter(r => r.type === 'room').map(r => r.room), stored)
    assert.deepEqual(read.map(r => r.type).join(), 'identity,peer,peer,room,room,message,message,message,message')

    const target = fx.track(createStore({ dataDir: `${fx.dataDir}-restored` }))
    await target.open()
    assert.deepEqual(await target.restore(iterate(read)), { identity: true, peers: 2, rooms: 2, messages: 4 })
    assert.deepEqual(await target.rooms(), stored)
  })

  void it('come after the peers and before the messages, or the archive is refused', async () => {
    const { records } = await sampleRecords()
    const [identity, peer] = records as [StoreRecord, StoreRecord]
    const message = records.find(r => r.type === 'message') as StoreRecord
    const r = sampleRoom()
    await assert.rejects(seal([identity, r, peer]), { name: 'TypeError', message: /peer record out of order/ })
    await assert.rejects(seal([identity, message, r]), { name: 'TypeError', message: /room record out of order/ })
    await assert.rejects(seal([r]), { name: 'TypeError', message: /identity is not the first/ })
    const key = (identity as Extract<StoreRecord, { type: 'identity' }>).key
    await assert.rejects(open(await sealUnchecked([pbIdentity(key), pb(r.room), pb({ ...r.room, id: 'f'.repeat(32) }), { peer: { peerId: await newPeerId(), verified: false, addrs: [], firstSeen: 1, lastSeen: 1 } }])),
      { name: 'ArchiveCorruptError', message: /peer record out of order/ })
  })

  void it('are checked as the store checks them, with its bounds: TypeError to write, ArchiveCorruptError to read', async () => {
    const { records, contact } = await sampleRecords()
    const identity = records[0] as Extract<StoreRecord, { type: 'identity' }>
    const member = (peerId: string, provenAt = 1): { peerId: string, provenAt: number } => ({ peerId, provenAt })
    const peers = await Promise.all(Array.from({ length: 257 }, async () => newPeerId()))
    const bad: Array<[string, StoredRoom]> = [
      ['257 members', room({ members: peers.map(p => member(p)) })],
      ['a bad id', room({ id: 'F'.repeat(32) })],
      ['a short id', room({ id: 'f'.repeat(30) })],
      ['an empty key', room({ key: '' })],
      ['a key of 1,025 bytes', room({ key: 'k'.repeat(1025) })],
      ['a name of 257 bytes', room({ name: 'n'.repeat(257) })],
      ['a name with a control character', room({ name: 'a\u0007b' })],
      ['an empty name', room({ name: '' })],
      ['a proof key of 31 bytes', room({ proofKey: new Uint8Array(31) })],
      ['a rendezvous key of 33 bytes', room({ rendezvousKey: new Uint8Array(33) })],
      ['a fractional join time', room({ joinedAt: 1.5 })],
      ['a negative proof time', room({ members: [member(contact, -1)] })],
      ['a member twice', room({ members: [member(contact), member(contact, 2)] })],
      ['a member that is no peer id', room({ members: [member('not-a-peer-id')] })]
    ]
    for (const [what, r] of bad) {
      await assert.rejects(seal([identity, { type: 'room', room: r }]), { name: 'TypeError', message: /invalid record \(room: / }, what)
      await assert.rejects(open(await sealUnchecked([pbIdentity(identity.key), pb(r)])), (err: Error) => {
        assert.equal(err.name, 'ArchiveCorruptError', `${what}: ${err.name}: ${err.message}`)
        assert.match(err.message, /invalid record \(room: /, what)
        return true
      })
    }
    // fields the format does not know are refused, not dropped
    await assert.rejects(seal([identity, { type: 'room', room: { ...room(), topic: 'x' } as StoredRoom }]), { name: 'TypeError', message: /unknown fields/ })
    await assert.rejects(seal([identity, { type: 'room', room: room({ members: [{ peerId: contact, provenAt: 1, role: 'admin' } as never] }) }]), { name: 'TypeError', message: /unknown fields/ })

    // 256 members and 64 rooms are fine; one more room is not
    const full: RoomRecord = { type: 'room', room: room({ members: peers.slice(0, 256).map(p => member(p)) }) }
    const rooms = [full, ...Array.from({ length: 63 }, () => sampleRoom())]
    assert.equal((await open(await seal([identity, ...rooms]))).length, 65)
    const extra = sampleRoom()
    await assert.rejects(seal([identity, ...rooms, extra]), { name: 'TypeError', message: /more than 64 room records/ })
    await assert.rejects(open(await sealUnchecked([pbIdentity(identity.key), ...[...rooms, extra].map(r => pb(r.room))])),
      { name: 'ArchiveCorruptError', message: /more than 64 room records/ })
  })

  void it('an archive of version 1, written before rooms, opens as it was written; one with a room is refused', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURE, 'archive-v1.sca')))
    const facts = JSON.parse(await readFile(join(FIXTURE, 'archive-v1.json'), 'utf8')) as { passphrase: string, records: Array<StoreRecord | { type: 'identity', key: string }> }
    assert.equal(bytes[18], 1)
    assert.equal((await readArchiveHeader(iterate([bytes]))).version, 1)
    const expected = facts.records.map(r => r.type === 'identity' ? { type: 'identity', key: new Uint8Array(Buffer.from(r.key as string, 'base64')) } : r)
    assert.deepEqual(await open(bytes, facts.passphrase), expected)

    // what this version writes is version 3 (room messages: room-messages.test.ts)
    const { records } = await sampleRecords()
    const written = await seal(records)
    assert.equal(written[18], 3)
    assert.equal((await readArchiveHeader(iterate([written.subarray(0, HEADER)]))).version, 3)

    const identity = records[0] as Extract<StoreRecord, { type: 'identity' }>
    await assert.rejects(open(await sealUnchecked([pbIdentity(identity.key), pb(sampleRoom().room)], 1)),
      { name: 'ArchiveCorruptError', message: /room record in a version 1 archive/ })
    // version 1 without rooms, sealed here: the same format
    assert.deepEqual(await open(await sealUnchecked([pbIdentity(identity.key)], 1)), [identity])
    for (const version of [0, 4, 255]) {
      await assert.rejects(open(await sealUnchecked([pbIdentity(identity.key)], version)), { name: 'UnsupportedArchiveError', message: /versions 1 to 3/ })
    }
  })
})
