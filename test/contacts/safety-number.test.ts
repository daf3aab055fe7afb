/**
 * Safety numbers against libsignal's published vector (rust/protocol/src/
 * fingerprint.rs `fingerprint_test_v1`, the same numbers as Java's
 * NumericFingerprintGeneratorTest `testVectors`), our own vector from
 * docs/PROTOCOL.md, and an independent re-implementation.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPairFromSeed, publicKeyFromRaw, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import {
  SAFETY_NUMBER_ITERATIONS, SAFETY_NUMBER_VERSION, checkSafetyPayload, formatSafetyNumber, safetyNumber, scannableSafetyPayload
} from '../../src/contacts/safety-number.ts'
import type { SafetyNumberParty } from '../../src/contacts/safety-number.ts'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const digit = fc.constantFrom(...'0123456789')
const sixtyDigits = fc.string({ unit: digit, minLength: 60, maxLength: 60 })

// libsignal's test identities: its 33-byte key encoding (0x05, the DJB type
// byte, then the Curve25519 key) and phone numbers as stable identifiers.
const SIGNAL_ALICE = { publicKey: hex('0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868'), id: '+14152222222' }
const SIGNAL_BOB = { publicKey: hex('05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b'), id: '+14153333333' }
const SIGNAL_DISPLAYABLE = '300354477692869396892869876765458257569162576843440918079131'
// The first 32 bytes of each side's final hash, as libsignal's scannable
// fingerprint carries them (ALICE_SCANNABLE_FINGERPRINT_V1, after the
// protobuf tags 0a20 and 1a220a20).
const SIGNAL_ALICE_HASH32 = '1e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df'
const SIGNAL_BOB_HASH32 = 'd62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d'

// Ours, as in docs/PROTOCOL.md: the public keys of RFC 8032 section 7.1
// TEST 1 and TEST 2, in libp2p's protobuf encoding, with their peer ids.
const RFC8032_TEST1 = publicKeyFromRaw(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))
const RFC8032_TEST2 = publicKeyFromRaw(hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'))
const OUR_VECTOR = '066734964277886313851977314002522156210035501675650851842307'

/**
 * Written apart from src/: the Java shape (the loop starts from the unhashed
 * concatenation and hashes it `iterations` times), createHash, Buffer.concat,
 * BigInt for the 40-bit chunks, and the order by sorting.
 */
function referenceHash (party: SafetyNumberParty, iterations: number, version: number): Buffer {
  const key = Buffer.from(party.publicKey)
  let state = Buffer.concat([Buffer.from([version >> 8, version & 0xff]), key, Buffer.from(party.id, 'utf8')])
  for (let i = 0; i < iterations; i++) {
    state = createHash('sha512').update(Buffer.concat([state, key])).digest()
  }
  return state
}

function referenceDigits (hash: Buffer): string {
  const chunks: string[] = []
  for (let i = 0; i < 6; i++) {
    const n = BigInt('0x' + hash.subarray(i * 5, i * 5 + 5).toString('hex')) % 100000n
    chunks.push(n.toString().padStart(5, '0'))
  }
  return chunks.join('')
}

function referenceSafetyNumber (a: SafetyNumberParty, b: SafetyNumberParty, iterations: number, version: number): string {
  return [a, b].map(p => referenceDigits(referenceHash(p, iterations, version))).sort().join('')
}

async function libp2pParty (seed: Uint8Array): Promise<SafetyNumberParty> {
  const key = (await generateKeyPairFromSeed('Ed25519', seed)).publicKey
  return { publicKey: publicKeyToProtobuf(key), id: peerIdFromPublicKey(key).toString() }
}

const ourParty = (key: typeof RFC8032_TEST1): SafetyNumberParty => ({ publicKey: publicKeyToProtobuf(key), id: peerIdFromPublicKey(key).toString() })

void describe('safetyNumber', () => {
  void it('rejects bad parameters and inputs with TypeError', () => {
    for (const iterations of [0, 1, 1.5, 1_000_001, Number.NaN]) {
      assert.throws(() => safetyNumber(SIGNAL_ALICE, SIGNAL_BOB, { iterations }), TypeError)
    }
    for (const version of [-1, 65536, 0.5]) {
      assert.throws(() => safetyNumber(SIGNAL_ALICE, SIGNAL_BOB, { iterations: 2, version }), TypeError)
    }
    assert.throws(() => safetyNumber({ publicKey: new Uint8Array(), id: 'a' }, SIGNAL_BOB, { iterations: 2 }), TypeError)
    assert.throws(() => safetyNumber(SIGNAL_ALICE, { publicKey: 'key' as unknown as Uint8Array, id: 'b' }, { iterations: 2 }), TypeError)
  })

  void it('reproduces libsignal\'s vector (5200 iterations, version 0), from either side', () => {
    assert.equal(SAFETY_NUMBER_ITERATIONS, 5200)
    assert.equal(SAFETY_NUMBER_VERSION, 0)
    assert.equal(safetyNumber(SIGNAL_ALICE, SIGNAL_BOB), SIGNAL_DISPLAYABLE)
    assert.equal(safetyNumber(SIGNAL_BOB, SIGNAL_ALICE), SIGNAL_DISPLAYABLE)
    assert.equal(safetyNumber(SIGNAL_ALICE, SIGNAL_BOB, { iterations: 5200, version: 0 }), SIGNAL_DISPLAYABLE)
  })

  void it('the reference re-implementation reproduces libsignal\'s hashes and number', () => {
    // checks the reference itself, byte for byte, so that agreeing with it means something
    assert.equal(referenceHash(SIGNAL_ALICE, 5200, 0).subarray(0, 32).toString('hex'), SIGNAL_ALICE_HASH32)
    assert.equal(referenceHash(SIGNAL_BOB, 5200, 0).subarray(0, 32).toString('hex'), SIGNAL_BOB_HASH32)
    assert.equal(referenceSafetyNumber(SIGNAL_ALICE, SIGNAL_BOB, 5200, 0), SIGNAL_DISPLAYABLE)
  })

  void it('reproduces the docs/PROTOCOL.md vector (RFC 8032 keys, protobuf-encoded, peer ids)', () => {
    const a = ourParty(RFC8032_TEST1)
    const b = ourParty(RFC8032_TEST2)
    assert.equal(Buffer.from(a.publicKey).toString('hex'), '08011220d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    assert.equal(a.id, '12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV')
    assert.equal(Buffer.from(b.publicKey).toString('hex'), '080112203d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
    assert.equal(b.id, '12D3KooWDwTirQce1RRKnasT5fPVFgzXCy6SiRgSwrwPGLC7zE91')
    assert.equal(safetyNumber(a, b), OUR_VECTOR)
    assert.equal(safetyNumber(b, a), OUR_VECTOR)
  })

  void it('is 60 digits, symmetric, and changes with either key, either id, the version or the iterations', () => {
    const a = ourParty(RFC8032_TEST1)
    const b = ourParty(RFC8032_TEST2)
    const n = safetyNumber(a, b)
    assert.match(n, /^[0-9]{60}$/)

    const flipped = Uint8Array.from(b.publicKey)
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 0x01
    const others = [
      safetyNumber(a, { ...b, publicKey: flipped }),
      safetyNumber({ ...a, publicKey: SIGNAL_ALICE.publicKey }, b),
      safetyNumber(a, { ...b, id: b.id + ' ' }),
      safetyNumber(a, b, { version: 1 }),
      safetyNumber(a, b, { iterations: 5199 }),
      safetyNumber(SIGNAL_ALICE, SIGNAL_BOB)
    ]
    for (const other of others) {
      assert.match(other, /^[0-9]{60}$/)
      assert.notEqual(other, n)
    }
    // a changed key changes that side's 30 digits only
    const halves = (s: string): string[] => [s.slice(0, 30), s.slice(30)]
    const shared = halves(others[0] ?? '').filter(h => halves(n).includes(h))
    assert.equal(shared.length, 1)
  })

  void it('puts the smaller side first', () => {
    const n = safetyNumber(SIGNAL_ALICE, SIGNAL_BOB, { iterations: 2 })
    assert.ok(n.slice(0, 30) <= n.slice(30))
    const self = safetyNumber(SIGNAL_ALICE, SIGNAL_ALICE, { iterations: 2 })
    assert.equal(self.slice(0, 30), self.slice(30))
  })

  void it('agrees with the reference on arbitrary bytes, ids, iterations and versions (property)', () => {
    const party = fc.record({ publicKey: fc.uint8Array({ minLength: 1, maxLength: 80 }), id: fc.string({ unit: 'grapheme', maxLength: 40 }) })
    fc.assert(fc.property(party, party, fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 0xffff }), (a, b, iterations, version) => {
      const n = safetyNumber(a, b, { iterations, version })
      assert.equal(n, referenceSafetyNumber(a, b, iterations, version))
      assert.equal(safetyNumber(b, a, { iterations, version }), n)
    }), { numRuns: 200 })
  })

  void it('agrees with the reference on random Ed25519 identities at the real parameters (property)', async () => {
    // 5200 rounds each side: a handful of runs only
    const seed = fc.uint8Array({ minLength: 32, maxLength: 32 })
    await fc.assert(fc.asyncProperty(seed, seed, async (sa, sb) => {
      const a = await libp2pParty(sa)
      const b = await libp2pParty(sb)
      const n = safetyNumber(a, b)
      assert.equal(n, referenceSafetyNumber(a, b, SAFETY_NUMBER_ITERATIONS, SAFETY_NUMBER_VERSION))
      assert.equal(safetyNumber(b, a), n)
    }), { numRuns: 5 })
  })
})

void describe('formatSafetyNumber', () => {
  void it('rejects anything but 60 digits', () => {
    for (const bad of ['', '1'.repeat(59), '1'.repeat(61), '1'.repeat(59) + 'a', '１'.repeat(60), '1'.repeat(59) + '\n']) {
      assert.throws(() => formatSafetyNumber(bad), TypeError)
    }
    assert.throws(() => formatSafetyNumber(SIGNAL_DISPLAYABLE, { groupsPerLine: 0 }), TypeError)
  })

  void it('shows 12 groups of five, three lines of four by default', () => {
    assert.equal(formatSafetyNumber(SIGNAL_DISPLAYABLE),
      '30035 44776 92869 39689\n28698 76765 45825 75691\n62576 84344 09180 79131')
    assert.equal(formatSafetyNumber(SIGNAL_DISPLAYABLE, { groupsPerLine: 12 }),
      '30035 44776 92869 39689 28698 76765 45825 75691 62576 84344 09180 79131')
    assert.equal(formatSafetyNumber(SIGNAL_DISPLAYABLE, { groupsPerLine: 6 }).split('\n').length, 2)
  })

  void it('keeps the digits in order (property)', () => {
    fc.assert(fc.property(sixtyDigits, fc.integer({ min: 1, max: 13 }), (digits, groupsPerLine) => {
      const shown = formatSafetyNumber(digits, { groupsPerLine })
      assert.equal(shown.replace(/[ \n]/g, ''), digits)
      assert.ok(shown.split(/[ \n]/).every(g => g.length === 5))
    }))
  })
})

void describe('scannable payload', () => {
  void it('is the versioned text, all in QR\'s alphanumeric set, and scanning it matches', () => {
    assert.match(scannableSafetyPayload(SIGNAL_DISPLAYABLE), /^[0-9A-Z $%*+\-./:]+$/)
    assert.equal(scannableSafetyPayload(OUR_VECTOR), `SECURECHAT-SAFETY:1:${OUR_VECTOR}`)
    assert.throws(() => scannableSafetyPayload('123'), TypeError)
    assert.equal(checkSafetyPayload(scannableSafetyPayload(OUR_VECTOR), OUR_VECTOR), 'match')
  })

  void it('tells a mismatch, another version and garbage apart', () => {
    assert.equal(checkSafetyPayload(scannableSafetyPayload(SIGNAL_DISPLAYABLE), OUR_VECTOR), 'mismatch')
    assert.equal(checkSafetyPayload(`SECURECHAT-SAFETY:2:${OUR_VECTOR}`, OUR_VECTOR), 'unsupported-version')
    assert.equal(checkSafetyPayload('SECURECHAT-SAFETY:2:anything at all', OUR_VECTOR), 'unsupported-version')
    for (const bad of ['', OUR_VECTOR, `SECURECHAT-SAFETY:1:${OUR_VECTOR} `, `SECURECHAT-SAFETY:1:${OUR_VECTOR.slice(1)}`,
      `SECURECHAT-SAFETY:01:${OUR_VECTOR}`, `other:1:${OUR_VECTOR}`, `securechat-safety:1:${OUR_VECTOR}`, `SECURECHAT-SAFETY::${OUR_VECTOR}`]) {
      assert.equal(checkSafetyPayload(bad, OUR_VECTOR), 'malformed', bad)
    }
    assert.throws(() => checkSafetyPayload(OUR_VECTOR, 'not a number'), TypeError)
  })

  void it('never throws on scanned text, and matches only its own number (property)', () => {
    // mostly near misses: our prefix or not, some version, some tail
    const scanned = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.tuple(fc.constantFrom('SECURECHAT-SAFETY', 'securechat-safety', 'SECURECHAT', ''), fc.constantFrom('1', '2', '01', '', 'x', '4294967296'),
        fc.oneof(fc.constant(OUR_VECTOR), fc.string({ unit: digit, minLength: 58, maxLength: 62 }), fc.string({ maxLength: 70 })))
        .map(([prefix, version, tail]) => `${prefix}:${version}:${tail}`)
    )
    fc.assert(fc.property(scanned, (text) => {
      const result = checkSafetyPayload(text, OUR_VECTOR)
      assert.ok(['match', 'mismatch', 'unsupported-version', 'malformed'].includes(result))
      assert.equal(result === 'match', text === scannableSafetyPayload(OUR_VECTOR))
    }), { numRuns: 1000 })
    fc.assert(fc.property(sixtyDigits, (digits) => {
      assert.equal(checkSafetyPayload(scannableSafetyPayload(digits), OUR_VECTOR), digits === OUR_VECTOR ? 'match' : 'mismatch')
    }))
  })
})
