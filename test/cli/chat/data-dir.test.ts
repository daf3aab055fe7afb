/**
 * Two `securechat` processes on one data dir, for real: the second fails to
 * start with a `DataDirInUseError` line and exit code 1, and the first runs
 * on unharmed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { is } from '../../helpers/events.ts'
import { spawnChat } from '../../helpers/process.ts'
import { tempDir } from '../../helpers/tmp.ts'

const START = 60_000

await test('a second securechat on a data dir in use fails with DataDirInUseError, exit 1', { timeout: 180_000 }, async (t) => {
  const dataDir = await tempDir(t, 'securechat-in-use-')
  const args = ['--no-mdns', '--port', '0']
  const first = spawnChat({ name: 'first', dataDir, host: '127.0.0.1', args, t })
  const ready = await first.waitFor(is('ready'), { timeout: START })

  const second = spawnChat({ name: 'second', dataDir, host: '127.0.0.1', args, t })
  const exit = await second.exited
  assert.deepEqual(second.events.map(e => e.type), ['error'], `only an error line\n${second.diagnostics()}`)
  const error = second.all(is('error'))[0]
  assert.equal(error?.code, 'DataDirInUseError', second.diagnostics())
  assert.ok(error.message !== '', second.diagnostics())
  assert.deepEqual(exit, { code: 1, signal: null }, second.diagnostics())
  second.assertClean()

  // the first one still answers, and stops cleanly
  const whoami = await first.request('/whoami', is('whoami'))
  assert.equal(whoami.peerId, ready.peerId)
  assert.deepEqual(await first.stop(), { code: 0, signal: null, forced: false })
})
