/**
 * Loaded into the soak's hub (`node --expose-gc --import bench/soak-probe.ts
 * src/bin.ts --json ...`, see bench/soak.ts): every
 * `SECURECHAT_SOAK_PROBE_INTERVAL` ms it runs a full garbage collection and
 * appends one JSON line of `process.memoryUsage()` to
 * `SECURECHAT_SOAK_PROBE_FILE`. The heap after a full GC is the live set, so
 * its trend over time is the leak signal; the sampling itself is not.
 *
 * A file rather than stdout or stderr: stdout is the hub's JSON-lines
 * protocol, stderr its diagnostics. The timer is unref'd, so the probe
 * never keeps the hub alive.
 */
import { appendFileSync } from 'node:fs'

const file = process.env.SECURECHAT_SOAK_PROBE_FILE
const interval = Number(process.env.SECURECHAT_SOAK_PROBE_INTERVAL ?? 5000)

if (file !== undefined && file !== '' && interval > 0) {
  const probe = (): void => {
    globalThis.gc?.()
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss, heapUsed, heapTotal, external, arrayBuffers }) + '\n')
  }
  probe()
  setInterval(probe, interval).unref()
}
