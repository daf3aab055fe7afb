/**
 * The passphrase for non-interactive use, through the top-level parser:
 * SECURECHAT_PASSPHRASE or `--passphrase-file FILE` (its first line; a file
 * group or others may access is refused), never both, for `securechat`
 * (chat) and `securechat relay`.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseArgs } from '../../src/cli/args.ts'
import { tempDir } from '../helpers/tmp.ts'
import { CTX, usageError } from './usage.ts'
import type { ArgsContext } from '../../src/cli/args.ts'
import type { TestContext } from 'node:test'

const NODE_FLAGS = ['--experimental-transform-types', '--disable-warning=ExperimentalWarning']
const MODULE = fileURLToPath(new URL('../../src/cli/passphrase-file.ts', import.meta.url))

/** The passphrase `securechat [sub] ...argv` would start with */
function passphraseOf (sub: 'chat' | 'relay', argv: string[], ctx: ArgsContext = CTX): string | undefined {
  const invocation = parseArgs([sub, ...argv], ctx)
  assert.ok(invocation.command === sub)
  return invocation.options.passphrase
}

/** A file holding `content` with `mode`, in a temp dir of the test */
async function file (t: TestContext, content: string | Uint8Array, mode = 0o600): Promise<string> {
  const path = join(await tempDir(t, 'securechat-pass-'), 'passphrase')
  await writeFile(path, content)
  await chmod(path, mode)
  return path
}

for (const sub of ['chat', 'relay'] as const) {
  void describe(`securechat ${sub}: the passphrase`, () => {
    void it('comes from the first line of --passphrase-file, without its line ending', async t => {
      assert.equal(passphraseOf(sub, ['--passphrase-file', await file(t, 'open sesame\nsecond line\n')]), 'open sesame')
      assert.equal(passphraseOf(sub, ['--passphrase-file', await file(t, 'crlf\r\n')]), 'crlf')
      assert.equal(passphraseOf(sub, [`--passphrase-file=${await file(t, ' spaces kept , no newline ')}`]), ' spaces kept , no newline ')
      assert.equal(passphraseOf(sub, ['--passphrase-file', await file(t, 'Zoë 🦊\n', 0o400)]), 'Zoë 🦊')
    })

    void it('or from SECURECHAT_PASSPHRASE (empty is unset), never from both', async t => {
      const path = await file(t, 'from the file\n')
      assert.equal(passphraseOf(sub, [], { ...CTX, env: { SECURECHAT_PASSPHRASE: 'from env' } }), 'from env')
      assert.equal(passphraseOf(sub, []), undefined)
      assert.equal(passphraseOf(sub, ['--passphrase-file', path], { ...CTX, env: { SECURECHAT_PASSPHRASE: '' } }), 'from the file')
      usageError([sub, '--passphrase-file', path], /either in SECURECHAT_PASSPHRASE or with --passphrase-file, not both/, { ...CTX, env: { SECURECHAT_PASSPHRASE: 'from env' } })
      usageError([sub, '--passphrase', 'x'], /unknown option '--passphrase'/)
    })

    void it('refuses a file group or others may access, with the fix in the message', async t => {
      for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o601]) {
        const path = await file(t, 'secret\n', mode)
        usageError([sub, '--passphrase-file', path], new RegExp(`group or others may read or change it \\(mode ${mode.toString(8).padStart(4, '0')}\\); run chmod 600 `))
      }
    })

    void it('refuses a missing, empty, oversized or non-UTF-8 file, or a directory', async t => {
      const dir = await tempDir(t, 'securechat-pass-')
      usageError([sub, '--passphrase-file', join(dir, 'missing')], /--passphrase-file .*missing: cannot open it \(ENOENT\)/)
      usageError([sub, '--passphrase-file', dir], /is a directory/)
      usageError([sub, '--passphrase-file', ''], /--passphrase-file must not be empty/)
      usageError([sub, '--passphrase-file', await file(t, '')], /the first line is empty/)
      usageError([sub, '--passphrase-file', await file(t, '\nsecond line\n')], /the first line is empty/)
      usageError([sub, '--passphrase-file', await file(t, 'x'.repeat(5000))], /the first line is over 4096 bytes/)
      usageError([sub, '--passphrase-file', await file(t, new Uint8Array([0xff, 0xfe, 0x0a]))], /the first line is not UTF-8 text/)
    })

    void it('is in --help', () => {
      const help = parseArgs([sub, '--help'], CTX)
      assert.ok(help.command === 'help')
      assert.match(help.text, /--passphrase-file FILE +read the passphrase from the first line of FILE/)
      assert.match(help.text, /SECURECHAT_PASSPHRASE/)
    })
  })
}

void describe('--passphrase-file from a pipe', () => {
  void it('reads the first line, however the writer splits it', async () => {
    // a shell pipe (node's own stdio "pipe" is a socket pair, which /dev/stdin cannot open)
    const script = `const { readPassphraseFile } = await import(${JSON.stringify(MODULE)}); process.stdout.write(JSON.stringify(readPassphraseFile('/dev/stdin')))`
    const node = [process.execPath, ...NODE_FLAGS, '--input-type=module', '-e', script].map(arg => `'${arg.replaceAll("'", "'\\''")}'`).join(' ')
    const child = spawn('sh', ['-c', `(printf 'from a '; sleep 0.2; printf 'pipe\\nnot this\\n') | ${node}`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    const [code] = await once(child, 'exit') as [number | null]
    assert.deepEqual([code, stdout], [0, '"from a pipe"'])
  })
})
