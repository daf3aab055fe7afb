/** main() end to end, for everything that needs no node */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { version } from '../../src/cli/version.ts'

async function run (argv: string[], env: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (c: string) => { out += c })
  stderr.setEncoding('utf8').on('data', (c: string) => { err += c })
  const code = await main(argv, { stdout, stderr, env, exit: () => { assert.fail('no forced exit') } })
  await new Promise(resolve => setImmediate(resolve))
  return { code, stdout: out, stderr: err }
}

void describe('main', () => {
  void it('--help prints the help on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--help'])
    assert.equal(code, 0)
    assert.equal(stderr, '')
    assert.match(stdout, /^securechat: /)
    assert.match(stdout, /Usage:/)
    assert.match(stdout, /REPL commands/)
    assert.match(stdout, /Environment:/)
    assert.match(stdout, /Examples:/)
    for (const usage of ['/requests', '/accept <peer>', '/decline <peer>', '/block <peer>', '/unblock <peer>', '/name <peer> [<petname>]', '/safety <peer>', '/verify <peer>']) {
      assert.ok(stdout.includes(`\n  ${usage} `) || stdout.includes(`\n  ${usage}\n`), `--help lists ${usage}`)
    }
    assert.match(stdout, /<peer> is the first that matches: a full peer id; your petname/)
  })

  void it('--version prints the package version', async () => {
    const { code, stdout } = await run(['--version'])
    assert.equal(code, 0)
    assert.match(version(), /^\d+\.\d+\.\d+/)
    assert.equal(stdout, `securechat ${version()}\n`)
  })

  void it('usage errors go to stderr with a hint, exit 2', async () => {
    for (const argv of [['--bogus'], ['nosuchcommand'], ['relay', '--port', '99999'], ['relay-health', '--host', 'nothost'], ['relay', '--data-limit', '0'], ['--port', '99999'], ['--name', ''], ['--help', '--bogus']]) {
      const { code, stdout, stderr } = await run(argv)
      assert.equal(code, 2, argv.join(' '))
      assert.equal(stdout, '')
      assert.match(stderr, /^error: .+\nRun 'securechat --help' for usage\.\n$/)
    }
  })

  void it('a bad relay in the environment is a usage error too', async () => {
    const { code, stderr } = await run([], { SECURECHAT_RELAYS: '/ip4/1.2.3.4/tcp/1' })
    assert.equal(code, 2)
    assert.match(stderr, /must end in \/p2p\//)
  })
})
