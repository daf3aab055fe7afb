/**
 * Joined rooms in the store, beyond the conformance suite: the record
 * codec (round trip, a decoder that only ever throws Error, the padding
 * that shows no more than a room's member bucket) and a data dir written
 * before rooms existed, which opens with none and takes some.
 */
import assert from 'node:assert/strict'
import { chmod, cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_ROOM_MEMBERS, MAX_STORED_ROOM_KEY_BYTES, MAX_STORED_ROOM_NAME_BYTES } from '../../src/store/constants.ts'
import { createStore } from '../../src/store/index.ts'
import { decodeRoom, encodeRoom, memberBucket, roomProblem } from '../../src/store/room-record.ts'
import { fixture, PEER_A, room } from './helpers.ts'
import type { StoredRoom } from '../../src/store/index.ts'

const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(bytes => Buffer.from(bytes).toString('hex'))
const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytes => new Uint8Array(bytes))
const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8')
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter(s => utf8Length(s) <= MAX_STORED_ROOM_NAME_BYTES && !/\p{Cc}/u.test(s))
const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter(s => utf8Length(s) <= MAX_STORED_ROOM_KEY_BYTES)
const peerId = fc.string({ unit: fc.integer({ min: 0x22, max: 0x7e }).map(c => String.fromCharCode(c)), minLength: 1, maxLength: 64 })
  .filter(s => !s.includes('!'))
const storedRoom: fc.Arbitrary<StoredRoom> = fc.record({
  id: hex32,
  name,
  key,
  proofKey: secret,
  rendezvousKey: secret,
  joinedAt: time,
  members: fc.uniqueArray(fc.record({ peerId, provenAt: time }, { noNullPrototype: true }), { selector: m => m.peerId, maxLength: 40 })
}, { requiredKeys: ['id', 'name', 'proofKey', 'rendezvousKey', 'joinedAt', 'members'], noNullPrototype: true })

/** The room as the store hands it back: members by peer id */
function normal (r: StoredRoom): StoredRoom {
  return { ...r, members: [...r.members].sort((a, b) => a.peerId < b.peerId ? -1 : 1) }
}

function members (n: number, length = 52) {
  return Array.from({ length: n }, (_, i) => ({ peerId: `m${i}`.padEnd(length, 'x'), provenAt: 1_700_000_000_000 + i }))
}

void describe('room records', () => {
  void it('round-trip any valid room, members by peer id', () => {
    fc.assert(fc.property(storedRoom, r => {
      assert.equal(roomProblem(r), undefined)
      assert.deepEqual(decodeRoom(encodeRoom(r)), normal(r))
    }), { numRuns: 300 })
  })

  void it('decode any bytes or any JSON to a valid room or an Error, nothing else', () => {
    const json = fc.oneof(
      fc.json(),
      // the right shape with random values: closer to a real record
      fc.record({
        id: fc.oneof(hex32, fc.string()),
        name: fc.oneof(fc.base64String(), fc.string()),
        key: fc.option(fc.oneof(fc.base64String(), fc.string(), fc.integer()), { nil: undefined }),
        proofKey: fc.oneof(secret.map(b => Buffer.from(b).toString('base64url')), fc.string()),
        rendezvousKey: fc.oneof(secret.map(b => Buffer.from(b).toString('base64url')), fc.string()),
        joinedAt: fc.oneof(time, fc.double()),
        members: fc.oneof(fc.array(fc.record({ peerId: fc.oneof(peerId, fc.integer()), provenAt: fc.oneof(time, fc.double()) })), fc.jsonValue())
      }).map(value => JSON.stringify(value))
    )
    const check = (bytes: Uint8Array): void => {
      try {
        assert.equal(roomProblem(decodeRoom(bytes)), undefined)
      } catch (err) {
        assert.ok(err instanceof Error && err.constructor === Error, `not a plain Error: ${String(err)}`)
      }
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 500 })
    fc.assert(fc.property(json, text => { check(new TextEncoder().encode(text)) }), { numRuns: 1000 })
    // a key that does not decode does not read as a room without one
    const record = JSON.parse(new TextDecoder().decode(encodeRoom(room({ key: 'k' })))) as Record<string, unknown>
    assert.throws(() => decodeRoom(new TextEncoder().encode(JSON.stringify({ ...record, key: '!' }))), /stored room invalid/)
  })

  void it('are one size per member bucket, whatever the name, the key, the ids and the times', () => {
    assert.deepEqual([0, 1, 8, 9, 16, 17, 100, 129, 256].map(memberBucket), [8, 8, 8, 16, 16, 32, 128, 256, 256])
    const sizes = new Map<number, Set<number>>()
    const size = (r: StoredRoom): void => {
      const bucket = memberBucket(r.members.length)
      sizes.set(bucket, (sizes.get(bucket) ?? new Set()).add(encodeRoom(r).byteLength))
    }
    for (const n of [0, 1, 7, 8, 9, 16, 17, 32, 33, 64, 65, 128, 129, 255, 256]) {
      size(room({ members: members(n), name: 'a', joinedAt: 0 }))
      size(room({ members: members(n, 64), name: '"'.repeat(MAX_STORED_ROOM_NAME_BYTES), key: '\u0000'.repeat(MAX_STORED_ROOM_KEY_BYTES), joinedAt: Number.MAX_SAFE_INTEGER }))
      size(room({ members: members(n, 1).map(m => ({ ...m, provenAt: 0 })), name: '🙂'.repeat(64), key: 'k' }))
    }
    assert.deepEqual([...sizes.keys()], [8, 16, 32, 64, 128, 256])
    const each = [...sizes.values()].map(set => [...set])
    assert.ok(each.every(list => list.length === 1), JSON.stringify(each))
    const bytes = each.map(([n]) => n as number)
    assert.ok(bytes.every((n, i) => n % 256 === 0 && (i === 0 || n > (bytes[i - 1] as number))), JSON.stringify(bytes))
    // the largest room's record, for the README: about 29 KB
    assert.ok((bytes.at(-1) as number) < 32 * 1024, String(bytes.at(-1)))
    // a random valid room of at most 40 members with peer ids of up to 64 characters: its bucket's size too
    fc.assert(fc.property(storedRoom, r => {
      assert.ok(sizes.get(memberBucket(r.members.length))?.has(encodeRoom(r).byteLength))
    }), { numRuns: 200 })
    assert.equal(MAX_ROOM_MEMBERS, 256)
  })
})

void describe('rooms in a data dir from before rooms', () => {
  void it('a data dir written by an older securechat opens with no room, as before, and then keeps some', async t => {
    const fx = await fixture(t)
    // format 1 (securechat 0a69126): migrated at open, rooms or not; the sublevel is simply absent
    await cp(join(import.meta.dirname, 'fixtures', 'store-v1'), fx.dataDir, { recursive: true })
    await chmod(fx.dataDir, 0o700)
    await chmod(join(fx.dataDir, 'securechat.key'), 0o600)
    const facts = JSON.parse(await readFile(join(import.meta.dirname, 'fixtures', 'store-v1.json'), 'utf8')) as { alice: string, passphrase: string }
    const store = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase }))
    await store.open()
    assert.deepEqual(await store.rooms(), [])
    const joined = room({ members: [{ peerId: PEER_A, provenAt: 5 }] })
    await store.putRoom(joined)
    await store.close()

    const again = fx.track(createStore({ dataDir: fx.dataDir, passphrase: facts.passphrase }))
    await again.open()
    assert.deepEqual(await again.rooms(), [joined])
    assert.equal((await again.history(facts.alice)).length, 3)
  })
})
