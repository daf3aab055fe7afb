/**
 * Pure value codecs: the at-rest seal (AES-256-GCM bound to sublevel and
 * key) and the plaintext records inside it.
 */
import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MIN_SEALED_LENGTH, openValue, sealValue } from '../../src/store/at-rest.ts'
import { CorruptRecordError } from '../../src/store/errors.ts'
import {
  decodeMessage, decodePeer, decodeRequestEntry, encodeMessage, encodePeer, encodeRequestEntry, messageProblem
} from '../../src/store/records.ts'
import type { ChatMessage } from '../../src/types.ts'

const dataKey = createSecretKey(randomBytes(32))
const sublevel = fc.constantFrom('identity', 'peers', 'history', 'index', 'meta')
const recordKey = fc.string({ minLength: 0, maxLength: 80 })
const plaintext = fc.uint8Array({ maxLength: 512 })

function isCorrupt (sub: string, key: string) {
  return (err: unknown): boolean => err instanceof CorruptRecordError && err.sublevel === sub && err.key === key
}

const keyPart = fc.string({ unit: fc.integer({ min: 0x22, max: 0x7e }).map(c => String.fromCharCode(c)), minLength: 1, maxLength: 40 })
  .filter(s => !s.includes('!'))
const messageFields = {
  id: keyPart,
  direction: fc.constantFrom('in' as const, 'out' as const),
  name: fc.string(),
  text: fc.string({ unit: 'binary' }),
  ts: fc.double({ noNaN: true, noDefaultInfinity: true }).filter(ts => !Object.is(ts, -0)) // JSON has no -0
}
/** a direct message: its peer is a peer (no peer id starts with `#`) */
const directMessage: fc.Arbitrary<ChatMessage> = fc.record({
  ...messageFields,
  peer: keyPart.filter(s => !s.startsWith('#')),
  from: fc.string({ minLength: 1 })
}, { noNullPrototype: true })
/** a room message: its peer is the room's conversation, its sender a peer id, and it has a clock */
const roomMessage: fc.Arbitrary<ChatMessage> = fc.record({
  ...messageFields,
  peer: fc.stringMatching(/^#[0-9a-f]{32}$/),
  from: keyPart,
  clock: fc.maxSafeNat()
}, { noNullPrototype: true })
const chatMessage: fc.Arbitrary<ChatMessage> = fc.oneof(directMessage, roomMessage).chain(m => m.direction === 'out'
  ? fc.option(fc.constantFrom('pending' as const, 'sent' as const, 'delivered' as const), { nil: undefined })
    .map(status => status === undefined ? m : { ...m, status })
  : fc.constant(m))

void describe('at-rest value codec', () => {
  void it('round-trips any plaintext under any sublevel and key', () => {
    fc.assert(fc.property(sublevel, recordKey, plaintext, (sub, key, data) => {
      const sealed = sealValue(dataKey, sub, key, data)
      assert.equal(sealed.length, data.length + MIN_SEALED_LENGTH)
      assert.deepEqual(openValue(dataKey, sub, key, sealed), data)
    }))
  })

  void it('rejects any single-byte change', () => {
    fc.assert(fc.property(sublevel, recordKey, plaintext, fc.nat(), fc.integer({ min: 1, max: 255 }), (sub, key, data, at, mask) => {
      const sealed = sealValue(dataKey, sub, key, data)
      const index = at % sealed.length
      sealed[index] = (sealed[index] ?? 0) ^ mask
      assert.throws(() => openValue(dataKey, sub, key, sealed), isCorrupt(sub, key))
    }), { numRuns: 1000 })
  })

  void it('rejects truncation and extension', () => {
    fc.assert(fc.property(sublevel, recordKey, plaintext, fc.nat(), (sub, key, data, cut) => {
      const sealed = sealValue(dataKey, sub, key, data)
      assert.throws(() => openValue(dataKey, sub, key, sealed.subarray(0, cut % sealed.length)), isCorrupt(sub, key))
      assert.throws(() => openValue(dataKey, sub, key, Uint8Array.of(...sealed, 0)), isCorrupt(sub, key))
    }))
  })

  void it('binds a value to its sublevel, key and data key', () => {
    fc.assert(fc.property(sublevel, sublevel, recordKey, recordKey, plaintext, (sub1, sub2, key1, key2, data) => {
      fc.pre(sub1 !== sub2 || key1 !== key2)
      const sealed = sealValue(dataKey, sub1, key1, data)
      assert.throws(() => openValue(dataKey, sub2, key2, sealed), isCorrupt(sub2, key2))
    }))
    const sealed = sealValue(dataKey, 'history', 'k', new Uint8Array([1, 2, 3]))
    assert.throws(() => openValue(createSecretKey(randomBytes(32)), 'history', 'k', sealed), CorruptRecordError)
  })

  void it('uses a fresh nonce per seal and never leaks the plaintext', () => {
    const data = new TextEncoder().encode('secret secret secret')
    const a = sealValue(dataKey, 'history', 'k', data)
    const b = sealValue(dataKey, 'history', 'k', data)
    assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13))
    assert.equal(Buffer.from(a).includes('secret'), false)
  })

  void it('keeps the on-disk format byte for byte', () => {
    // sealed before the store moved onto crypto/aead.ts: a change here breaks every existing database
    const key = createSecretKey(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))
    const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i)
    const cases: Array<[string, string, string, string]> = [
      ['history', 'peer!0001!00000001!id', 'hello, at rest', '01a0a1a2a3a4a5a6a7a8a9aaab8e7d10412ae722de1645f5b6740ea42a707d679b17ba7b8c4fbda9fa54ff'],
      ['meta', 'keycheck', '', '01a0a1a2a3a4a5a6a7a8a9aaaba757af293218f2b6ac9df433bec1ccd8']
    ]
    for (const [sub, recordKey, text, hex] of cases) {
      const plain = new TextEncoder().encode(text)
      assert.equal(Buffer.from(sealValue(key, sub, recordKey, plain, nonce)).toString('hex'), hex)
      assert.deepEqual(openValue(key, sub, recordKey, Buffer.from(hex, 'hex')), plain)
    }
  })

  void it('refuses a bad data key or nonce', () => {
    assert.throws(() => sealValue(createSecretKey(randomBytes(16)), 'history', 'k', new Uint8Array()), TypeError)
    assert.throws(() => sealValue(dataKey, 'history', 'k', new Uint8Array(), new Uint8Array(8)), TypeError)
    // checked before the record is looked at
    assert.throws(() => openValue(createSecretKey(randomBytes(16)), 'history', 'k', new Uint8Array(3)), TypeError)
    assert.throws(() => sealValue(dataKey, '', 'k', new Uint8Array()), TypeError)
  })
})

void describe('record codecs', () => {
  void it('round-trips messages', () => {
    fc.assert(fc.property(chatMessage, m => {
      assert.equal(messageProblem(m, true), undefined)
      assert.deepEqual(decodeMessage(encodeMessage(m)), m)
    }))
  })

  void it('drops unknown fields when encoding and refuses them when decoding', () => {
    const m = { id: 'a', peer: 'p', direction: 'in', from: 'p', name: '', text: 't', ts: 1 } as const
    assert.deepEqual(decodeMessage(encodeMessage({ ...m, extra: 1 } as ChatMessage)), m)
    assert.throws(() => decodeMessage(new TextEncoder().encode(JSON.stringify({ ...m, extra: 1 }))), Error)
    assert.throws(() => decodeMessage(new TextEncoder().encode(JSON.stringify({ ...m, status: 'sent' }))), Error)
  })

  void it('either decodes arbitrary bytes into a valid record or throws', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.json().map(j => new TextEncoder().encode(j)),
      chatMessage.chain(m => fc.record({ key: fc.constantFrom(...Object.keys(m)), value: fc.jsonValue() })
        .map(({ key, value }) => new TextEncoder().encode(JSON.stringify({ ...m, [key]: value }))))
    )
    fc.assert(fc.property(bytes, data => {
      for (const decode of [decodeMessage, decodePeer, decodeRequestEntry]) {
        let decoded: unknown
        try {
          decoded = decode(data)
        } catch (err) {
          assert.ok(err instanceof Error)
          continue
        }
        if (decode === decodeMessage) {
          assert.equal(messageProblem(decoded, true), undefined)
        }
      }
    }))
  })

  void it('round-trips peers and request entries and validates them strictly', () => {
    const peer = { peerId: 'p', name: 'n', addrs: ['/ip4/1.2.3.4/tcp/1'], firstSeen: 1, lastSeen: 2 }
    assert.deepEqual(decodePeer(encodePeer(peer)), peer)
    const anonymous = { peerId: peer.peerId, addrs: peer.addrs, firstSeen: peer.firstSeen, lastSeen: peer.lastSeen }
    assert.deepEqual(decodePeer(encodePeer(anonymous)), anonymous)
    const encoder = new TextEncoder()
    assert.throws(() => decodePeer(encoder.encode(JSON.stringify({ ...peer, firstSeen: 3 }))), Error)
    assert.throws(() => decodePeer(encoder.encode(JSON.stringify({ ...peer, addrs: [1] }))), Error)
    assert.deepEqual(decodeRequestEntry(encodeRequestEntry({ peer: 'p', bytes: 7 })), { peer: 'p', bytes: 7 })
    assert.throws(() => decodeRequestEntry(encoder.encode('{"peer":"p","bytes":1.5}')), Error)
    assert.throws(() => decodeRequestEntry(encoder.encode('{"peer":"p","bytes":-1}')), Error)
    assert.throws(() => decodeRequestEntry(encoder.encode('{"peer":"a b","bytes":1}')), Error)
    assert.throws(() => decodeRequestEntry(encoder.encode('{"peer":"p","bytes":1,"x":0}')), Error)
  })

  void it('pads stored messages so that size shows neither direction nor status, and peers to the same buckets', () => {
    fc.assert(fc.property(chatMessage, m => {
      const sizes = new Set<number>()
      const incoming = { ...m, direction: 'in' as const }
      delete incoming.status
      sizes.add(encodeMessage(incoming).length)
      for (const status of ['pending', 'sent', 'delivered', 'read'] as const) {
        sizes.add(encodeMessage({ ...m, direction: 'out', status }).length)
      }
      assert.equal(sizes.size, 1)
      const [size] = sizes
      assert.equal((size ?? 1) % 256, 0)
      assert.deepEqual(decodeMessage(encodeMessage(m)), m)
    }))
    const peer = { peerId: 'p', addrs: [], firstSeen: 1, lastSeen: 2 }
    assert.equal(encodePeer(peer).length, 256)
    assert.equal(encodePeer({ ...peer, relation: 'contact', verified: true }).length, 256)
  })
})
