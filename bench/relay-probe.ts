/**
 * Loaded into the benchmarked relay (`node --expose-gc --import
 * bench/relay-probe.ts src/bin.ts relay ...`, see bench/relay.ts): on
 * SIGUSR2 it runs a full garbage collection and appends one JSON line of
 * `process.memoryUsage()` to `SECURECHAT_RELAY_PROBE_FILE`. Resident memory
 * as found includes garbage not yet collected; the heap after a full GC is
 * what the relay really holds per reservation. Nothing happens until the
 * signal, so the relay runs as it would without the probe.
 *
 * A file rather than stdout or stderr: stdout is the relay's JSON-lines
 * output, stderr its diagnostics.
 */
import { appendFileSync } from 'node:fs'
import { getHeapSpaceStatistics } from 'node:v8'

const file = process.env.SECURECHAT_RELAY_PROBE_FILE

if (file !== undefined && file !== '') {
  process.on('SIGUSR2', () => {
    globalThis.gc?.()
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
    // the young generation (its semi-spaces), part of heapTotal
    const newSpace = getHeapSpaceStatistics().find(s => s.space_name === 'new_space')?.space_size ?? 0
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss, heapUsed, heapTotal, newSpace, external, arrayBuffers }) + '\n')
  })
}
