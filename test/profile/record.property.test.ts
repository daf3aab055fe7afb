/**
 * Property tests of the /securechat/profile/1.0.0 decoder (openProfile): a
 * libp2p signed envelope (RFC 0002) around our Profile message. Arbitrary
 * bytes, envelopes built field by field (any key, payload type, payload and
 * signature), valid envelopes mutated (test/fuzz/mutations.ts) and payloads
 * mutated and then signed by the right key (so that they reach the Profile
 * decoder and the nickname rule) each end in a profile or in the typed error
 * of the first check docs/PROTOCOL.md ("Profiles", "Checks") lists, never in
 * another exception. Valid profiles round-trip, for Ed25519 and secp256k1
 * signers.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { PROFILE_CODEC, PROFILE_DOMAIN } from '../../src/profile/constants.ts'
import { Profile } from '../../src/profile/pb/profile.ts'
import { openProfile, sealProfile } from '../../src/profile/record.ts'
import { ProtocolViolationError } from '../../src/protocol/errors.ts'
import { nicknameProblem } from '../../src/protocol/nickname.ts'
import { concat, mutate, mutations, varint } from '../fuzz/mutations.ts'
import type { ProfileFields } from '../../src/profile/record.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** What openProfile may throw (src/profile/errors.ts); StaleProfileError is the service's, not the record's */
const PROFILE_ERRORS = new Set(['InvalidProfileError', 'UnexpectedProfileSignerError', 'InvalidProfileSignatureError'])

function typed (err: unknown): boolean {
  assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`)
  assert.ok(PROFILE_ERRORS.has(err.name), `untyped failure ${err.name}: ${err.message}`)
  assert.ok(err instanceof ProtocolViolationError, `${err.name} is not a ProtocolViolationError`)
  return true
}

/** The profile, or undefined after a typed error */
async function opened (data: Uint8Array, remote: PeerId): Promise<ProfileFields | undefined> {
  try {
    return await openProfile(data, remote)
  } catch (err) {
    typed(err)
    return undefined
  }
}

/** A length-delimited protobuf field */
const field = (n: number, value: Uint8Array): Uint8Array => concat(varint(n * 8 + 2), varint(value.byteLength), value)

/** libp2p's Envelope message, written field by field so that any field may hold anything */
function envelope (publicKey: Uint8Array, payloadType: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return concat(field(1, publicKey), field(2, payloadType), field(3, payload), field(5, signature))
}

/** What RFC 0002 signs, written from the spec (docs/PROTOCOL.md), not from the library */
function signedBytes (domain: string, payloadType: Uint8Array, payload: Uint8Array): Uint8Array {
  const d = uint8ArrayFromString(domain)
  return concat(varint(d.byteLength), d, varint(payloadType.byteLength), payloadType, varint(payload.byteLength), payload)
}

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // fields 1 to 6 with length-delimited values, right lengths or not
  fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 80 }), fc.option(fc.nat(1 << 16))).map(([n, v, lie]) => concat(varint(n * 8 + 2), varint(lie ?? v.byteLength), v)), { maxLength: 6 }).map(parts => concat(...parts))
)

const goodNickname = fc.oneof(
  fc.constantFrom('bob', 'José', '李小龙', 'محمد', '👨\u200d👩\u200d👧 family'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
).filter(n => nicknameProblem(n) == null)
const anyNickname = fc.oneof(goodNickname, fc.string({ unit: 'binary', maxLength: 70 }))
const seq = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })

interface Signer { key: PrivateKey, id: PeerId }

async function signer (type: 'Ed25519' | 'secp256k1'): Promise<Signer> {
  const key = await generateKeyPair(type)
  return { key, id: peerIdFromPrivateKey(key) }
}

void describe('profile record decoder (property)', () => {
  void it('arbitrary bytes: a profile error, never an untyped one', async () => {
    const bob = await signer('Ed25519')
    await fc.assert(fc.asyncProperty(anyBytes, async (data) => {
      await opened(data, bob.id)
    }), { numRuns: 1000 })
  })

  void it('envelopes built field by field fail at the first check of the spec\'s order, else open to their fields', async () => {
    const remotes = { Ed25519: await signer('Ed25519'), secp256k1: await signer('secp256k1') }
    const other = await signer('Ed25519')
    const cases = fc.record({
      remote: fc.constantFrom<keyof typeof remotes>('Ed25519', 'Ed25519', 'secp256k1'),
      /** whose key the envelope carries, or a key that does not parse */
      key: fc.constantFrom('remote', 'remote', 'remote', 'other', 'truncated', 'unknown-type'),
      // weighted towards good fields, so that a valid profile comes about once in 9 runs
      // (unweighted, 8 times a run: a run could miss it)
      payloadType: fc.oneof({ arbitrary: fc.constant(PROFILE_CODEC), weight: 3 }, fc.constant(uint8ArrayFromString('/libp2p/routing-state-record')), fc.uint8Array({ maxLength: 30 })),
      payload: fc.oneof(
        { arbitrary: fc.record({ nickname: fc.oneof({ arbitrary: goodNickname, weight: 3 }, anyNickname), seq }).map(p => ({ ...p, bytes: Profile.encode(p) })), weight: 3 },
        fc.uint8Array({ maxLength: 60 }).map(bytes => ({ bytes }))
      ),
      /** signed by the carried key for our domain, for another, by another key, or a random signature */
      signature: fc.constantFrom('ours', 'ours', 'ours', 'other-domain', 'other-key', 'random')
    })
    const seen = new Set<string>()
    await fc.assert(fc.asyncProperty(cases, async (c) => {
      const remote = remotes[c.remote]
      const carried = c.key === 'other' ? other : remote
      const keyBytes = c.key === 'truncated'
        ? publicKeyToProtobuf(remote.key.publicKey).subarray(0, 10)
        : c.key === 'unknown-type' ? concat(Uint8Array.of(0x08, 0x07), field(2, randomBytes(32))) : publicKeyToProtobuf(carried.key.publicKey)
      const signature = c.signature === 'random'
        ? randomBytes(64)
        : await (c.signature === 'other-key' ? (carried === other ? remote : other) : carried).key.sign(signedBytes(c.signature === 'other-domain' ? 'libp2p-peer-record' : PROFILE_DOMAIN, c.payloadType, c.payload.bytes))

      // the payload decodes as a Profile exactly when it was written as one: random bytes may decode too, so ask protons
      let decoded: Profile | undefined
      try { decoded = Profile.decode(c.payload.bytes) } catch { decoded = undefined }

      const expected = c.key === 'truncated' || c.key === 'unknown-type'
        ? 'InvalidProfileError'
        : c.key === 'other'
          ? 'UnexpectedProfileSignerError'
          : !Buffer.from(c.payloadType).equals(PROFILE_CODEC)
              ? 'InvalidProfileError'
              : c.signature !== 'ours'
                ? 'InvalidProfileSignatureError'
                : decoded == null || nicknameProblem(decoded.nickname) != null ? 'InvalidProfileError' : undefined

      const data = envelope(keyBytes, c.payloadType, c.payload.bytes, new Uint8Array(signature))

      seen.add(expected ?? 'valid')

      if (expected == null) {
        assert.deepEqual(await openProfile(data, remote.id), { nickname: decoded?.nickname, seq: decoded?.seq })
      } else {
        await assert.rejects(openProfile(data, remote.id), (err: Error) => typed(err) && err.name === expected)
      }
    }), { numRuns: 300 })
    assert.deepEqual([...seen].sort(), ['InvalidProfileError', 'InvalidProfileSignatureError', 'UnexpectedProfileSignerError', 'valid'], 'every outcome was reached')
  })

  void it('a valid envelope mutated: a profile error, or it opens to exactly the profile signed', async () => {
    const bob = await signer('Ed25519')
    const valid = await sealProfile({ nickname: 'bob', seq: 1_700_000_000_000n }, bob.key)
    let accepted = 0
    await fc.assert(fc.asyncProperty(mutations, async (m) => {
      const got = await opened(mutate(valid, m), bob.id)

      if (got != null) {
        accepted++
        assert.deepEqual(got, { nickname: 'bob', seq: 1_700_000_000_000n })
      }
    }), { numRuns: 600 })
    assert.ok(accepted > 0, 'no mutation kept the envelope valid: the generator is too blunt')
  })

  void it('a profile payload mutated and signed by the right key: InvalidProfileError, or a profile whose nickname passes the rule', async () => {
    const bob = await signer('Ed25519')
    const key = publicKeyToProtobuf(bob.key.publicKey)
    const valid = Profile.encode({ nickname: 'bob', seq: 1n })
    await fc.assert(fc.asyncProperty(mutations, async (m) => {
      const payload = mutate(valid, m)
      const data = envelope(key, PROFILE_CODEC, payload, await bob.key.sign(signedBytes(PROFILE_DOMAIN, PROFILE_CODEC, payload)))
      const got = await opened(data, bob.id)

      if (got != null) {
        assert.equal(nicknameProblem(got.nickname), undefined)
        assert.deepEqual(got, { nickname: Profile.decode(payload).nickname, seq: Profile.decode(payload).seq })
      } else {
        await assert.rejects(openProfile(data, bob.id), { name: 'InvalidProfileError' })
      }
    }), { numRuns: 400 })
  })

  void it('round trip: every valid nickname and seq, signed by an Ed25519 or a secp256k1 key', async () => {
    const signers = [await signer('Ed25519'), await signer('secp256k1')]
    await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), goodNickname, seq, async (i, nickname, s) => {
      const who = signers[i] ?? signers[0]
      assert.ok(who != null)
      assert.deepEqual(await openProfile(await sealProfile({ nickname, seq: s }, who.key), who.id), { nickname, seq: s })
    }), { numRuns: 100 })
  })
})
