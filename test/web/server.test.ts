/**
 * The web face's HTTP server (src/web/server.ts) on loopback, with a real
 * account gate on a real (empty) data dir: the security headers on every
 * answer, the page and its assets from memory only, and the API's refusals
 * (a body that is too big, not JSON or not declared as JSON, a command
 * before the account is open, a route that does not exist).
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { checkPassphrase, createAccount, inspectDataDir } from '../../src/app/index.ts'
import { AccountGate, WebServer, loadAssets } from '../../src/web/index.ts'
import { TOKEN_HEADER } from '../../src/web/guard.ts'
import { CONTENT_SECURITY_POLICY } from '../../src/web/headers.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { TempDir } from '../helpers/tmp.ts'

const TOKEN = 'c'.repeat(64)
let dir: TempDir
let server: WebServer

before(async () => {
  dir = await createTempDir('securechat-web-')
  const assets = join(dir.path, 'assets')
  await mkdir(join(assets, 'assets'), { recursive: true })
  await writeFile(join(assets, 'index.html'), '<!doctype html><title>t</title>')
  await writeFile(join(assets, 'assets', 'app.js'), 'console.log(1)')
  await writeFile(join(assets, 'secret.pem'), 'not served: no type of ours')
  const gate = new AccountGate({
    dataDir: join(dir.path, 'data'),
    accounts: { inspectDataDir, checkPassphrase, createAccount },
    start: async () => { throw new Error('not started in these tests') }
  })
  server = new WebServer({ port: 0, gate, assets: await loadAssets(assets), token: TOKEN, uploads: join(dir.path, 'uploads') })
  await server.start()
})
after(async () => {
  await server?.stop()
  await dir?.remove()
})

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

function code (answer: Answer): string | undefined {
  return (JSON.parse(answer.body) as { error?: { code: string } }).error?.code
}

async function send (method: string, path: string, init: { headers?: Record<string, string>, body?: string | Buffer } = {}): Promise<Answer> {
  const origin = `http://127.0.0.1:${server.port}`
  const headers = { [TOKEN_HEADER]: TOKEN, ...(method === 'GET' ? {} : { origin, 'content-type': 'application/json' }), ...init.headers }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }) })
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

void describe('web server', () => {
  void it('listens on 127.0.0.1 only and prints a URL with its token', () => {
    assert.equal(server.url, `http://127.0.0.1:${server.port}/#token=${TOKEN}`)
  })

  void it('every answer has the security headers, refusals too', async () => {
    for (const answer of [await send('GET', '/'), await send('GET', '/api/account', { headers: { [TOKEN_HEADER]: '' } }), await send('GET', '/nope/../../etc/passwd')]) {
      assert.equal(answer.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
      assert.equal(answer.headers['x-content-type-options'], 'nosniff')
      assert.equal(answer.headers['x-frame-options'], 'DENY')
      assert.equal(answer.headers['referrer-policy'], 'no-referrer')
    }
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/)
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:/)
  })

  void it('serves the page and its assets from memory: a page route is the page, an unknown asset or API is 404, a file of another type is not served', async () => {
    const page = await send('GET', '/chat/somebody')
    assert.deepEqual([page.status, page.body, page.headers['cache-control']], [200, '<!doctype html><title>t</title>', 'no-store'])
    assert.equal((await send('GET', '/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8')
    assert.equal((await send('GET', '/assets/missing.js')).status, 404)
    assert.equal((await send('GET', '/api/nothing')).status, 404)
    assert.equal((await send('GET', '/secret.pem')).body, '<!doctype html><title>t</title>', 'a .pem is not an asset: the page route answers')
    assert.equal((await send('DELETE', '/api/account')).status, 405)
  })

  void it('the account state; a command or the events before the account is open are AccountClosedError', async () => {
    const state = await send('GET', '/api/account')
    assert.deepEqual([state.status, JSON.parse(state.body)], [200, { state: 'empty' }])
    const cmd = await send('POST', '/api/command', { body: JSON.stringify({ type: 'whoami' }) })
    assert.deepEqual([cmd.status, code(cmd)], [409, 'AccountClosedError'])
    assert.equal((await send('GET', '/api/events')).status, 409)
    const unlock = await send('POST', '/api/account/unlock', { body: JSON.stringify({ passphrase: 'x' }) })
    assert.deepEqual([unlock.status, code(unlock)], [409, 'AccountStateError'], 'nothing to unlock in an empty data dir')
  })

  void it('estimates a new passphrase\'s strength as the REPL does (zxcvbn), before any account exists', async () => {
    const weak = await send('POST', '/api/strength', { body: JSON.stringify({ passphrase: 'password1' }) })
    const w = JSON.parse(weak.body) as { score: number, enough: boolean, text: string }
    assert.equal(weak.status, 200)
    assert.ok(w.score <= 1 && !w.enough, weak.body)
    assert.match(w.text, /^strength: [01] of 4/)
    const strong = JSON.parse((await send('POST', '/api/strength', { body: JSON.stringify({ passphrase: 'violet badger hums under the old bridge' }) })).body) as { enough: boolean }
    assert.equal(strong.enough, true)
  })

  void it('refuses a body over 128 KiB, one that is not JSON or not a JSON object, and one not sent as application/json', async () => {
    const big = await send('POST', '/api/account/unlock', { body: JSON.stringify({ passphrase: 'x'.repeat(200 * 1024) }) })
    assert.deepEqual([big.status, code(big)], [400, 'InvalidRequestBodyError'])
    for (const body of ['{', '[1]', '"text"', 'null']) {
      const answer = await send('POST', '/api/account/unlock', { body })
      assert.deepEqual([answer.status, code(answer)], [400, 'InvalidRequestBodyError'], body)
    }
    const form = await send('POST', '/api/account/unlock', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'passphrase=x' })
    assert.deepEqual([form.status, code(form)], [400, 'InvalidRequestBodyError'], 'what a form of another site could post')
    const typed = await send('POST', '/api/account/unlock', { body: JSON.stringify({ passphrase: 42 }) })
    assert.equal(typed.status, 400)
  })
})
