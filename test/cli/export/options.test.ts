/** `securechat export FILE` options, through the top-level parser */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { secretFile } from '../account/scripted.ts'
import { CTX, usageError } from '../usage.ts'
import type { ArgsContext } from '../../../src/cli/args.ts'
import type { ExportOptions } from '../../../src/cli/export/options.ts'

function exportOptions (argv: string[], ctx: ArgsContext = CTX): ExportOptions {
  const invocation = parseArgs(['export', ...argv], ctx)
  assert.equal(invocation.command, 'export')
  return invocation.options
}

void describe('export options', () => {
  void it('takes FILE (made absolute), the default data dir, no passphrase, text output', () => {
    assert.deepEqual(exportOptions(['/backups/alice.sca']), { file: '/backups/alice.sca', dataDir: '/home/alice/.securechat', json: false })
    assert.equal(exportOptions(['alice.sca']).file, `${process.cwd()}/alice.sca`)
    assert.deepEqual(exportOptions(['--data-dir', '/srv/chat', '--json', '--', '-odd-name.sca']), { file: `${process.cwd()}/-odd-name.sca`, dataDir: '/srv/chat', json: true })
    assert.equal(exportOptions(['f.sca'], { ...CTX, env: { SECURECHAT_DATA_DIR: '/env/dir' } }).dataDir, '/env/dir')
  })

  void it('takes the passphrase from SECURECHAT_PASSPHRASE or --passphrase-file, never both', async (t) => {
    assert.equal(exportOptions(['f.sca'], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'open sesame' } }).passphrase, 'open sesame')
    const file = await secretFile(t, 'pass', 'from a file\n')
    assert.equal(exportOptions(['f.sca', '--passphrase-file', file]).passphrase, 'from a file')
    usageError(['export', 'f.sca', '--passphrase-file', file], /not both/, { ...CTX, env: { SECURECHAT_PASSPHRASE: 'x' } })
  })

  void it('needs exactly one FILE; --help needs none', () => {
    usageError(['export'], /^missing FILE \(securechat export FILE \[options\]\)$/)
    usageError(['export', 'a.sca', 'b.sca'], /^unexpected argument 'b.sca'$/)
    usageError(['export', ''], /^FILE must not be empty$/)
    usageError(['export', 'a.sca', '--bogus'], /unknown option '--bogus'/)
    const help = parseArgs(['export', '--help'], CTX)
    assert.ok(help.command === 'help')
    assert.match(help.text, /^securechat export: /)
    for (const flag of ['--data-dir DIR', '--passphrase-file FILE', '--json', 'securechat export FILE [options]', 'SECURECHAT_PASSPHRASE']) {
      assert.ok(help.text.includes(flag), `help mentions ${flag}`)
    }
  })
})
