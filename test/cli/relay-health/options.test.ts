/** `securechat relay-health` options, through the top-level parser */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'

void describe('relay-health options', () => {
  void it('defaults to the local relay, the port from the environment', () => {
    const fromEnv = parseArgs(['relay-health'], { env: { SECURECHAT_RELAY_PORT: '5000' } })
    assert.deepEqual(fromEnv, { command: 'relay-health', options: { host: '127.0.0.1', port: 5000, json: false } })
    for (const bad of [['relay-health', '--port', 'x']]) {
      assert.throws(() => parseArgs(bad, { env: {} }), { name: 'UsageError' }, bad.join(' '))
    }
  })
})
