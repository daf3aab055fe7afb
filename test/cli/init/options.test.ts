/** `securechat init` options, through the top-level parser */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { secretFile } from '../account/scripted.ts'
import { CTX, usageError } from '../usage.ts'
import type { ArgsContext } from '../../../src/cli/args.ts'
import type { InitOptions } from '../../../src/cli/init/options.ts'

function init (argv: string[], ctx: ArgsContext = CTX): InitOptions {
  const invocation = parseArgs(['init', ...argv], ctx)
  assert.equal(invocation.command, 'init')
  return invocation.options
}

void describe('init options', () => {
  void it('has defaults: the user name, ~/.securechat, no passphrase', () => {
    assert.deepEqual(init([]), { name: 'alice', dataDir: '/home/alice/.securechat' })
    assert.deepEqual(init([], { ...CTX, env: { SECURECHAT_DATA_DIR: '/srv/chat' } }), { name: 'alice', dataDir: '/srv/chat' })
  })

  void it('reads --name, --data-dir, SECURECHAT_PASSPHRASE and --passphrase-file', async (t) => {
    assert.deepEqual(init(['--name', 'bob', '--data-dir', '/tmp/b']), { name: 'bob', dataDir: '/tmp/b' })
    assert.equal(init([], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'open sesame' } }).passphrase, 'open sesame')
    assert.equal(init([], { ...CTX, env: { SECURECHAT_PASSPHRASE: '' } }).passphrase, undefined)
    const file = await secretFile(t, 'pass', 'from a file\nsecond line\n')
    assert.equal(init(['--passphrase-file', file]).passphrase, 'from a file')
  })

  void it('refuses bad values', async (t) => {
    usageError(['init', '--name', ''], /--name/)
    usageError(['init', '--passphrase', 'x'], /unknown option '--passphrase'/)
    usageError(['init', 'extra'], /unexpected argument 'extra'/)
    const loose = await secretFile(t, 'loose', 'pass\n', 0o644)
    usageError(['init', '--passphrase-file', loose], /group or others may read or change it/)
    const file = await secretFile(t, 'pass', 'pass\n')
    usageError(['init', '--passphrase-file', file], /not both/, { ...CTX, env: { SECURECHAT_PASSPHRASE: 'x' } })
  })

  void it('--help: usage, every option, where the passphrase comes from, exit codes', () => {
    const help = parseArgs(['init', '--help'], CTX)
    assert.equal(help.command, 'help')
    for (const text of ['securechat init [options]', '--name NAME', '--data-dir DIR', '--passphrase-file FILE', 'SECURECHAT_PASSPHRASE', 'passwd', '130']) {
      assert.ok(help.text.includes(text), `init --help mentions ${text}`)
    }
  })
})
