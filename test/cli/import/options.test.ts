/** `securechat import FILE` options, through the top-level parser */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { secretFile } from '../account/scripted.ts'
import { CTX, usageError } from '../usage.ts'
import type { ArgsContext } from '../../../src/cli/args.ts'
import type { ImportOptions } from '../../../src/cli/import/options.ts'

function importOptions (argv: string[], ctx: ArgsContext = CTX): ImportOptions {
  const invocation = parseArgs(['import', ...argv], ctx)
  assert.equal(invocation.command, 'import')
  return invocation.options
}

void describe('import options', () => {
  void it('takes FILE (made absolute), --data-dir (default the usual one), --json', () => {
    assert.deepEqual(importOptions(['/backups/alice.sca']), { file: '/backups/alice.sca', dataDir: '/home/alice/.securechat', json: false })
    assert.deepEqual(importOptions(['--data-dir', 'restored', 'a.sca', '--json']), { file: `${process.cwd()}/a.sca`, dataDir: `${process.cwd()}/restored`, json: true })
    assert.equal(importOptions(['a.sca'], { ...CTX, env: { SECURECHAT_DATA_DIR: '/env/dir' } }).dataDir, '/env/dir')
  })

  void it('takes the passphrase from SECURECHAT_PASSPHRASE or --passphrase-file', async (t) => {
    assert.equal(importOptions(['a.sca'], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'open sesame' } }).passphrase, 'open sesame')
    const file = await secretFile(t, 'pass', 'from a file\r\n')
    assert.equal(importOptions(['a.sca', '--passphrase-file', file]).passphrase, 'from a file')
    const loose = await secretFile(t, 'loose', 'x\n', 0o644)
    usageError(['import', 'a.sca', '--passphrase-file', loose], /group or others may read or change it/)
  })

  void it('needs exactly one FILE; --help needs none', () => {
    usageError(['import'], /^missing FILE \(securechat import FILE \[options\]\)$/)
    usageError(['import', 'a.sca', 'b.sca'], /^unexpected argument 'b.sca'$/)
    usageError(['import', '--data-dir', '', 'a.sca'], /--data-dir must not be empty/)
    const help = parseArgs(['import', '-h'], CTX)
    assert.ok(help.command === 'help')
    assert.match(help.text, /^securechat import: /)
    assert.ok(help.text.includes('securechat import FILE [options]'))
  })
})
