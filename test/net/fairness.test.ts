/**
 * The connection fairness policy, pure: every branch and each bound at
 * exactly its value and one below, and the limits it refuses to take.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_CONNECTIONS_PER_PEER, MAX_STRANGER_CONNECTIONS } from '../../src/net/constants.ts'
import { checkLimits, refusal } from '../../src/net/fairness.ts'
import { fairnessLimits } from '../../src/net/gater.ts'
import { MAX_CONNECTIONS } from '../../src/protocol/constants.ts'
import type { ConnectionCounts, FairnessLimits, PeerKind } from '../../src/net/fairness.ts'

const limits: FairnessLimits = { maxConnections: 10, maxStrangerConnections: 6, maxConnectionsPerPeer: 3 }
const idle: ConnectionCounts = { peer: 0, strangers: 0, total: 0 }
const KINDS: PeerKind[] = ['contact', 'stranger', 'blocked', 'relay']

void describe('refusal', () => {
  void it('lets anyone but a blocked peer in when nothing is held', () => {
    assert.equal(refusal('contact', idle, limits), undefined)
    assert.equal(refusal('stranger', idle, limits), undefined)
    assert.equal(refusal('relay', idle, limits), undefined)
    assert.equal(refusal('blocked', idle, limits), 'blocked')
  })

  void it('refuses a blocked peer whatever the counts', () => {
    fc.assert(fc.property(fc.nat(20), fc.nat(20), fc.nat(20), (peer, strangers, total) => {
      assert.equal(refusal('blocked', { peer, strangers, total }, limits), 'blocked')
    }))
  })

  void it('caps each peer id, contacts and relays included: one below the cap is fine, at the cap refused', () => {
    for (const kind of ['contact', 'stranger', 'relay'] as const) {
      assert.equal(refusal(kind, { peer: 2, strangers: 2, total: 2 }, limits), undefined, kind)
      assert.equal(refusal(kind, { peer: 3, strangers: 3, total: 3 }, limits), 'peer-limit', kind)
      assert.equal(refusal(kind, { peer: 4, strangers: 4, total: 4 }, limits), 'peer-limit', kind)
    }
  })

  void it('keeps strangers to their share: the last stranger slot is taken, the next refused', () => {
    assert.equal(refusal('stranger', { peer: 0, strangers: 5, total: 5 }, limits), undefined)
    assert.equal(refusal('stranger', { peer: 0, strangers: 6, total: 6 }, limits), 'stranger-budget')
    assert.equal(refusal('stranger', { peer: 1, strangers: 6, total: 9 }, limits), 'stranger-budget')
  })

  void it('lets contacts use the whole budget, strangers share or not', () => {
    assert.equal(refusal('contact', { peer: 0, strangers: 6, total: 6 }, limits), undefined)
    assert.equal(refusal('contact', { peer: 0, strangers: 6, total: 9 }, limits), undefined)
    assert.equal(refusal('contact', { peer: 0, strangers: 6, total: 10 }, limits), 'budget')
    assert.equal(refusal('contact', { peer: 0, strangers: 0, total: 10 }, limits), 'budget')
  })

  void it('refuses a stranger when contacts have filled the budget, whatever its share', () => {
    assert.equal(refusal('stranger', { peer: 0, strangers: 0, total: 9 }, limits), undefined)
    assert.equal(refusal('stranger', { peer: 0, strangers: 0, total: 10 }, limits), 'budget')
  })

  void it('never refuses a relay for the budget or the strangers\' share', () => {
    assert.equal(refusal('relay', { peer: 0, strangers: 6, total: 10 }, limits), undefined)
    assert.equal(refusal('relay', { peer: 0, strangers: 60, total: 100 }, limits), undefined)
  })

  void it('admits nobody but relays past the budget, and nobody past the per-peer cap (property)', () => {
    fc.assert(fc.property(fc.constantFrom(...KINDS), fc.nat(12), fc.nat(12), fc.nat(12), (kind, peer, strangers, total) => {
      const why = refusal(kind, { peer, strangers, total }, limits)

      if (why == null) {
        assert.notEqual(kind, 'blocked')
        assert.ok(peer < limits.maxConnectionsPerPeer)
        assert.ok(kind === 'relay' || total < limits.maxConnections)
        assert.ok(kind !== 'stranger' || strangers < limits.maxStrangerConnections)
      }
    }))
  })
})

void describe('checkLimits and the defaults', () => {
  void it('refuses limits that make no sense', () => {
    assert.throws(() => checkLimits({ ...limits, maxConnections: 0 }), TypeError)
    assert.throws(() => checkLimits({ ...limits, maxStrangerConnections: 0 }), TypeError)
    assert.throws(() => checkLimits({ ...limits, maxConnectionsPerPeer: 0 }), TypeError)
    assert.throws(() => checkLimits({ ...limits, maxConnections: 1.5 }), TypeError)
    assert.throws(() => checkLimits({ ...limits, maxStrangerConnections: 11 }), TypeError)
    assert.deepEqual(checkLimits({ ...limits, maxStrangerConnections: 10 }), { ...limits, maxStrangerConnections: 10 })
  })

  void it('defaults to the constants, and a smaller budget caps the strangers\' default share', () => {
    assert.deepEqual(fairnessLimits(), { maxConnections: MAX_CONNECTIONS, maxStrangerConnections: MAX_STRANGER_CONNECTIONS, maxConnectionsPerPeer: MAX_CONNECTIONS_PER_PEER })
    assert.deepEqual(fairnessLimits({ maxConnections: 20 }), { maxConnections: 20, maxStrangerConnections: 20, maxConnectionsPerPeer: MAX_CONNECTIONS_PER_PEER })
    assert.ok(MAX_STRANGER_CONNECTIONS < MAX_CONNECTIONS, 'some slots stay free for contacts')
  })
})
