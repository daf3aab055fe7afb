/**
 * The file benchmark (bench/files.ts) at a tiny size, so that it cannot
 * rot: a sender and a receiver in two worker processes, one connection, a
 * 4 MiB bare stream and a 4 MiB file through the file service end to end
 * (the file must land complete, checked against its SHA-256, on both sides
 * reported), the ratios computed from the rates and the JSON written. No
 * timing threshold: absolute numbers on a shared machine mean nothing in a
 * test; the full run is `npm run bench -- files`.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { formatFiles, runFiles } from '../../bench/files.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { FilesResult } from '../../bench/files.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

void describe('file benchmark', () => {
  void it('sends 4 MiB over a bare stream and as a file on the same connection, and writes a sane JSON', async () => {
    const result = await runFiles({ sizeMib: 4, repetitions: 2, warmup: 0, resultsDir: results.path })

    assert.equal(result.ok, true, `no failures: ${result.failures.join('; ')}`)
    assert.deepEqual(result.failures, [])
    assert.equal(result.connections, 1, 'one connection carried both parts')
    assert.deepEqual(result.via, ['direct'])
    assert.deepEqual(result.options, { sizeMib: 4, repetitions: 2, warmup: 0, timeout: 300, writeBytes: 60 * 1024 })
    assert.equal(result.runs.bare.length, 2)
    assert.equal(result.runs.file.length, 2)

    for (const [name, v] of Object.entries(result.rates)) assertPositive(`rates.${name}`, v)
    for (const [name, v] of Object.entries(result.ratios)) assertPositive(`ratios.${name}`, v)
    // each ratio is the median over the repetitions of that repetition's file rate over its bare rate
    const paired = (rate: (f: FilesResult['runs']['file'][number]) => number): number[] => result.runs.file.map((f, i) => rate(f) / (result.runs.bare[i]?.rate ?? NaN))
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length
    assert.equal(result.ratios.streamingToBare, mean(paired(f => f.streaming)))
    assert.equal(result.ratios.wholeToBare, mean(paired(f => f.whole)))
    assert.equal(result.goal.ratio, 0.8)
    assert.equal(result.goal.met, result.ratios.streamingToBare >= 0.8)
    assert.ok(result.rates.fileWhole <= result.rates.fileFromAccept, 'the whole transfer is no faster than its part from accept()')

    for (const run of result.runs.file) {
      for (const [stage, ms] of Object.entries(run.stages)) assert.ok(Number.isFinite(ms) && ms >= 0, `stage ${stage}: ${ms} ms`)
      assertPositive('streaming ms', run.stages.streaming)
      assert.ok(run.gets >= 1, 'the download took at least one GET stream')
    }
    for (const part of ['bare', 'file'] as const) {
      for (const side of ['sender', 'receiver'] as const) {
        assertPositive(`cpu.${part}.${side}`, result.cpu[part][side])
        assertPositive(`cpuMsPerMib.${part}.${side}`, result.cpuMsPerMib[part][side])
      }
    }

    const files = await readdir(results.path)
    assert.deepEqual(files, [result.file.slice(results.path.length + 1)])
    assert.match(files[0] ?? '', /^files-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    assert.deepEqual(JSON.parse(await readFile(result.file, 'utf8')) as FilesResult, result)
    const table = formatFiles(result)
    assert.match(table, /^bare stream, first write → ack/m)
    assert.match(table, /goal: file ≥ 0\.8 × bare/)
  })

  void it('refuses counts that are not positive integers, and a profile folder that is not one', async () => {
    await assert.rejects(runFiles({ sizeMib: 0, resultsDir: results.path }), TypeError)
    await assert.rejects(runFiles({ repetitions: 1.5, resultsDir: results.path }), TypeError)
    await assert.rejects(runFiles({ cpuProf: '', resultsDir: results.path }), TypeError)
  })
})
