/** `securechat relay` options, through the top-level parser */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { RELAY_INBOUND_CONNECTION_THRESHOLD } from '../../../src/relay/constants.ts'

void describe('relay options', () => {
  void it('parses the relay subcommand and its limits', () => {
    const relay = parseArgs(['relay', '--port', '4002', '--announce', '/ip4/192.0.2.7/tcp/4002', '--duration-limit', '60', '--data-limit', '1024', '--max-connections-per-ip', '3', '--max-connection-rate-per-ip', '20'], { env: {}, username: () => 'x', homedir: () => '/home/x' })
    assert.equal(relay.command, 'relay')
    assert.ok(relay.command === 'relay')
    assert.equal(relay.options.port, 4002)
    assert.deepEqual(relay.options.announce, ['/ip4/192.0.2.7/tcp/4002'])
    assert.equal(relay.options.durationLimit, 60_000)
    assert.equal(relay.options.dataLimit, 1024n)
    assert.equal(relay.options.maxConnectionsPerIp, 3)
    assert.equal(relay.options.inboundConnectionThreshold, 20)
    assert.equal(relay.options.dataDir, join('/home/x', '.securechat-relay'))
    for (const bad of [['relay', '--max-reservations', '0'], ['relay', '--announce', 'nope'], ['relay', '--reservation-ttl', '1.5']]) {
      assert.throws(() => parseArgs(bad, { env: {} }), { name: 'UsageError' }, bad.join(' '))
    }
  })

  void it('takes the per-IP connection rate as a positive integer, 5 per second by default', () => {
    const ctx = { env: {}, username: () => 'x', homedir: () => '/home/x' }
    const relay = parseArgs(['relay'], ctx)
    assert.ok(relay.command === 'relay')
    assert.equal(relay.options.inboundConnectionThreshold, RELAY_INBOUND_CONNECTION_THRESHOLD)
    for (const bad of ['0', '-1', '2.5', 'ten', '']) {
      assert.throws(() => parseArgs(['relay', `--max-connection-rate-per-ip=${bad}`], ctx), { name: 'UsageError', message: /--max-connection-rate-per-ip must be a positive integer/ }, bad)
    }
    assert.throws(() => parseArgs(['relay', '--max-connection-rate-per-ip'], ctx), { name: 'UsageError' }, 'no value')
  })
})
