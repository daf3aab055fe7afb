/** `securechat relay` options, through the top-level parser */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'

void describe('relay options', () => {
  void it('parses the relay subcommand and its limits', () => {
    const relay = parseArgs(['relay', '--port', '4002', '--announce', '/ip4/192.0.2.7/tcp/4002', '--duration-limit', '60', '--data-limit', '1024', '--max-connections-per-ip', '3'], { env: {}, username: () => 'x', homedir: () => '/home/x' })
    assert.equal(relay.command, 'relay')
    assert.ok(relay.command === 'relay')
    assert.equal(relay.options.port, 4002)
    assert.deepEqual(relay.options.announce, ['/ip4/192.0.2.7/tcp/4002'])
    assert.equal(relay.options.durationLimit, 60_000)
    assert.equal(relay.options.dataLimit, 1024n)
    assert.equal(relay.options.maxConnectionsPerIp, 3)
    assert.equal(relay.options.dataDir, join('/home/x', '.securechat-relay'))
    for (const bad of [['relay', '--max-reservations', '0'], ['relay', '--announce', 'nope'], ['relay', '--reservation-ttl', '1.5']]) {
      assert.throws(() => parseArgs(bad, { env: {} }), { name: 'UsageError' }, bad.join(' '))
    }
  })
})
