/**
 * The throughput benchmark (bench/throughput.ts) with tiny counts, so that
 * it cannot rot: every part runs end to end, every message is delivered,
 * the ratios are computed from the rates and the JSON is written. No timing
 * threshold: absolute numbers on a shared machine mean nothing in a test.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { runThroughput } from '../../bench/throughput.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { ThroughputResult } from '../../bench/throughput.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

void describe('throughput benchmark', () => {
  void it('measures every part, computes the ratios and writes the JSON', async () => {
    const result = await runThroughput({ messages: 60, senders: 3, rounds: 200, resultsDir: results.path })
    for (const [name, value] of Object.entries(result.rates)) {
      assert.ok(Number.isFinite(value) && value > 0, `${name} positive and finite, got ${value}`)
    }
    assert.equal(result.ratios.securechatToPipelined, result.rates.securechat / result.rates.pipelined)
    assert.equal(result.ratios.fanInToSingle, result.rates.fanIn / result.rates.securechat)
    assert.deepEqual(result.options, { messages: 60, senders: 3, bytes: 200, rounds: 200 })
    const files = await readdir(results.path)
    assert.deepEqual(files, [result.file.slice(results.path.length + 1)])
    assert.match(files[0] ?? '', /^throughput-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    assert.deepEqual(JSON.parse(await readFile(result.file, 'utf8')) as ThroughputResult, result)
  })

  void it('refuses counts that are not positive integers', async () => {
    await assert.rejects(runThroughput({ messages: 0, resultsDir: results.path }), TypeError)
    await assert.rejects(runThroughput({ senders: 1.5, resultsDir: results.path }), TypeError)
  })
})
