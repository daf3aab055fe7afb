/** `securechat passwd` options, through the top-level parser */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { secretFile } from '../account/scripted.ts'
import { CTX, usageError } from '../usage.ts'
import type { ArgsContext } from '../../../src/cli/args.ts'
import type { PasswdOptions } from '../../../src/cli/passwd/options.ts'

function passwd (argv: string[], ctx: ArgsContext = CTX): PasswdOptions {
  const invocation = parseArgs(['passwd', ...argv], ctx)
  assert.equal(invocation.command, 'passwd')
  return invocation.options
}

void describe('passwd options', () => {
  void it('has defaults: ~/.securechat, nothing given', () => {
    assert.deepEqual(passwd([]), { dataDir: '/home/alice/.securechat', remove: false })
  })

  void it('the current one from SECURECHAT_PASSPHRASE or --passphrase-file, the new one from SECURECHAT_NEW_PASSPHRASE or --new-passphrase-file', async (t) => {
    assert.deepEqual(passwd(['--data-dir', '/tmp/b'], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'old', SECURECHAT_NEW_PASSPHRASE: 'new' } }),
      { dataDir: '/tmp/b', passphrase: 'old', newPassphrase: 'new', remove: false })
    const old = await secretFile(t, 'old', 'old one\n')
    const next = await secretFile(t, 'new', 'new one\r\n')
    assert.deepEqual(passwd(['--passphrase-file', old, '--new-passphrase-file', next]),
      { dataDir: '/home/alice/.securechat', passphrase: 'old one', newPassphrase: 'new one', remove: false })
    // empty counts as unset, as for SECURECHAT_PASSPHRASE: removing takes --remove-passphrase
    assert.deepEqual(passwd(['--remove-passphrase'], { ...CTX, env: { SECURECHAT_NEW_PASSPHRASE: '' } }), { dataDir: '/home/alice/.securechat', remove: true })
  })

  void it('refuses contradictions and bad files, naming the option', async (t) => {
    const next = await secretFile(t, 'new', 'new one\n')
    usageError(['passwd', '--new-passphrase-file', next], /SECURECHAT_NEW_PASSPHRASE or with --new-passphrase-file, not both/, { ...CTX, env: { SECURECHAT_NEW_PASSPHRASE: 'x' } })
    usageError(['passwd', '--new-passphrase-file', next, '--remove-passphrase'], /exclude each other/)
    usageError(['passwd', '--new-passphrase-file', join(next, '..', 'missing')], /^--new-passphrase-file .*missing: cannot open it \(ENOENT\)$/)
    const empty = await secretFile(t, 'empty', '\n')
    usageError(['passwd', '--new-passphrase-file', empty], /^--new-passphrase-file .*: the first line is empty$/)
  })

  void it('--help: usage, every option and variable, exit codes', () => {
    const help = parseArgs(['passwd', '--help'], CTX)
    assert.equal(help.command, 'help')
    for (const text of ['securechat passwd [options]', '--data-dir DIR', '--passphrase-file FILE', '--new-passphrase-file FILE', '--remove-passphrase', 'SECURECHAT_PASSPHRASE', 'SECURECHAT_NEW_PASSPHRASE', 'atomic', '130']) {
      assert.ok(help.text.includes(text), `passwd --help mentions ${text}`)
    }
  })

  void it('the top-level help lists both', () => {
    const help = parseArgs(['--help'], CTX)
    assert.equal(help.command, 'help')
    assert.match(help.text, /\n {2}init {2,}create an account/)
    assert.match(help.text, /\n {2}passwd {2,}change, set or remove the passphrase/)
  })
})
