/**
 * The history benchmark (bench/history.ts) with tiny counts, so that it
 * cannot rot: it fills a real store and its raw twin, reads both, and its
 * result is well-formed. No timing threshold: absolute numbers on a shared
 * machine mean nothing in a test (the goal is judged in the result only).
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { runHistory } from '../../bench/history.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { HistoryResult } from '../../bench/history.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

void describe('history benchmark', () => {
  void it('fills the store and the raw baseline, measures every read part, and writes the JSON', async () => {
    const result = await runHistory({ messages: 300, reads: 20, warmup: 2, limit: 50, others: 2, otherMessages: 20, resultsDir: results.path })

    assert.deepEqual(result.options, { messages: 300, reads: 20, warmup: 2, limit: 50, others: 2, otherMessages: 20, bytes: 200 })
    // the identity, three peer-book entries, every message
    assert.equal(result.fill.store.records, 1 + 3 + 300 + 40)
    assert.equal(result.fill.store.messages, 340)
    assert.equal(result.fill.raw.messages, 340)
    for (const [name, fill] of Object.entries(result.fill)) {
      for (const key of ['records', 'ms', 'rate', 'cpuUs', 'diskBytes'] as const) assertPositive(`fill.${name}.${key}`, fill[key])
    }
    for (const [name, ms] of Object.entries({ ...result.open, ...result.firstRead })) assertPositive(name, ms)

    for (const [name, part] of Object.entries(result.parts)) {
      assert.equal(part.count, 20, `${name} samples`)
      for (const key of ['p50', 'p99', 'max', 'mean', 'cpuMs'] as const) assertPositive(`${name}.${key}`, part[key])
      assert.ok(part.p50 <= part.p99, `${name}: p50 ≤ p99`)
    }
    assert.equal(result.ratios.p50, result.parts.store.p50 / result.parts.raw.p50)
    assert.equal(result.ratios.p99, result.parts.store.p99 / result.parts.raw.p99)
    assert.equal(result.ratios.cpu, result.parts.store.cpuMs / result.parts.raw.cpuMs)
    assert.equal(result.goal.ms, 5)
    for (const key of ['met', 'p50', 'cpu'] as const) assert.equal(typeof result.goal[key], 'boolean', `goal.${key}`)
    assert.equal(typeof result.load.start, 'number')

    const files = await readdir(results.path)
    assert.equal(files.length, 1)
    assert.match(files[0] ?? '', /^history-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    const written = JSON.parse(await readFile(result.file, 'utf8')) as HistoryResult
    assert.deepEqual(written, result)
    assert.equal(written.machine.node, process.version)
  })

  void it('refuses counts that are not positive integers', async () => {
    await assert.rejects(runHistory({ messages: 0, resultsDir: results.path }), TypeError)
    await assert.rejects(runHistory({ messages: 10, limit: 20, resultsDir: results.path }), TypeError)
  })
})
