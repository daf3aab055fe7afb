/**
 * Security review PoC (web face, account state): AccountGate.view() knows
 * only "empty" and "not empty", and nothing tells it that the face (the
 * CLI) is opening the account itself.
 *
 * 1. An unprotected data dir is reported `locked` (src/web/account.ts:78):
 *    while the CLI starts the node on it (the `web` line is printed before
 *    that), and for good after a first start in the browser whose node did
 *    not start: its port taken, or simply a nickname the node refuses (the
 *    gate validates none; createChatNode does, after createAccount has made
 *    the identity: src/node/node.ts:351). The page then shows "Unlock" for an
 *    account that has no passphrase and cannot be opened from it: the empty
 *    passphrase is a TypeError (422), any other a WrongPassphraseError that
 *    uses up the unlock attempts.
 * 2. With SECURECHAT_PASSPHRASE (or --passphrase-file) on an empty data dir
 *    the CLI creates the account as the node starts, but the page is offered
 *    the first start meanwhile: a create from the browser races the CLI's.
 *    Seen: DataDirInUseError (the store's own link(2) guard), or the
 *    browser wins, the data dir ends up under the browser's passphrase, the
 *    CLI's node fails to open it and the process exits 1. The same window
 *    lets an unlock start a second node on a protected data dir.
 *
 * Real WebServer and AccountGate on real data dirs (1); a real
 * `securechat --web` process (2). All fail now.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkPassphrase, createAccount, inspectDataDir, startApp } from '../../src/app/index.ts'
import { AccountGate, WebServer } from '../../src/web/index.ts'
import { TOKEN_HEADER } from '../../src/web/guard.ts'
import { is } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'

interface Answer { status: number, body: { state?: string, error?: { code: string, message: string } } }

async function call (url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const u = new URL(url)
  const token = new URLSearchParams(u.hash.slice(1)).get('token') ?? ''
  const headers = { [TOKEN_HEADER]: token, ...(method === 'POST' ? { origin: u.origin, 'content-type': 'application/json' } : {}) }
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'] }) })
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

const ACCOUNTS = { inspectDataDir, checkPassphrase, createAccount }
const ASSETS = new Map([['/index.html', { body: Buffer.from('<!doctype html>'), type: 'text/html; charset=utf-8' }]])

void describe('review: the account state the web face reports', () => {
  void it('an unprotected data dir is never "locked" while the CLI opens it', async (t) => {
    const dataDir = join(await tempDir(t), 'data')
    await createAccount({ dataDir })
    // as in src/cli/chat/index.ts: the server runs, the CLI is starting the node and has not called gate.open() yet
    const gate = new AccountGate({ dataDir, accounts: ACCOUNTS, start: async () => { throw new Error('the CLI opens this one') } })
    const server = new WebServer({ port: 0, gate, assets: ASSETS })
    await server.start()
    t.after(async () => { await server.stop() })

    const view = await call(server.url, 'GET', '/api/account')
    assert.notEqual(view.body.state, 'locked', 'the page would show "Unlock securechat" for a data dir that has no passphrase')
    gate.opening()
    assert.equal((await call(server.url, 'GET', '/api/account')).body.state, 'starting', 'while the CLI opens it, the page waits')
  })

  void it('a first start checks the nickname and the passphrase before it writes anything', async (t) => {
    const dataDir = join(await tempDir(t), 'data')
    const gate = new AccountGate({
      dataDir,
      accounts: ACCOUNTS,
      // as src/cli/chat/index.ts starts it
      start: async (passphrase, name, opts) => startApp({ name: name ?? 'alice', dataDir, host: '127.0.0.1', port: 0, mdns: false, ...(passphrase != null ? { passphrase } : {}) }, opts)
    })
    const server = new WebServer({ port: 0, gate, assets: ASSETS })
    await server.start()
    t.after(async () => { await gate.app?.stop(); await server.stop() })

    // a nickname the node would refuse is refused before anything is written; no passphrase needs the user's word
    const first = await call(server.url, 'POST', '/api/account/create', { name: 'bob ✓', weak: true })
    assert.deepEqual([first.status, first.body.error?.code], [400, 'InvalidRequestBodyError'])
    assert.equal((await inspectDataDir(dataDir)).state, 'empty', 'nothing was made')
    const unconfirmed = await call(server.url, 'POST', '/api/account/create', { name: 'bob' })
    assert.deepEqual([unconfirmed.status, unconfirmed.body.error?.code], [400, 'WeakPassphraseError'])
    assert.equal((await inspectDataDir(dataDir)).state, 'empty', 'nothing was made')
    const made = await call(server.url, 'POST', '/api/account/create', { name: 'bob', weak: true })
    assert.deepEqual([made.status, made.body.state], [200, 'open'])
  })

  void it('an unprotected account the page finds not started is started with a button, not an unlock', async (t) => {
    const dataDir = join(await tempDir(t), 'data')
    await createAccount({ dataDir })
    const gate = new AccountGate({
      dataDir,
      accounts: ACCOUNTS,
      start: async (passphrase, name, opts) => startApp({ name: name ?? 'alice', dataDir, host: '127.0.0.1', port: 0, mdns: false, ...(passphrase != null ? { passphrase } : {}) }, opts)
    })
    const server = new WebServer({ port: 0, gate, assets: ASSETS })
    await server.start()
    t.after(async () => { await gate.app?.stop(); await server.stop() })
    assert.equal((await call(server.url, 'GET', '/api/account')).body.state, 'unprotected')
    const wrong = await call(server.url, 'POST', '/api/account/unlock', { passphrase: 'anything' })
    assert.equal(wrong.status, 409, 'no passphrase to check')
    const started = await call(server.url, 'POST', '/api/account/unlock', {})
    assert.deepEqual([started.status, started.body.state], [200, 'open'])
  })

  void it('with SECURECHAT_PASSPHRASE on an empty data dir, the browser is not offered a first start that races the CLI', async (t) => {
    const dataDir = await tempDir(t)
    const passphrase = 'the one the operator configured'
    const alice = spawnChat({ name: 'alice', dataDir, host: '127.0.0.1', args: ['--no-mdns', '--web-port', '0'], env: { SECURECHAT_PASSPHRASE: passphrase }, t })
    const web = await alice.waitFor(is('web'), { timeout: 60_000 })
    assert.equal(web.waiting, undefined, 'the CLI opens this account itself')

    const view = await call(web.url, 'GET', '/api/account').catch((err: Error): Answer => ({ status: 0, body: { error: { code: err.message, message: '' } } }))
    const create = await call(web.url, 'POST', '/api/account/create', { passphrase: 'one the browser chose', name: 'mallory' })
      .catch((err: Error): Answer => ({ status: 0, body: { error: { code: `(${err.message}: the process died)`, message: '' } } }))
    const outcome = await Promise.race([alice.waitFor(is('ready'), { timeout: 30_000 }).then(() => 'ready'), alice.exited.then(e => `exited ${e.code}`)])
    const operators = await checkPassphrase(dataDir, passphrase).then(() => 'opens it', (err: Error) => err.name)

    const seen = `view ${view.status} ${view.body.state ?? ''}; create ${create.status} ${create.body.state ?? create.body.error?.code ?? ''}; node ${outcome}; SECURECHAT_PASSPHRASE ${operators}`
    assert.notEqual(view.body.state, 'empty', `the page is offered a first start while the CLI creates the account: ${seen}`)
    assert.deepEqual([create.status, create.body.error?.code, outcome, operators], [409, 'AccountStateError', 'ready', 'opens it'], seen)
  })
})
