/**
 * The latency benchmark (bench/latency.ts) with tiny counts, so that it
 * cannot rot: it runs end to end and its result is well-formed. No timing
 * threshold: absolute numbers on a shared machine mean nothing in a test.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { runLatency } from '../../bench/latency.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { LatencyResult } from '../../bench/latency.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

void describe('latency benchmark', () => {
  void it('measures every part, computes the floor and the ratios, and writes the JSON', async () => {
    const result = await runLatency({ messages: 50, rounds: 50, warmup: 5, resultsDir: results.path })

    const { echo, put, floor, securechat } = result.parts
    for (const [name, part] of Object.entries({ echo, put, securechat })) {
      assert.equal(part.count, 50, `${name} samples`)
      for (const key of ['p50', 'p99', 'max', 'mean'] as const) assertPositive(`${name}.${key}`, part[key])
      assert.ok(part.p50 <= part.p99, `${name}: p50 ≤ p99`)
    }
    assertPositive('floor.p50', floor.p50)
    assertPositive('floor.p99', floor.p99)
    assert.equal(floor.p50, echo.p50 + 2 * put.p50)
    assertPositive('ratios.p50', result.ratios.p50)
    assertPositive('ratios.p99', result.ratios.p99)
    assert.equal(result.ratios.p50, securechat.p50 / floor.p50)

    const files = await readdir(results.path)
    assert.equal(files.length, 1)
    assert.match(files[0] ?? '', /^latency-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    const written = JSON.parse(await readFile(result.file, 'utf8')) as LatencyResult
    assert.deepEqual(written, result)
    assert.equal(written.machine.node, process.version)
    assertPositive('machine.cpus', written.machine.cpus)
  })
})
