/**
 * Key encoding (store format 2): keyed hashes that depend on the key and on
 * every part, domains kept apart, history keys in seq order, one
 * conversation's range free of every other, and decoding total.
 */
import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_SEQ } from '../../src/store/constants.ts'
import {
  conversationRange, decodeHistoryKey, deriveNamesKey, encodeHistoryKey, isKeyPart, isPeerKey, isRoomId, KeyNames
} from '../../src/store/keys.ts'

const keyPart = fc.string({ unit: fc.integer({ min: 0x22, max: 0x7e }).map(c => String.fromCharCode(c)), minLength: 1, maxLength: 60 })
const seq = fc.integer({ min: 0, max: MAX_SEQ })

function names (): KeyNames {
  return new KeyNames(deriveNamesKey(createSecretKey(randomBytes(32))))
}

/** LevelDB compares keys bytewise; for ASCII that is code-unit order */
function compareBytes (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

void describe('store keys', () => {
  void it('names peers and messages by keyed hashes that contain neither', () => {
    const a = names()
    const b = names()
    fc.assert(fc.property(keyPart, keyPart, (peer, id) => {
      for (const key of [a.peer(peer), a.conversation(peer), a.message(peer, id)]) {
        assert.match(key, /^[PCM][A-Za-z0-9_-]{22}$/)
        assert.equal(key.includes(peer) && peer.length > 3, false)
      }
      assert.ok(isPeerKey(a.peer(peer)))
      assert.equal(a.peer(peer), a.peer(peer), 'deterministic')
      assert.notEqual(a.peer(peer), b.peer(peer), 'depends on the key')
      assert.notEqual(a.peer(peer).slice(1), a.conversation(peer).slice(1), 'domains apart')
    }), { numRuns: 300 })
    // every part counts, and parts cannot slide into each other
    const n = names()
    assert.notEqual(n.message('ab', 'c'), n.message('a', 'bc'))
    assert.notEqual(n.peer('peer1'), n.peer('peer2'))
  })

  void it('names rooms by a keyed hash of their id, in a domain of their own', () => {
    const a = names()
    const b = names()
    const roomId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(bytes => Buffer.from(bytes).toString('hex'))
    fc.assert(fc.property(roomId, id => {
      const key = a.room(id)
      assert.match(key, /^R[A-Za-z0-9_-]{22}$/)
      assert.equal(a.room(id), key, 'deterministic')
      assert.notEqual(b.room(id), key, 'depends on the key')
      // the same text as a peer is another hash
      assert.notEqual(a.peer(id).slice(1), key.slice(1))
    }), { numRuns: 300 })
    for (const bad of ['', 'A'.repeat(32), 'g'.repeat(32), '0'.repeat(31), '0'.repeat(33), ' '.repeat(32), 32, undefined]) {
      assert.equal(isRoomId(bad), false)
      assert.throws(() => a.room(bad as string), TypeError)
    }
  })

  void it('derives one names key per data key', () => {
    const dataKey = createSecretKey(randomBytes(32))
    const first = new KeyNames(deriveNamesKey(dataKey))
    const second = new KeyNames(deriveNamesKey(dataKey))
    assert.equal(first.peer('p'), second.peer('p'))
  })

  void it('orders a conversation by seq and decodes what it encodes, nothing else', () => {
    const conversation = names().conversation('p')
    fc.assert(fc.property(seq, seq, (s1, s2) => {
      const k1 = encodeHistoryKey({ conversation, seq: s1 })
      const k2 = encodeHistoryKey({ conversation, seq: s2 })
      assert.equal(Math.sign(compareBytes(k1, k2)), Math.sign(s1 - s2))
      assert.deepEqual(decodeHistoryKey(k1), { conversation, seq: s1 })
    }), { numRuns: 1000 })
    fc.assert(fc.property(fc.string({ maxLength: 60 }), text => {
      const decoded = decodeHistoryKey(text)
      if (decoded !== undefined) {
        assert.equal(encodeHistoryKey(decoded), text)
      }
    }))
  })

  void it('keeps one conversation range free of every other', () => {
    const n = names()
    fc.assert(fc.property(keyPart, keyPart, seq, (peer, other, s) => {
      const { gt, lt } = conversationRange(n.conversation(peer))
      const key = encodeHistoryKey({ conversation: n.conversation(other), seq: s })
      assert.equal(compareBytes(key, gt) > 0 && compareBytes(key, lt) < 0, peer === other)
    }), { numRuns: 1000 })
  })

  void it('refuses ids that are not key parts and seqs out of range', () => {
    const n = names()
    for (const bad of ['', 'a!b', 'a b', 'é', 'a\nb', 'x'.repeat(257), 1, undefined]) {
      assert.equal(isKeyPart(bad), false)
      assert.throws(() => n.message(bad as string, 'id'), TypeError)
      assert.throws(() => n.message('peer', bad as string), TypeError)
      assert.throws(() => n.conversation(bad as string), TypeError)
      assert.throws(() => n.peer(bad as string), TypeError)
    }
    const conversation = n.conversation('p')
    for (const bad of [-1, MAX_SEQ + 1, 1.5, Number.NaN]) {
      assert.throws(() => encodeHistoryKey({ conversation, seq: bad }), TypeError)
    }
    assert.throws(() => encodeHistoryKey({ conversation: 'p', seq: 0 }), TypeError)
    assert.throws(() => encodeHistoryKey({ conversation: n.peer('p'), seq: 0 }), TypeError)
  })
})
