/**
 * Room keys: known answers (computed independently, with Python's hashlib
 * scrypt and hmac, from docs/PROTOCOL.md "Rooms"), what a name and a key
 * change, and that a membership tag binds every part of its meeting.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidRoomKeyError, InvalidRoomNameError } from '../../src/rooms/errors.ts'
import { NAMESPACE_CHARS, canonicalRoomName, deriveRoomKeys, membershipTag, rendezvousNamespace, roomNameProblem, utcDay } from '../../src/rooms/room-keys.ts'
import type { MembershipContext } from '../../src/rooms/room-keys.ts'

/** 1 MiB instead of 128: for tests of anything but the cost itself */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

void describe('room keys', () => {
  void it('known answers at the real cost: room "demo" without a key', async () => {
    const keys = await deriveRoomKeys('demo', undefined)
    assert.equal(keys.id, '5b4841584e6830d200188e8808473261')
    assert.equal(rendezvousNamespace(keys.rendezvousKey, '12D3KooWRelay', '2026-12-01'), 'ioFg3FA3d_fyOwhwj45Dfg')
    const context: MembershipContext = { initiator: new Uint8Array([1, 2]), responder: new Uint8Array([3, 4]), initiatorNonce: new Uint8Array(32).fill(5), responderNonce: new Uint8Array(32).fill(6) }
    assert.equal(hex(membershipTag(keys.proofKey, context, 'initiator')), '56d6a9c2aba23a3a26a860088d8f2f72')
  })

  void it('one room however its name is typed; another name or key is another room', async () => {
    const ids = async (name: string, key?: string): Promise<string> => (await deriveRoomKeys(name, key, { params: CHEAP })).id
    const demo = await ids('demo')
    assert.equal(await ids('Demo'), demo)
    assert.equal(await ids('ｄｅｍｏ'), demo, 'full width is NFKC-folded')
    assert.notEqual(await ids('demo2'), demo)
    assert.notEqual(await ids('demo', 'k'), demo)
    assert.notEqual(await ids('demo', 'K'), await ids('demo', 'k'), 'keys are case-sensitive')
    assert.equal(await ids('café', 'e\u0301'), await ids('cafe\u0301', 'é'), 'NFC: composed and decomposed are one')
    assert.equal(await ids('STRASSE'), await ids('straße'), 'case folded, not only lower-cased')
    assert.equal(await ids('ΟΔΟΣ'), await ids('οδοσ'))
    assert.equal(await ids('οδος'), await ids('οδοσ'), 'final sigma is sigma')
    assert.equal(await ids('STRAẞE'), await ids('strasse'), 'capital sharp s too')
    // name || NUL || key cannot be shifted: ("ab", "c") and ("a", "bc") differ
    assert.notEqual(await ids('ab', 'c'), await ids('a', 'bc'))
  })

  void it('the three keys differ from each other', async () => {
    const keys = await deriveRoomKeys('demo', undefined, { params: CHEAP })
    assert.notEqual(hex(keys.proofKey), hex(keys.rendezvousKey))
    assert.ok(!hex(keys.proofKey).startsWith(keys.id) && !hex(keys.rendezvousKey).startsWith(keys.id))
  })

  void it('refuses names and keys that are not one word of sane size, with typed errors', async () => {
    for (const bad of ['', ' ', 'two words', 'tab\there', 'nul\0', 'zero\u200bwidth', '#demo', 'x'.repeat(65),
      'demo\u3164', 'demo\u034f', 'demo\ufe0f', 'demo\u2800', 'a\ud800', 'a\udc00']) {
      assert.ok(roomNameProblem(bad) !== undefined, JSON.stringify(bad))
      await assert.rejects(deriveRoomKeys(bad, undefined, { params: CHEAP }), InvalidRoomNameError)
    }
    for (const good of ['demo', 'équipe', '李小龙', 'a-b_c.d', 'x'.repeat(64)]) {
      assert.equal(roomNameProblem(good), undefined, good)
    }
    await assert.rejects(deriveRoomKeys('demo', '', { params: CHEAP }), InvalidRoomKeyError)
    await assert.rejects(deriveRoomKeys('demo', 'k'.repeat(257), { params: CHEAP }), InvalidRoomKeyError)
    await assert.rejects(deriveRoomKeys('demo', 'a\ud800', { params: CHEAP }), InvalidRoomKeyError)
    assert.equal(canonicalRoomName('DEMO'), 'demo')
  })

  void it('a namespace is short, changes with the day and the relay, and says nothing of the name', async () => {
    const keys = await deriveRoomKeys('demo', undefined, { params: CHEAP })
    const ns = rendezvousNamespace(keys.rendezvousKey, 'relayA', '2026-12-01')
    assert.equal(ns.length, NAMESPACE_CHARS)
    assert.match(ns, /^[A-Za-z0-9_-]+$/)
    assert.notEqual(rendezvousNamespace(keys.rendezvousKey, 'relayA', '2026-12-02'), ns)
    assert.notEqual(rendezvousNamespace(keys.rendezvousKey, 'relayB', '2026-12-01'), ns)
    assert.ok(!ns.toLowerCase().includes('demo'))
    assert.equal(utcDay(Date.UTC(2026, 11, 1, 23, 59, 59)), '2026-12-01')
    assert.equal(utcDay(Date.UTC(2026, 11, 2, 0, 0, 0)), '2026-12-02')
  })

  void it('a membership tag binds the key, both peers, both nonces and who proves', async () => {
    const keys = await deriveRoomKeys('demo', undefined, { params: CHEAP })
    const other = await deriveRoomKeys('demo', 'secret', { params: CHEAP })
    const context: MembershipContext = { initiator: new Uint8Array([1, 2]), responder: new Uint8Array([3, 4]), initiatorNonce: new Uint8Array(32).fill(5), responderNonce: new Uint8Array(32).fill(6) }
    const tag = hex(membershipTag(keys.proofKey, context, 'initiator'))
    const variants = [
      membershipTag(other.proofKey, context, 'initiator'),
      membershipTag(keys.proofKey, context, 'responder'),
      membershipTag(keys.proofKey, { ...context, initiator: context.responder, responder: context.initiator }, 'initiator'),
      membershipTag(keys.proofKey, { ...context, initiatorNonce: new Uint8Array(32).fill(7) }, 'initiator'),
      membershipTag(keys.proofKey, { ...context, responderNonce: new Uint8Array(32).fill(7) }, 'initiator'),
      membershipTag(keys.proofKey, { ...context, initiator: new Uint8Array([1, 2, 3]) }, 'initiator')
    ]
    for (const v of variants) assert.notEqual(hex(v), tag)
    assert.equal(hex(membershipTag(keys.proofKey, context, 'initiator')), tag, 'deterministic')
  })

  void it('folding a folded name changes nothing, for every code point', () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue
      const once = canonicalRoomName(String.fromCodePoint(cp))
      if (canonicalRoomName(once) !== once) assert.fail(`U+${cp.toString(16)}: ${JSON.stringify(once)} folds again to ${JSON.stringify(canonicalRoomName(once))}`)
    }
  })
})
