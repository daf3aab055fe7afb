/**
 * A room's Lamport clock: it starts above the highest clock stored (read
 * once, however many posts wait for it), goes above every clock seen, and
 * stays at 2^53 - 1 once there; a member's clock far ahead of the room's is
 * stored but not taken on, so that a hostile member cannot end the room.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_CLOCK_JUMP, RoomClocks } from '../../src/delivery/room-clocks.ts'

void describe('room clocks', () => {
  void it('start above the stored history, read once; go above what was seen; never repeat', async () => {
    const loads: string[] = []
    const clocks = new RoomClocks({ load: async (id) => { loads.push(id); return id === 'a' ? [41, 3] : [] } })
    const posts = await Promise.all([clocks.next('a'), clocks.next('a'), clocks.next('a')])
    assert.deepEqual(posts.sort((x, y) => x - y), [42, 43, 44])
    assert.deepEqual(loads, ['a'])
    assert.equal(await clocks.next('b'), 0)
    await clocks.heard('b', 10)
    await clocks.heard('b', 3)
    assert.equal(await clocks.next('b'), 11)
  })

  void it('a failed load is tried again; a clock at the top stays there and the room goes on', async () => {
    let fail = true
    // one step at a time, as an honest room could never go (2^21 steps of 2^32)
    const stored = Array.from({ length: 2 ** 21 + 1 }, (_, i) => Math.min(i * 2 ** 32, Number.MAX_SAFE_INTEGER - 1))
    const clocks = new RoomClocks({ load: async () => { if (fail) throw new Error('disk'); return stored } })
    await assert.rejects(clocks.next('a'), /disk/)
    fail = false
    assert.equal(await clocks.next('a'), Number.MAX_SAFE_INTEGER)
    assert.equal(await clocks.next('a'), Number.MAX_SAFE_INTEGER, 'ties at the top are ordered by sender and id')
  })

  void it('stores every clock but takes on none more than MAX_CLOCK_JUMP ahead, heard or loaded after a restart', async () => {
    const clocks = new RoomClocks({ load: async () => [99] })
    await clocks.heard('a', Number.MAX_SAFE_INTEGER)
    assert.equal(await clocks.next('a'), 100, 'a hostile clock sorts its own message last, and nothing else')
    await clocks.heard('a', 100 + MAX_CLOCK_JUMP + 1)
    assert.equal(await clocks.next('a'), 101)
    await clocks.heard('a', 101 + MAX_CLOCK_JUMP)
    assert.equal(await clocks.next('a'), 102 + MAX_CLOCK_JUMP, 'a member back from a busy room is followed')

    const restarted = new RoomClocks({ load: async () => [5, Number.MAX_SAFE_INTEGER, 7] })
    assert.equal(await restarted.next('a'), 8)
  })
})
