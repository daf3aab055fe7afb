/**
 * The start-up benchmark (bench/startup.ts) with one start of each kind, on
 * the sources (the built launchers need a tsc build, too slow for CI), so
 * that it cannot rot: real `securechat --json` processes start and stop,
 * the probe and the CPU profile are read, and the result is well-formed.
 * No timing threshold: absolute numbers on a shared machine mean nothing in
 * a test.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { runStartup } from '../../bench/startup.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { StartupResult, Timing } from '../../bench/startup.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

function assertTimes (label: string, t: Timing, count: number): void {
  assert.equal(t.ready.count, count, `${label} runs`)
  for (const key of ['p50', 'p99', 'max', 'mean'] as const) assertPositive(`${label}.${key}`, t.ready[key])
  // the process group's CPU time, read from /proc where there is one
  if (existsSync('/proc/self/stat')) assertPositive(`${label}.cpuMs`, t.cpuMs)
  else assert.equal(t.cpuMs, null)
}

async function written (result: StartupResult): Promise<StartupResult> {
  return JSON.parse(await readFile(result.file, 'utf8')) as StartupResult
}

void describe('startup benchmark', () => {
  void it('times starts on an existing data dir, with and without a passphrase file, beside the baselines', async () => {
    const result = await runStartup({ launchers: ['source'], states: ['existing'], breakdown: 'none', runs: 1, warmup: 0, resultsDir: results.path })

    for (const [name, p] of Object.entries(result.baselines)) assertTimes(name, p, 1)
    assert.deepEqual(result.cases.map(c => [c.launcher, c.state, c.passphrase]), [['source', 'existing', false], ['source', 'existing', true]])
    for (const c of result.cases) assertTimes(`${c.state} ${c.passphrase}`, c, 1)
    assert.equal(result.ratios.source, (result.cases[0]?.ready.p50 ?? NaN) / result.baselines.bareLibp2p.ready.p50)
    assert.equal(result.breakdown, null)
    assert.equal(result.cli.built, null)
    assert.ok(['dist', 'source'].includes(result.cli.binRuns))

    assert.match(result.file, /startup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    assert.deepEqual(await written(result), result)
  })

  void it('breaks a first start down into phases and main-thread time by package', async () => {
    const result = await runStartup({ launchers: ['source'], states: ['fresh'], passphrase: false, breakdown: 'source', runs: 1, warmup: 0, profileRuns: 1, resultsDir: results.path })

    assert.deepEqual(result.cases.map(c => [c.state, c.passphrase]), [['fresh', false]])
    const b = result.breakdown
    assert.ok(b !== null)
    assert.equal(b.launcher, 'source')
    assert.deepEqual(b.cases, ['fresh'])
    // every stamp was found: each phase has a time, and they add up to the total
    const phases = b.phases.filter(p => !p.phase.startsWith('total'))
    for (const p of phases) assert.equal(typeof p.ms.fresh, 'number', `phase ${p.phase}`)
    const total = b.phases.find(p => p.phase.startsWith('total'))?.ms.fresh ?? NaN
    assertPositive('total', total)
    const sum = phases.reduce((s, p) => s + (p.ms.fresh ?? 0), 0)
    assert.ok(Math.abs(sum - total) < 1, `phases sum to the total: ${sum} vs ${total}`)
    assert.equal(b.phases.find(p => p.phase.startsWith('scrypt'))?.ms.fresh, 0, 'no scrypt without a passphrase')
    assertPositive('modules', b.modules.fresh?.count)
    assert.ok((b.modules.fresh?.beforeNode ?? 0) < (b.modules.fresh?.count ?? 0), 'src/node is imported lazily')
    assert.ok(b.packages.some(p => p.name === 'libp2p' && p.total > 0), 'libp2p among the packages loaded')
    assert.equal(b.packages.reduce((n, p) => n + p.total, 0), b.modules.fresh?.count)
    // the CPU profile: some time in libp2p's packages and in our sources
    assertPositive('cpu total', b.cpu.find(c => c.category.startsWith('total'))?.ms.fresh)
    assert.ok(b.cpu.some(c => c.category.startsWith('securechat src/')), 'time in src/')

    const files = (await readdir(results.path)).filter(f => f.startsWith('startup-'))
    assert.equal(files.length, 2)
    assert.deepEqual(await written(result), result)
  })
})
