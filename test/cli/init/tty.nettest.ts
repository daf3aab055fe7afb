/**
 * Registration and login on a real terminal (tmux, as the REPL's TTY test):
 * `securechat init` with the passphrase typed twice at hidden prompts and
 * its strength shown; then starts on that data dir, which ask for it: three
 * wrong tries exit 1 with WrongPassphraseError, the right one brings up the
 * REPL with the identity init printed. And the README's one start command on
 * an empty data dir registers first, then chats. No passphrase typed ever
 * appears on the screen or in its scrollback; the exit codes are the
 * shell's `$?`, printed after each run.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkPassphrase, inspectDataDir } from '../../../src/app/index.ts'
import { BIN, NODE_BIN, NODE_FLAGS, REPO_ROOT } from '../../helpers/process.ts'
import { steps } from '../../helpers/steps.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { Tmux, lastLine, tmuxSkip } from '../../helpers/tmux.ts'
import type { Screen } from '../../helpers/tmux.ts'

/** Node on two cores, transforming types on the fly: give startup room */
const START = 60_000
/** scrypt (N=2^17) once or twice, and zxcvbn's dictionaries */
const CHECK = 30_000

const PASSPHRASE = 'Quokka lanterns orbit 7291 drizzle'
const WRONG = ['wrong-guess-number-one', 'wrong-guess-number-two', 'wrong-guess-number-three']
const SECOND = 'Marmalade glaciers whisper 4418 tuba'
const SECRETS = [PASSPHRASE, ...WRONG, SECOND]

/** `argv` in a shell that prints `EXIT:<code>` when it ends, so the screen shows the exit code */
function withExitCode (argv: readonly string[]): string[] {
  const quoted = argv.map(a => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  return ['sh', '-c', `${quoted}; echo EXIT:$?`]
}

function securechat (...args: string[]): string[] {
  return withExitCode([NODE_BIN, ...NODE_FLAGS, BIN, ...args])
}

/** No passphrase on this screen: every check of every wait goes through here */
function secretFree<T> (check: (screen: Screen) => T | undefined): (screen: Screen) => T | undefined {
  return screen => {
    for (const line of screen.lines) {
      for (const secret of SECRETS) {
        assert.ok(!line.includes(secret), `a passphrase is on the screen: ${line}`)
      }
    }
    return check(screen)
  }
}

function exitCode (screen: Screen): number | undefined {
  const line = screen.lines.find(l => /^EXIT:\d+$/.test(l))
  return line != null ? Number(line.slice('EXIT:'.length)) : undefined
}

/** The last row is the prompt `? <message>` (Inquirer's, waiting for input) */
function prompting (message: string): (screen: Screen) => Screen | undefined {
  return s => lastLine(s).startsWith(`? ${message}`) ? s : undefined
}

const skip = await tmuxSkip()

await test('registration and login on a real terminal (tmux): hidden passphrase, three tries, the REPL', { skip, timeout: 420_000 }, async (t) => {
  const terms: Tmux[] = []
  // registered first, so it runs first: every pane's program ends before the data dirs go
  t.after(async () => { await Promise.all(terms.map(async term => term.kill())) })
  const dataDir = `${await tempDir(t, 'securechat-tty-init-')}/account`
  const freshDir = `${await tempDir(t, 'securechat-tty-fresh-')}/account`
  const node = ['--host', '127.0.0.1', '--port', '0', '--no-mdns']
  let term: Tmux | undefined
  let peerId = ''

  const open = async (argv: string[]): Promise<Tmux> => {
    term = await Tmux.start(REPO_ROOT, argv, { NO_COLOR: '1' })
    terms.push(term)
    return term
  }
  /** The whole scrollback of `tmux`, checked for every passphrase */
  const assertNoSecretAnywhere = async (tmux: Tmux): Promise<void> => {
    const all = await tmux.scrollback()
    for (const secret of SECRETS) {
      assert.ok(!all.includes(secret), `the passphrase "${secret}" is in the scrollback:\n${all}`)
    }
  }
  const step = steps(t, async (name, st) => {
    await term?.capture().catch(() => undefined)
    st.diagnostic(`screen when "${name}" failed:\n${term?.dump() ?? '(no terminal)'}`)
  })

  await step('securechat init: the passphrase twice, hidden, with its strength; the peer id; exit 0', async () => {
    const tmux = await open(securechat('init', '--name', 'alice', '--data-dir', dataDir))
    const first = await tmux.waitFor('the first passphrase prompt', secretFree(prompting('New passphrase (empty for none):')), START)
    assert.ok(first.lines.some(l => l === `Creating a securechat account in ${dataDir}.`), tmux.dump())

    await tmux.type(PASSPHRASE)
    // masked as it is typed: one * per character, nothing else
    await tmux.waitFor('the masked entry', secretFree(s => lastLine(s) === `? New passphrase (empty for none): ${'*'.repeat(PASSPHRASE.length)}` ? s : undefined))
    await tmux.keys('Enter')
    const repeat = await tmux.waitFor('the strength, then the second prompt', secretFree(prompting('Repeat the passphrase:')), CHECK)
    assert.ok(repeat.lines.includes('strength: 4 of 4 (very strong).'), tmux.dump())

    await tmux.type(PASSPHRASE)
    await tmux.keys('Enter')
    const done = await tmux.waitFor('EXIT:0 after the peer id', secretFree(s => exitCode(s) != null ? s : undefined), CHECK)
    assert.equal(exitCode(done), 0, tmux.dump())
    const id = done.lines.map(l => /^peer id: (12D3KooW\w{44})$/.exec(l)?.[1]).find(m => m != null)
    assert.ok(id != null, `a peer id line\n${tmux.dump()}`)
    peerId = id
    assert.ok(done.lines.includes(`account created in ${dataDir}, protected by a passphrase`), tmux.dump())
    assert.ok(!done.lines.some(l => l.includes('not protected')), tmux.dump())
    await assertNoSecretAnywhere(tmux)

    assert.deepEqual(await inspectDataDir(dataDir), { state: 'protected', looseModes: [] })
    await checkPassphrase(dataDir, PASSPHRASE)
    await tmux.kill()
  })

  await step('a start asks for it: three wrong tries, WrongPassphraseError, exit 1', async () => {
    const tmux = await open(securechat('--name', 'alice', '--data-dir', dataDir, ...node))

    for (const [i, wrong] of WRONG.entries()) {
      await tmux.waitFor(`prompt ${i + 1}`, secretFree(s => lastLine(s) === `? Passphrase for ${dataDir}:` &&
        s.lines.filter(l => l.startsWith('Wrong passphrase, ')).length === i ? s : undefined), i === 0 ? START : CHECK)
      await tmux.type(wrong)
      await tmux.keys('Enter')
    }

    const done = await tmux.waitFor('the exit code', secretFree(s => exitCode(s) != null ? s : undefined), CHECK)
    assert.equal(exitCode(done), 1, tmux.dump())
    assert.ok(done.lines.includes('Wrong passphrase, 2 tries left.') && done.lines.includes('Wrong passphrase, 1 try left.'), tmux.dump())
    assert.ok(done.lines.some(l => /^error: wrong passphrase/.test(l)), `the WrongPassphraseError line\n${tmux.dump()}`)
    assert.ok(!done.lines.some(l => l.startsWith('you are ')), `no node started\n${tmux.dump()}`)
    await assertNoSecretAnywhere(tmux)
    await tmux.kill()
  })

  await step('the right passphrase brings up the REPL with the identity init created; /quit exits 0', async () => {
    const tmux = await open(securechat('--name', 'alice', '--data-dir', dataDir, ...node))
    await tmux.waitFor('the passphrase prompt', secretFree(s => lastLine(s) === `? Passphrase for ${dataDir}:` ? s : undefined), START)
    await tmux.type(WRONG[0] ?? '')
    await tmux.keys('Enter')
    await tmux.waitFor('one wrong try', secretFree(s => s.lines.includes('Wrong passphrase, 2 tries left.') && lastLine(s) === `? Passphrase for ${dataDir}:` ? s : undefined), CHECK)
    await tmux.type(PASSPHRASE)
    await tmux.keys('Enter')

    const screen = await tmux.waitFor('the REPL prompt', secretFree(s => lastLine(s) === '>' && s.x === 2 ? s : undefined), START)
    assert.ok(screen.lines.some(l => l === `you are alice (…${peerId.slice(-12)})`), `the identity from init\n${tmux.dump()}`)
    assert.ok(screen.lines.some(l => l.endsWith(`/p2p/${peerId}`)), tmux.dump())
    assert.ok(!screen.lines.some(l => l.startsWith('warning: ')), `a protected, private data dir: no warning\n${tmux.dump()}`)

    // the REPL reads the terminal after the prompts let it go
    await tmux.type('/whoami')
    await tmux.keys('Enter')
    await tmux.waitFor('/whoami answered', secretFree(s => s.lines.includes(`peer id: ${peerId}`) && lastLine(s) === '>' ? s : undefined))
    await tmux.type('/quit')
    await tmux.keys('Enter')
    const done = await tmux.waitFor('the exit code', secretFree(s => exitCode(s) != null ? s : undefined), CHECK)
    assert.equal(exitCode(done), 0, tmux.dump())
    await assertNoSecretAnywhere(tmux)
    await tmux.kill()
  })

  await step('the one start command on an empty data dir registers first, then chats', async () => {
    const tmux = await open(securechat('--name', 'bob', '--data-dir', freshDir, ...node))
    await tmux.waitFor('the first passphrase prompt', secretFree(prompting('New passphrase (empty for none):')), START)
    await tmux.type(SECOND)
    await tmux.keys('Enter')
    await tmux.waitFor('the second prompt', secretFree(prompting('Repeat the passphrase:')), CHECK)
    await tmux.type(SECOND)
    await tmux.keys('Enter')

    const screen = await tmux.waitFor('the REPL prompt', secretFree(s => lastLine(s) === '>' && s.x === 2 ? s : undefined), START)
    const id = screen.lines.map(l => /^peer id: (12D3KooW\w{44})$/.exec(l)?.[1]).find(m => m != null)
    assert.ok(id != null, `registration printed the peer id\n${tmux.dump()}`)
    assert.ok(screen.lines.some(l => l === `you are bob (…${id.slice(-12)})`), tmux.dump())
    await tmux.type('/quit')
    await tmux.keys('Enter')
    const done = await tmux.waitFor('the exit code', secretFree(s => exitCode(s) != null ? s : undefined), CHECK)
    assert.equal(exitCode(done), 0, tmux.dump())
    await assertNoSecretAnywhere(tmux)
    await tmux.kill()

    await checkPassphrase(freshDir, SECOND)
    await assert.rejects(checkPassphrase(freshDir), { name: 'WrongPassphraseError' })
  })
})
