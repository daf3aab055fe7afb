/** `securechat [chat]` options, through the top-level parser */
import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { CTX, usageError } from '../usage.ts'
import type { ArgsContext } from '../../../src/cli/args.ts'
import type { ChatOptions } from '../../../src/cli/chat/options.ts'

const RELAY = '/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const RELAY2 = '/dns4/relay.example.com/tcp/443/wss/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

function chat (argv: string[], ctx: ArgsContext = CTX): ChatOptions {
  const invocation = parseArgs(argv, ctx)
  assert.equal(invocation.command, 'chat')
  return invocation.options
}

void describe('chat options', () => {
  void it('has defaults', () => {
    assert.deepEqual(chat([]), {
      name: 'alice',
      dataDir: join('/home/alice', '.securechat'),
      downloads: join('/home/alice', '.securechat', 'downloads'),
      autoAcceptFiles: false,
      port: 0,
      relays: [],
      json: false,
      readReceipts: true,
      mdns: true
    })
  })

  void it('reads every option', () => {
    assert.deepEqual(chat(['--name', 'bob', '--data-dir', '/tmp/b', '--downloads', '/srv/in', '--auto-accept-files', '--port', '4001', '--host', '127.0.0.1', '--relay', RELAY, '--relay', RELAY2, '--json', '--no-read-receipts', '--no-mdns']), {
      name: 'bob',
      dataDir: '/tmp/b',
      downloads: '/srv/in',
      autoAcceptFiles: true,
      port: 4001,
      host: '127.0.0.1',
      relays: [RELAY, RELAY2],
      json: true,
      readReceipts: false,
      mdns: false
    })
  })

  void it('accepts --opt=value, IPv6 hosts and the explicit chat subcommand', () => {
    const options = chat(['chat', '--port=65535', '--host=::1', '--name=Zoë 🦊'])
    assert.equal(options.port, 65535)
    assert.equal(options.host, '::1')
    assert.equal(options.name, 'Zoë 🦊')
  })

  void it('resolves a relative data dir', () => {
    assert.equal(chat(['--data-dir', 'state']).dataDir, resolve('state'))
  })

  void it('--downloads: resolved, default <data dir>/downloads (SECURECHAT_DATA_DIR too), never empty; --help documents it', () => {
    assert.equal(chat(['--downloads', 'in']).downloads, resolve('in'))
    assert.equal(chat(['--data-dir', 'state']).downloads, resolve('state', 'downloads'))
    assert.equal(chat([], { ...CTX, env: { SECURECHAT_DATA_DIR: '/srv/chat' } }).downloads, '/srv/chat/downloads')
    usageError(['--downloads', ''], /--downloads must not be empty/)
    const help = parseArgs(['--help'], CTX)
    assert.equal(help.command, 'help')
    assert.match(help.command === 'help' ? help.text : '', /--downloads DIR\s+where files you accept land \(default: <data dir>\/downloads\)/)
  })

  void it('SECURECHAT_DATA_DIR overrides the default, --data-dir overrides both', () => {
    const ctx = { ...CTX, env: { SECURECHAT_DATA_DIR: '/srv/chat' } }
    assert.equal(chat([], ctx).dataDir, '/srv/chat')
    assert.equal(chat(['--data-dir', '/tmp/x'], ctx).dataDir, '/tmp/x')
  })

  void it('takes relays from SECURECHAT_RELAYS too, without duplicates', () => {
    const ctx = { ...CTX, env: { SECURECHAT_RELAYS: ` ${RELAY} ,, ${RELAY2},` } }
    assert.deepEqual(chat([], ctx).relays, [RELAY, RELAY2])
    assert.deepEqual(chat(['--relay', RELAY], ctx).relays, [RELAY, RELAY2])
  })

  void it('takes the passphrase from SECURECHAT_PASSPHRASE, never from a --passphrase flag (passphrase-file.test.ts: the file)', () => {
    assert.equal(chat([], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'open sesame' } }).passphrase, 'open sesame')
    assert.equal(chat([], { ...CTX, env: { SECURECHAT_PASSPHRASE: '' } }).passphrase, undefined)
    usageError(['--passphrase', 'x'], /unknown option '--passphrase'/)
  })

  void it('falls back when the user name cannot be read', () => {
    const ctx: ArgsContext = { ...CTX, env: { USER: 'nobody' }, username: () => { throw new Error('ENOENT') } }
    assert.equal(chat([], ctx).name, 'nobody')
    assert.equal(chat([], { ...ctx, env: {} }).name, 'anonymous')
  })

  void it('help lists options, REPL commands, environment and examples', () => {
    const help = parseArgs(['--help'], CTX)
    assert.ok(help.command === 'help')

    for (const word of ['--name NAME', '--data-dir DIR', '--port N', '--host IP', '--json', '--version',
      '/peers', '/msg <peer> <text>', '/chat [<peer> | #<room>]', '/history <peer> | #<room> [n]', '/room <room> <text>', '/history #team 50', '/connect <multiaddr>', '/whoami', '/help', '/quit', '/exit', '//',
      'SECURECHAT_DATA_DIR', 'SECURECHAT_RELAYS', 'SECURECHAT_PASSPHRASE', 'NO_COLOR', 'Examples:', '"alice"', '/home/alice/.securechat']) {
      assert.ok(help.text.includes(word), `help mentions ${word}`)
    }
  })

  void describe('usage errors', () => {
    void it('empty name', () => { usageError(['--name', ''], /--name must not be empty/) })
    void it('blank name', () => { usageError(['--name', '   '], /--name must not be empty/) })
    void it('name with control characters', () => { usageError(['--name', 'a\u001b[2Jb'], /no control/) })
    void it('name over 64 bytes', () => {
      assert.equal(chat(['--name', 'é'.repeat(32)]).name, 'é'.repeat(32))
      usageError(['--name', 'é'.repeat(32) + 'x'], /at most 64 UTF-8 bytes/)
    })
    void it('default name over 64 bytes', () => {
      usageError([], /default nickname .* pass --name/, { ...CTX, username: () => 'x'.repeat(65) })
    })
    void it('relay that is not a multiaddr', () => { usageError(['--relay', 'relay.example.com:4001'], /not a valid multiaddr/) })
    void it('relay without a peer id', () => { usageError(['--relay', '/ip4/1.2.3.4/tcp/4001'], /must end in \/p2p\//) })
    void it('relay with an invalid peer id', () => { usageError(['--relay', '/ip4/1.2.3.4/tcp/4001/p2p/nope'], /must end in \/p2p\//) })
    void it('bad relay from the environment', () => {
      usageError([], /not a valid multiaddr/, { ...CTX, env: { SECURECHAT_RELAYS: 'garbage' } })
    })
  })
})
