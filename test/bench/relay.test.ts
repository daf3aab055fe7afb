/**
 * The relay benchmark (bench/relay.ts) with tiny counts, so that it cannot
 * rot: a real relay process and two worker processes of clients, end to
 * end, and its result is well-formed. No timing or memory threshold:
 * absolute numbers on a shared machine mean nothing in a test.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { formatRelay, runRelay } from '../../bench/relay.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { Percentiles, RelayBenchResult, RelayMemory } from '../../bench/relay.ts'

const results = await createTempDir('securechat-bench-results-')
after(async () => { await results.remove() })

function assertPositive (label: string, value: unknown): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${label} positive and finite, got ${String(value)}`)
}

function assertPercentiles (label: string, p: Percentiles, count: number): void {
  assert.equal(p.count, count, `${label} samples`)
  for (const key of ['p50', 'p99', 'max', 'mean'] as const) assertPositive(`${label}.${key}`, p[key])
  assert.ok(p.p50 <= p.p99, `${label}: p50 ≤ p99`)
}

function assertMemory (label: string, mem: RelayMemory): void {
  assertPositive(`${label}: rssKiB`, mem.rssKiB)
  assertPositive(`${label}: hwmKiB`, mem.hwmKiB)
  for (const [key, value] of Object.entries(mem.gc)) assertPositive(`${label}: gc.${key}`, value)
  assert.ok(mem.rssKiB <= mem.hwmKiB, `${label}: RSS ≤ HWM`)
  assert.ok(mem.gc.heapUsedKiB < mem.gc.rssKiB, `${label}: heap < RSS`)
}

void describe('relay benchmark', () => {
  void it('holds every reservation, measures memory and every set-up part, and writes the JSON', { timeout: 60_000 }, async () => {
    const result = await runRelay({ clients: [6, 10], workers: 2, dials: 10, warmup: 1, rounds: 20, settleMs: 100, resultsDir: results.path })

    assert.deepEqual(result.options, { clients: [6, 10], workers: 2, dials: 10, warmup: 1, rounds: 20, rate: 4, settleMs: 100, bytes: 200, relayNodeOptions: ['--max-semi-space-size=2'] })
    assertMemory('idle', result.idle)
    for (const load of [result.loadAverage.start, result.loadAverage.end]) assert.equal(load.length, 3)
    assert.match(result.relay.peerId, /^12D3KooW/)
    assert.deepEqual(result.relay.argv.slice(0, 7), ['--max-semi-space-size=2', '--expose-gc', '--import', 'bench/relay-probe.ts', 'src/bin.ts', 'relay', '--json'])
    assert.deepEqual(result.theory, { directSetup: 5, relayedSetup: 12 })
    assert.equal(result.goal.met, undefined, 'no count of 1,000: the goal is not judged')

    assert.deepEqual(result.levels.map(l => l.clients), [6, 10])
    for (const level of result.levels) {
      const at = `${level.clients} clients`
      assert.equal(level.reservations, level.clients, `${at}: the relay reported every reservation`)
      assert.equal(level.clientsReserved, level.clients, `${at}: every client holds one`)
      for (const [key, n] of Object.entries(level.retries)) assert.ok(Number.isInteger(n) && n >= 0, `${at}: retries.${key}`)
      assertPositive(`${at}: rampSeconds`, level.rampSeconds)
      for (const mem of [level.memory, level.afterDials]) assertMemory(at, mem)
      assert.equal(level.perReservation.rssKiB, (level.memory.rssKiB - result.idle.rssKiB) / level.reservations)
      assert.equal(level.perReservation.heapKiB, (level.memory.gc.heapUsedKiB - result.idle.gc.heapUsedKiB) / level.reservations)
      assertPositive(`${at}: clientsRssKiB`, level.clientsRssKiB)
      assertPositive(`${at}: relayCpu.rampSeconds`, level.relayCpu.rampSeconds)
      assert.ok(Number.isFinite(level.relayCpu.idlePercent) && level.relayCpu.idlePercent >= 0, `${at}: relayCpu.idlePercent`)
      for (const [key, n] of Object.entries({ lost: level.lost, dialerReconnects: level.dialerReconnects })) {
        assert.ok(Number.isInteger(n) && n >= 0, `${at}: ${key}`)
      }
      for (const [part, f] of Object.entries(level.failed)) {
        assert.ok(Number.isInteger(f.count) && f.count >= 0 && f.first.length === Math.min(f.count, 5), `${at}: failed.${part}`)
      }

      const { echo, directConnect, directSetup, relayedEcho, relayedConnect, relayedSetup } = level.parts
      assertPercentiles(`${at}: echo`, echo, 20)
      assertPercentiles(`${at}: relayedEcho`, relayedEcho, 20)
      assertPercentiles(`${at}: directConnect`, directConnect, 10)
      assertPercentiles(`${at}: directSetup`, directSetup, 10)
      assertPercentiles(`${at}: relayedConnect`, relayedConnect, 10)
      assertPercentiles(`${at}: relayedSetup`, relayedSetup, 10)
      assert.equal(level.rtts.relayedSetup.p50, relayedSetup.p50 / echo.p50)
      assert.equal(level.rtts.directSetup.p99, directSetup.p99 / echo.p99)
      assert.equal(level.rtts.relayedEcho.p50, relayedEcho.p50 / echo.p50)
    }

    const files = await readdir(results.path)
    assert.equal(files.length, 1)
    assert.match(files[0] ?? '', /^relay-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/)
    const written = JSON.parse(await readFile(result.file, 'utf8')) as RelayBenchResult
    assert.deepEqual(written, result)
    assert.equal(written.machine.node, process.version)

    const table = formatRelay(result)
    assert.match(table, /^idle\s+0\s/m)
    assert.match(table, /^10 clients\s+10\/10\s/m)
    assert.match(table, /^10 clients: relayed set-up \+ echo\s/m)
    assert.ok(table.endsWith(`written to ${result.file}`))
  })
})
