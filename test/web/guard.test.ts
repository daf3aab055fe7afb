/**
 * Who may use the web face (src/web/guard.ts), pure: the Host header, the
 * Origin, the token in the URL once and then in the cookie.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cookieName, judge } from '../../src/web/guard.ts'
import type { RequestFacts } from '../../src/web/guard.ts'

const PORT = 7878
const TOKEN = 'a'.repeat(64)
const init = { port: PORT, token: TOKEN }
const ours = (rest: Partial<RequestFacts> = {}): RequestFacts => ({ method: 'GET', url: '/', host: `127.0.0.1:${PORT}`, ...rest })
const cookie = `${cookieName(PORT)}=${TOKEN}`

void describe('web guard', () => {
  void it('the token in the URL logs in: a cookie (HttpOnly, SameSite=Strict) and the same place without the token', () => {
    const verdict = judge(ours({ url: `/chat?x=1&token=${TOKEN}` }), init)
    assert.deepEqual(verdict, { type: 'login', location: '/chat?x=1', cookie: `${cookieName(PORT)}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/` })
    assert.deepEqual(judge(ours({ cookie: `other=1; ${cookie}` }), init), { type: 'allow' })
    assert.deepEqual(judge(ours({ host: `localhost:${PORT}`, cookie }), init), { type: 'allow' }, 'localhost is the same machine')
  })

  void it('refuses a request without the token, with a wrong one, or a cookie of another port\'s server', () => {
    assert.equal(judge(ours(), init).type, 'refuse')
    assert.deepEqual(judge(ours({ url: `/?token=${'b'.repeat(64)}` }), init), { type: 'refuse', status: 401, reason: 'wrong token' })
    assert.deepEqual(judge(ours({ url: '/?token=short' }), init), { type: 'refuse', status: 401, reason: 'wrong token' })
    assert.deepEqual(judge(ours({ cookie: `${cookieName(PORT)}=${'b'.repeat(64)}` }), init), { type: 'refuse', status: 401, reason: 'no token' })
    assert.deepEqual(judge(ours({ cookie: `${cookieName(PORT + 1)}=${TOKEN}` }), init), { type: 'refuse', status: 401, reason: 'no token' })
  })

  void it('refuses another Host (DNS rebinding), another Origin, and a POST without an Origin, token or not', () => {
    for (const host of [undefined, 'evil.example', `evil.example:${PORT}`, `127.0.0.1:${PORT + 1}`, `127.0.0.1.evil.example:${PORT}`]) {
      assert.deepEqual(judge(ours({ host, cookie }), init), { type: 'refuse', status: 403, reason: 'wrong Host header' }, String(host))
    }
    for (const origin of ['http://evil.example', `http://127.0.0.1:${PORT + 1}`, `https://127.0.0.1:${PORT}`, 'null']) {
      assert.deepEqual(judge(ours({ method: 'POST', origin, cookie }), init), { type: 'refuse', status: 403, reason: 'request from another origin' }, origin)
    }
    assert.deepEqual(judge(ours({ method: 'POST', cookie }), init), { type: 'refuse', status: 403, reason: 'no Origin header' })
    assert.deepEqual(judge(ours({ method: 'POST', origin: `http://127.0.0.1:${PORT}`, cookie }), init), { type: 'allow' })
  })
})
