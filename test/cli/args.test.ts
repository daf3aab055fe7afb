/** The top-level parser: which subcommand, --help and --version, and what every subcommand's options share */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../src/cli/args.ts'
import { CTX, usageError } from './usage.ts'

void describe('parseArgs', () => {
  void it('--help and --version win over other options', () => {
    const help = parseArgs(['--port', 'nope', '--help'], CTX)
    assert.equal(help.command, 'help')
    assert.ok(help.command === 'help' && help.text.includes('--relay MULTIADDR'))
    assert.equal(parseArgs(['-h'], CTX).command, 'help')
    assert.deepEqual(parseArgs(['--version'], CTX), { command: 'version' })
  })

  void it('picks the subcommand from the first argument, chat when there is none', () => {
    assert.equal(parseArgs([], CTX).command, 'chat')
    assert.equal(parseArgs(['chat'], CTX).command, 'chat')
    assert.equal(parseArgs(['relay'], CTX).command, 'relay')
    assert.equal(parseArgs(['relay-health'], CTX).command, 'relay-health')
  })

  void it('the top-level help lists every subcommand', () => {
    const help = parseArgs(['--help'], CTX)
    assert.ok(help.command === 'help')

    for (const word of ['chat', 'relay', 'relay-health', 'Commands:']) {
      assert.ok(help.text.includes(word), `help mentions ${word}`)
    }
  })

  void describe('usage errors', () => {
    void it('unknown subcommand', () => { usageError(['frobnicate'], /unknown command 'frobnicate'/) })
    void it('subcommand after options', () => { usageError(['--json', 'chat'], /unexpected argument 'chat'/) })
    void it('extra positional', () => { usageError(['chat', 'extra'], /unexpected argument 'extra'/) })
    void it('unknown flag', () => { usageError(['--bogus'], /unknown option '--bogus'/) })
    void it('unknown short flag', () => { usageError(['-x'], /unknown option '-x'/) })
    void it('missing value', () => { usageError(['--port'], /--port/) })
    void it('value for a boolean', () => { usageError(['--json=yes'], /--json/) })
    void it('negated flag', () => { usageError(['--no-json'], /unknown option '--no-json'/) })

    for (const port of ['-1', '65536', '1.5', 'abc', '', ' 80', '0x10', '1e3', '999999']) {
      void it(`port '${port}'`, () => { usageError([`--port=${port}`], /--port must be an integer from 0 to 65535/) })
    }

    void it('empty data dir', () => { usageError(['--data-dir', ''], /--data-dir must not be empty/) })
    void it('bad host', () => {
      for (const host of ['localhost', '', '1.2.3', '::g']) {
        usageError([`--host=${host}`], /--host must be an IPv4 or IPv6 address/)
      }
    })
  })
})
