/**
 * The soak (bench/soak.ts) at a tiny size, so that it cannot rot: a hub
 * process and 3 peers for 3 s, every message exactly once, and a result of
 * the right shape. No threshold on time or memory: a shared machine says
 * nothing about either in a few seconds; the full run is `npm run bench -- soak`.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { formatSoak, runSoak, slope, trend } from '../../bench/soak.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { DirectionCount, SoakResult } from '../../bench/soak.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

void describe('soak benchmark', () => {
  void it('fits a line and calls memory flat only within 5 % of its mean', () => {
    assert.equal(slope([{ t: 0, mb: 1 }, { t: 60, mb: 2 }]), null, 'two points are too few')
    assert.equal(slope([{ t: 0, mb: 1 }, { t: 60, mb: 2 }, { t: 120, mb: 3 }]), 1)
    const rising = [0, 30, 60, 90, 120].map(t => ({ t, mb: 100 + t / 6 })) // +10 MB/min
    const r = trend(rising, 120)
    assert.equal(r.start, 100)
    assert.equal(r.peak, 120)
    assert.equal(r.end, 120)
    assert.ok(Math.abs((r.slope ?? 0) - 10) < 1e-9)
    assert.equal(r.flat, false)
    const level = [0, 30, 60, 90, 120].map((t, i) => ({ t, mb: 100 + (i % 2) }))
    assert.equal(trend(level, 120).flat, true)
    assert.equal(trend(rising.slice(0, 2), 120).flat, null)
  })

  void it('runs a hub process with 3 peers both ways and delivers every message exactly once', async () => {
    const result = await runSoak({ peers: 3, duration: 3, rate: 2, sampleInterval: 0.5, drain: 20, resultsDir: results.path })

    for (const [name, c] of Object.entries<DirectionCount>(result.messages)) {
      assert.equal(c.sent, 3 * 2 * 3, `${name}: messages sent at the steady rate`)
      assert.equal(c.queued, c.sent, `${name}: queued by the sender`)
      assert.equal(c.received, c.sent, `${name}: received`)
      assert.equal(c.acked, c.sent, `${name}: acknowledged`)
      for (const key of ['missing', 'duplicated', 'outOfOrder', 'duplicateAcks', 'unacked'] as const) assert.equal(c[key], 0, `${name}.${key}`)
    }
    assert.equal(result.exactlyOnce, true)
    assert.equal(result.latency.toHub.count, result.messages.toHub.sent)
    assert.equal(result.latency.fromHub.count, result.messages.fromHub.sent)

    const { rss, heap, external, trends } = result.memory
    assert.ok(rss.length >= 3, `RSS sampled over time, got ${rss.length}`)
    assert.ok(heap.length >= 3, `heap sampled over time, got ${heap.length}`)
    assert.equal(external.length, heap.length, 'external sampled with the heap')
    for (const p of [...rss, ...heap, ...external]) assert.ok(p.mb > 0 && p.t >= 0, `sample ${JSON.stringify(p)}`)
    assert.ok(result.progress.length >= 3 && result.progress.every(p => p.hubCpu > 0), 'progress and the hub CPU sampled')
    assert.ok(trends.rss.peak >= trends.rss.start && trends.rss.peak >= trends.rss.end)
    assert.ok(result.memory.hwm >= trends.rss.peak - 1, 'VmHWM is at least the peak sampled')
    assert.equal(typeof trends.rss.slope, 'number')
    // a verdict whenever both RSS and heap had samples enough in the second half (on a loaded machine the heap's few may not)
    assert.equal(result.memory.flat === null, trends.rss.flat === null || trends.heap.flat === null, 'a verdict exactly when both trends have one')
    assert.ok(result.memory.flat === null || typeof result.memory.flat === 'boolean')

    const files = await readdir(results.path)
    assert.deepEqual(files.filter(f => f.startsWith('soak-')).length, 1)
    const written = JSON.parse(await readFile(result.file, 'utf8')) as SoakResult
    assert.deepEqual(written, result)
    assert.match(formatSoak(result), /exactly once/)
  })
})
