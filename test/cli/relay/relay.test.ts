/**
 * `securechat relay --json` as a real process: `ready` with its addresses,
 * then on SIGTERM a clean stop (`stopped`, exit 0); and a start failure as
 * an `error` line with exit 1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { is } from '../../helpers/events.ts'
import { BIN, spawnChat } from '../../helpers/process.ts'
import { tempDir } from '../../helpers/tmp.ts'

const START = 60_000

function relayArgv (dataDir: string): string[] {
  return [BIN, 'relay', '--json', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]
}

await test('relay --json: ready, then SIGTERM stops it cleanly', { timeout: 120_000 }, async (t) => {
  const dataDir = await tempDir(t, 'securechat-relay-cli-')
  const relay = spawnChat({ name: 'relay', dataDir, argv: relayArgv(dataDir), t })
  const ready = await relay.waitFor(is('ready'), { timeout: START })
  assert.match(ready.peerId, /^12D3KooW/)
  assert.ok(ready.addrs.length > 0 && ready.addrs.every(a => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${ready.peerId}`)), ready.addrs.join(' '))

  assert.deepEqual(await relay.kill('SIGTERM'), { code: 0, signal: null }, relay.diagnostics())
  assert.deepEqual(relay.events.map(e => e.type), ['ready', 'stopped'])
  relay.assertClean()
})

await test('relay --json: a data dir in use is an error line, exit 1', { timeout: 120_000 }, async (t) => {
  const dataDir = await tempDir(t, 'securechat-relay-cli-')
  const first = spawnChat({ name: 'relay', dataDir, argv: relayArgv(dataDir), t })
  await first.waitFor(is('ready'), { timeout: START })
  const second = spawnChat({ name: 'relay2', dataDir, argv: relayArgv(dataDir), t })
  assert.deepEqual(await second.exited, { code: 1, signal: null }, second.diagnostics())
  assert.deepEqual(second.events.map(e => e.type), ['error'], second.diagnostics())
  assert.equal(second.all(is('error'))[0]?.code, 'DataDirInUseError', second.diagnostics())
  assert.deepEqual(await first.kill('SIGTERM'), { code: 0, signal: null }, first.diagnostics())
})
