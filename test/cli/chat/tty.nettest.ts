/**
 * The REPL on a real terminal: alice runs interactively inside a tmux pane,
 * bob as a `--json` process, both on loopback. Through the keyboard (tmux
 * send-keys) and the screen (tmux capture-pane): the prompt, tab completion
 * of commands, nicknames and peer ids, incoming messages printed above a
 * half-typed line (also one wrapped over two rows, with the cursor inside
 * it) without garbling it, marked as a request while bob is no contact,
 * chat mode with its `bob> ` prompt and the delivery mark, the safety number
 * with its QR code (the same digits bob gets) and /verify, and `/quit`
 * exiting 0 with the history on disk.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { is, where } from '../../helpers/events.ts'
import { BIN, NODE_BIN, NODE_FLAGS, REPO_ROOT, spawnChat } from '../../helpers/process.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { steps } from '../../helpers/steps.ts'
import { Tmux, lastLine, tmuxSkip } from '../../helpers/tmux.ts'
import type { Screen } from '../../helpers/tmux.ts'

/** Node on two cores, transforming types on the fly: give startup room */
const START = 60_000
const DELIVER = 30_000

const COLS = 120
const ROWS = 40

const ALICE_PASSPHRASE = 'alice tty test passphrase'

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// ---- the test -------------------------------------------------------------------

const skip = await tmuxSkip()

await test('the REPL on a real terminal (tmux): prompt, completion, output above the input line, chat mode, /quit', { skip, timeout: 300_000 }, async (t) => {
  // registered first, so it runs first: alice stops before her data dir goes
  let tmux: Tmux | undefined
  t.after(async () => { await tmux?.kill() })
  const bobDir = await tempDir(t, 'securechat-tty-bob-')
  const aliceDir = await tempDir(t, 'securechat-tty-alice-')

  const bob = spawnChat({ name: 'bob', dataDir: bobDir, host: '127.0.0.1', args: ['--port', '0', '--no-mdns'], t })
  const aliceArgv = [NODE_BIN, ...NODE_FLAGS, BIN, '--name', 'alice', '--host', '127.0.0.1', '--port', '0', '--no-mdns', '--data-dir', aliceDir]
  const started = Date.now()
  // a passphrase in the environment skips registration on her empty data dir (test/cli/init/tty.nettest.ts drives that)
  const term = await Tmux.start(REPO_ROOT, aliceArgv, { NO_COLOR: '1', SECURECHAT_PASSPHRASE: ALICE_PASSPHRASE }, { cols: COLS, rows: ROWS })
  tmux = term

  const bobReady = await bob.waitFor(is('ready'), { timeout: START })
  const bobAddr = bobReady.addrs.find(a => a.startsWith('/ip4/127.0.0.1/tcp/'))
  assert.ok(bobAddr != null, `bob listens on loopback: ${bobReady.addrs.join(' ')}`)
  const bobAddrFull = bobAddr.includes('/p2p/') ? bobAddr : `${bobAddr}/p2p/${bobReady.peerId}`
  // the short id: … and the last 12 characters (every Ed25519 peer id starts with 12D3KooW)
  const bobShort = `…${bobReady.peerId.slice(-12)}`
  let alicePeerId = ''

  // each step builds on the previous one: after a failure, skip the rest
  const step = steps(t, async (name, st) => {
    // the screen as it is now, not only as the failed wait last saw it
    await term.capture().catch(() => undefined)
    st.diagnostic(`screen when "${name}" failed:\n${term.dump()}`)
  })

  await step('alice starts and shows the prompt', async (st) => {
    // readline draws the prompt in several writes: wait until it has settled
    const screen = await term.waitFor('the prompt "> " on the last row, the cursor after it',
      s => lastLine(s) === '>' && s.x === 2 && s.y === s.lines.length - 1 ? s : undefined, START)
    st.diagnostic(`prompt ${Date.now() - started} ms after the pane was created`)
    assert.ok(screen.lines.some(l => /^you are alice \(…\w{12}\)$/.test(l)), `"you are alice" line\n${term.dump()}`)
    const listen = screen.lines.map(l => /^ {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/(\w+)$/.exec(l)?.[1]).find(id => id != null)
    assert.ok(listen != null, `alice lists a loopback address with her peer id\n${term.dump()}`)
    alicePeerId = listen
  })

  await step('Tab completes a command name', async () => {
    await term.type('/he')
    await term.keys('Tab')
    // a single hit is completed with a space after it
    await term.waitFor('"/he" completed to "/help"', s => lastLine(s) === '> /help' && s.x === '> /help '.length ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' && s.x === 2 ? s : undefined)
  })

  await step('alice connects to bob', async () => {
    await term.type(`/connect ${bobAddrFull}`)
    await term.keys('Enter')
    await term.waitFor(`"connected to ${bobShort}"`, s => s.lines.some(l => l.startsWith('connected to ') && l.includes(bobShort)) ? s : undefined, DELIVER)
    await term.waitFor('a peer line: bob is online', s => s.lines.some(l => l.startsWith('* ') && l.includes('is online') && l.includes(bobShort)) ? s : undefined, DELIVER)
    await term.waitFor('the prompt after /connect', s => lastLine(s) === '>' ? s : undefined)
    // both run with --no-mdns (no multicast outside loopback from a root-namespace test): only /connect joins them
    await bob.waitFor(is('peer', { peerId: alicePeerId, status: 'connected' }), { timeout: DELIVER })
  })

  await step('an incoming message appears above a half-typed line, which stays intact', async (st) => {
    const typed = 'half typed words'
    await term.type(typed)
    await term.waitFor('the half-typed line', s => lastLine(s) === `> ${typed}` ? s : undefined)

    const pending = await bob.request(`/msg ${alicePeerId} hello from bob`, is('pending', { to: alicePeerId }))
    // bob is no contact of alice's yet (she only dialled him): his message is a request
    const messageLine = new RegExp(`^\\[\\d\\d:\\d\\d\\] \\[request\\] bob \\(${escapeRegExp(bobShort)}\\): hello from bob$`)
    // a broken redraw stays broken: waiting for the right screen is the assertion
    const screen = await term.waitFor(`bob's message above "> ${typed}", the cursor at its end`, s => {
      const last = s.lines.length - 1
      const at = s.lines.findIndex(l => messageLine.test(l))
      return at !== -1 && at < last && s.lines[last] === `> ${typed}` && s.y === last && s.x === `> ${typed}`.length ? s : undefined
    }, DELIVER)
    assert.equal(screen.lines.filter(l => l.includes('half typed')).length, 1, `no leftover copy of the half-typed line\n${term.dump()}`)
    st.diagnostic(`the screen's last rows:\n${screen.lines.slice(-3).map(l => `  |${l}`).join('\n')}`)
    // and bob hears that it arrived
    await bob.waitFor(is('delivered', { id: pending.id }), { timeout: DELIVER })

    // the line is still readline's, not just pixels: it can be edited on
    await term.type(' and more')
    await term.waitFor('the line edited on', s => lastLine(s) === `> ${typed} and more` ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' && s.x === 2 ? s : undefined)
  })

  await step('an incoming message keeps a wrapped input line and the cursor inside it', async () => {
    // 150 characters after "> " wrap onto a second row; the cursor goes 10 back
    const typed = 'abcdefghij'.repeat(15)
    const split = COLS - 2
    await term.type(typed)
    await term.keys('Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left')
    const rowsOk = (s: Screen): boolean => s.lines.at(-2) === `> ${typed.slice(0, split)}` && s.lines.at(-1) === typed.slice(split)
    const cursorOk = (s: Screen): boolean => s.y === s.lines.length - 1 && s.x === 2 + typed.length - 10 - COLS
    await term.waitFor('the wrapped line, the cursor 10 back', s => rowsOk(s) && cursorOk(s) ? s : undefined)

    await bob.request(`/msg ${alicePeerId} again from bob`, is('pending', { to: alicePeerId }))
    const messageLine = new RegExp(`^\\[\\d\\d:\\d\\d\\] \\[request\\] bob \\(${escapeRegExp(bobShort)}\\): again from bob$`)
    await term.waitFor('bob\'s message above the wrapped line, the cursor where it was',
      s => s.lines.at(-3) != null && messageLine.test(s.lines.at(-3) ?? '') && rowsOk(s) && cursorOk(s) ? s : undefined, DELIVER)

    // typing goes in where the cursor is
    await term.type('Z')
    const edited = `${typed.slice(0, typed.length - 10)}Z${typed.slice(-10)}`
    await term.waitFor('"Z" inserted 10 from the end', s => s.lines.at(-2) === `> ${edited.slice(0, split)}` && s.lines.at(-1) === edited.slice(split) ? s : undefined)
    await term.keys('C-e', 'C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' && s.x === 2 ? s : undefined)
  })

  await step('Tab completes a peer id', async () => {
    // a prefix long enough to be unique among any peers alice knows
    await term.type(`/history ${bobReady.peerId.slice(0, 14)}`)
    await term.keys('Tab')
    await term.waitFor('bob\'s full peer id', s => lastLine(s) === `> /history ${bobReady.peerId}` ? s : undefined)
    await term.keys('C-u')
    await term.waitFor('the cleared prompt', s => lastLine(s) === '>' ? s : undefined)
  })

  await step('/chat bo<Tab>: chat mode with bob, a plain line is delivered and marked', async () => {
    await term.type('/chat bo')
    await term.keys('Tab')
    await term.waitFor('"bo" completed to "bob"', s => lastLine(s) === '> /chat bob' ? s : undefined)
    await term.keys('Enter')
    await term.waitFor('the prompt "bob> "', s => lastLine(s) === 'bob>' && s.x === 'bob> '.length ? s : undefined)
    assert.ok(term.last?.lines.some(l => l.startsWith('chatting with bob ')), `"chatting with bob" line\n${term.dump()}`)

    const since = bob.mark()
    await term.type('hi bob')
    await term.keys('Enter')
    const message = await bob.waitFor(is('message', { text: 'hi bob' }), { timeout: DELIVER, since })
    assert.equal(message.from, alicePeerId)
    assert.equal(message.name, 'alice')
    const screen = await term.waitFor('the delivery mark ✓ bob received "hi bob"', s => s.lines.includes('✓ bob received "hi bob"') ? s : undefined, DELIVER)
    assert.ok(screen.lines.some(l => /^\[\d\d:\d\d\] alice → bob \(…[1-9A-HJ-NP-Za-km-z]{12}, stranger\): hi bob …$/.test(l)), `the pending line\n${term.dump()}`)
    await term.waitFor('the prompt "bob> " after the mark', s => lastLine(s) === 'bob>' ? s : undefined)
    assert.deepEqual(screen.lines.filter(l => l.startsWith('error:')), [], 'no errors on screen')
  })

  await step('/safety bob: the digits bob sees too, and a QR code; /verify bob marks him', async () => {
    const bobs = await bob.request(`/safety ${alicePeerId}`, is('safety', { peer: alicePeerId }))
    assert.match(bobs.number, /^\d{60}$/)
    const groups = (bobs.number.match(/\d{5}/g) ?? []).map(String)
    const digitRows = [0, 4, 8].map(i => `  ${groups.slice(i, i + 4).join(' ')}`)

    await term.type('/safety bob')
    await term.keys('Enter')
    const screen = await term.waitFor('the safety number, the QR code and the hint to /verify', s => {
      const at = s.lines.findIndex(l => l === `safety number with bob (${bobShort}):`)
      const hint = s.lines.findIndex(l => l.startsWith('compare it with theirs'))
      if (s.lines[hint + 1] !== `if they match: /verify ${bobShort}`) return undefined
      return at !== -1 && hint > at + 3 && digitRows.every((row, i) => s.lines[at + 1 + i] === row) ? { s, at, hint } : undefined
    })
    // NO_COLOR: plain half blocks, two modules a character row, with a quiet zone
    const code = screen.s.lines.slice(screen.at + 4, screen.hint)
    assert.ok(code.length >= 13 && code.length <= 21, `a compact QR code: ${code.length} rows\n${term.dump()}`)
    assert.ok(code.every(row => /^[ █▀▄]*$/.test(row)) && code.some(row => row.includes('█')), `QR rows\n${term.dump()}`)

    await term.type('/verify bob')
    await term.keys('Enter')
    await term.waitFor('"bob is a contact, ✓ verified"', s => s.lines.some(l => l === `* bob (${bobShort}) is a contact, ✓ verified`) ? s : undefined)
    await term.waitFor('the prompt "bob> " after /verify', s => lastLine(s) === 'bob>' ? s : undefined)
    assert.deepEqual(term.last?.lines.filter(l => l.startsWith('error:')), [], 'no errors on screen')
  })

  await step('/quit exits 0 and the history is on disk', async (st) => {
    await term.type('/quit')
    await term.keys('Enter')
    const began = Date.now()
    const exit = await term.waitExit(DELIVER)
    st.diagnostic(`alice exited ${Date.now() - began} ms after /quit`)
    await term.capture()
    assert.deepEqual(exit, { status: 0 }, `how alice exited\n${term.dump()}`)

    const again = spawnChat({ name: 'alice', dataDir: aliceDir, host: '127.0.0.1', args: ['--port', '0', '--no-mdns'], env: { SECURECHAT_PASSPHRASE: ALICE_PASSPHRASE }, t })
    const ready = await again.waitFor(is('ready'), { timeout: START })
    assert.equal(ready.peerId, alicePeerId, 'alice keeps her identity')
    const history = await again.request(`/history ${bobReady.peerId}`, where('history', 'with bob', e => e.peer === bobReady.peerId))
    assert.deepEqual(
      history.messages.map(m => ({ direction: m.direction, from: m.from, text: m.text })),
      [
        { direction: 'in', from: bobReady.peerId, text: 'hello from bob' },
        { direction: 'in', from: bobReady.peerId, text: 'again from bob' },
        { direction: 'out', from: alicePeerId, text: 'hi bob' }
      ])
    const out = history.messages.find(m => m.direction === 'out')
    assert.ok(out?.status === 'delivered' || out?.status === 'read', `status of "hi bob": ${out?.status}`)
    const stopped = await again.stop()
    assert.deepEqual(stopped, { code: 0, signal: null, forced: false })
  })
})
