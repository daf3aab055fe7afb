/**
 * The fan-out benchmark (bench/fanout.ts) at a tiny size, so that it cannot
 * rot: a sender and 4 room members in 2 worker processes, every part end to
 * end, every post delivered to every member exactly once (a delivery that
 * goes missing fails the test), the ratios computed from the figures and the
 * JSON written. No timing threshold: absolute numbers on a shared machine
 * mean nothing in a test; the full run is `npm run bench -- fanout`.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { countDeliveries, formatFanout, runFanout } from '../../bench/fanout.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { FanoutResult } from '../../bench/fanout.ts'
import type { PeerTally } from '../../bench/soak-peers.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

void describe('fan-out benchmark', () => {
  void it('calls a run failed when one delivery is missing, unacknowledged, duplicated or stalled', () => {
    const postIds = ['p1', 'p2']
    const members = ['m0', 'm1']
    const everything: PeerTally[] = [{ index: 0, room: ['p1', 'p2'], direct: 3 }, { index: 1, room: ['p2', 'p1'], direct: 0 }]
    const clean = { postIds, members, tallies: everything, acked: () => true, duplicateAcks: 0, notDelivered: 0, direct: { sent: 3, acked: 3 }, stalled: 0 }
    const all = countDeliveries(clean)
    assert.equal(all.ok, true)
    assert.deepEqual(all.deliveries, {
      posts: 2, expected: 4, acked: 4, unacked: 0, duplicateAcks: 0, received: 4, missing: 0, duplicated: 0, notDelivered: 0, direct: { sent: 3, received: 3, acked: 3 }, stalled: 0
    })

    const lost = countDeliveries({ ...clean, tallies: [everything[0] as PeerTally, { index: 1, room: ['p2'], direct: 0 }] })
    assert.equal(lost.ok, false, 'a post that never reached a member')
    assert.equal(lost.deliveries.missing, 1)
    const unacked = countDeliveries({ ...clean, acked: (id, member) => !(id === 'p2' && member === 'm1') })
    assert.equal(unacked.ok, false, 'a member that never acknowledged')
    assert.equal(unacked.deliveries.unacked, 1)
    const twice = countDeliveries({ ...clean, tallies: [everything[0] as PeerTally, { index: 1, room: ['p2', 'p1', 'p1'], direct: 0 }] })
    assert.equal(twice.ok, false, 'a post shown twice')
    assert.equal(twice.deliveries.duplicated, 1)
    assert.equal(countDeliveries({ ...clean, duplicateAcks: 1 }).ok, false, 'an ack twice')
    assert.equal(countDeliveries({ ...clean, notDelivered: 1 }).ok, false, 'a post left pending')
    assert.equal(countDeliveries({ ...clean, stalled: 1 }).ok, false, 'a post past the timeout')
    assert.equal(countDeliveries({ ...clean, direct: { sent: 4, acked: 4 } }).ok, false, 'a direct message that never arrived')
    assert.equal(countDeliveries({ ...clean, direct: { sent: 3, acked: 2 } }).ok, false, 'a direct message never acknowledged')
    assert.equal(countDeliveries({ ...clean, postIds: [], tallies: [] }).ok, false, 'nothing posted proves nothing')
  })

  void it('posts to 4 members in 2 processes, against direct messages, and every post reaches every member once', async () => {
    const result = await runFanout({
      members: 4, workers: 2, posts: 8, messages: 8, warmup: 2, throughputPosts: 12, throughputMessages: 24, inFlight: 4, resultsDir: results.path
    })

    const d = result.deliveries
    assert.equal(d.posts, 2 + 8 + 12, 'warm-up, timed and throughput posts')
    assert.equal(d.expected, d.posts * 4)
    assert.equal(d.acked, d.expected, 'every (post, member) acknowledged')
    assert.equal(d.received, d.expected, 'every (post, member) received by the member')
    for (const key of ['unacked', 'missing', 'duplicated', 'duplicateAcks', 'notDelivered', 'stalled'] as const) assert.equal(d[key], 0, key)
    assert.deepEqual(d.direct, { sent: 2 + 8 + 24, received: 2 + 8 + 24, acked: 2 + 8 + 24 })
    assert.equal(result.ok, true)
    // an error event (a delivery attempt that failed and was retried) is no failure of the run: only a delivery missing at the end is
    assert.equal(typeof result.errors.sender, 'object')
    assert.equal(typeof result.errors.members, 'object')
    assert.ok(Array.isArray(result.errors.samples) && result.errors.samples.length <= 10)

    const { direct, fanoutFirst, fanout } = result.parts
    for (const [name, part] of Object.entries({ direct, fanoutFirst, fanout })) {
      assert.equal(part.count, 8, `${name} samples`)
      for (const key of ['p50', 'p99', 'max', 'mean'] as const) assertPositive(`${name}.${key}`, part[key])
      assert.ok(part.p50 <= part.p99, `${name}: p50 ≤ p99`)
    }
    assert.ok(fanoutFirst.mean <= fanout.mean, 'the first member acks no later than the last')
    for (const [name, v] of Object.entries(result.rates)) assertPositive(`rates.${name}`, v)
    assert.equal(result.rates.memberDeliveries, result.rates.posts * 4)
    assert.equal(result.ratios.latencyP50ToDirect, fanout.p50 / direct.p50)
    assert.equal(result.ratios.latencyP50ToSerial, fanout.p50 / (4 * direct.p50))
    assert.equal(result.ratios.latencyP99ToSerial, fanout.p99 / (4 * direct.p99))
    assert.equal(result.ratios.deliveriesToDirect, result.rates.memberDeliveries / result.rates.direct)
    for (const [name, c] of Object.entries(result.cpu)) {
      assert.ok(c.sender > 0 && c.members > 0, `${name}: CPU of the sender and the members measured`)
    }
    assert.deepEqual(result.options, {
      members: 4, posts: 8, messages: 8, warmup: 2, throughputPosts: 12, throughputMessages: 24, inFlight: 4, bytes: 200, workers: 2, timeout: 30
    })

    const files = await readdir(results.path)
    assert.deepEqual(files, [result.file.slice(results.path.length + 1)])
    assert.match(files[0] ?? '', /^fanout-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    assert.deepEqual(JSON.parse(await readFile(result.file, 'utf8')) as FanoutResult, result)
    assert.match(formatFanout(result), /every one of 22 posts reached all 4 members exactly once/)
  })

  void it('refuses counts that are not positive integers, and more workers than members', async () => {
    await assert.rejects(runFanout({ members: 0, resultsDir: results.path }), TypeError)
    await assert.rejects(runFanout({ inFlight: 1.5, resultsDir: results.path }), TypeError)
    await assert.rejects(runFanout({ members: 2, workers: 3, resultsDir: results.path }), TypeError)
  })
})
