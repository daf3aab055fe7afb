/**
 * The write rate of room members who are not contacts: a burst, then a
 * steady rate, per (room, member); the table of buckets stays bounded.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RoomQuota } from '../../src/delivery/room-quota.ts'

void describe('room quota', () => {
  void it('lets a burst through, then one a second, per room and member', () => {
    const quota = new RoomQuota({ burst: 3, rate: 1 }, { burst: 100, rate: 100 })
    const taken = [0, 0, 0, 0].map(() => quota.take('r', 'm', 1_000))
    assert.deepEqual(taken, [true, true, true, false])
    assert.equal(quota.take('r', 'other', 1_000), true, 'another member has its own')
    assert.equal(quota.take('s', 'm', 1_000), true, 'and another room')
    assert.equal(quota.take('r', 'm', 1_500), false)
    assert.equal(quota.take('r', 'm', 2_000), true)
    assert.equal(quota.take('r', 'm', 2_000), false)
  })

  void it('bounds all strangers of a room together: new identities get no new room burst', () => {
    const quota = new RoomQuota({ burst: 200, rate: 1 }, { burst: 10, rate: 1 })
    const sybils = Array.from({ length: 20 }, (_, i) => quota.take('r', `sybil${i}`, 0))
    assert.equal(sybils.filter(Boolean).length, 10)
    assert.equal(quota.take('other room', 'sybil0', 0), true)
    assert.equal(quota.take('r', 'sybil99', 1_000), true, 'one a second for the room')
    assert.equal(quota.take('r', 'sybil98', 1_000), false)
  })

  void it('keeps at most its bound of buckets, dropping full ones first', () => {
    const quota = new RoomQuota({ burst: 2, rate: 0.001 }, { burst: 1_000, rate: 1 }, 4)
    const buckets = (quota as unknown as { buckets: Map<string, unknown> }).buckets
    quota.take('r', 'busy', 0)
    quota.take('r', 'busy', 0)
    for (let i = 0; i < 100; i++) quota.take('r', `m${i}`, 0)
    assert.ok(buckets.size <= 4)
    // the newest keep their buckets: m99 spent its first token, so it has one left, then none
    assert.equal(quota.take('r', 'm99', 0), true)
    assert.equal(quota.take('r', 'm99', 0), false)
  })
})
