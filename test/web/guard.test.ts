/**
 * Who may use the web face (src/web/guard.ts), pure: the Host header, the
 * Origin, and the token in its header for the API.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { judge } from '../../src/web/guard.ts'
import type { RequestFacts } from '../../src/web/guard.ts'

const PORT = 7878
const TOKEN = 'a'.repeat(64)
const init = { port: PORT, token: TOKEN }
const ours = (rest: Partial<RequestFacts> = {}): RequestFacts => ({ method: 'GET', url: '/api/account', host: `127.0.0.1:${PORT}`, token: TOKEN, ...rest })

void describe('web guard', () => {
  void it('the API with the token in its header, from our page or no page; the public page and assets without it', () => {
    assert.deepEqual(judge(ours(), init), { type: 'allow' })
    assert.deepEqual(judge(ours({ host: `localhost:${PORT}` }), init), { type: 'allow' }, 'localhost is the same machine')
    assert.deepEqual(judge(ours({ method: 'POST', url: '/api/command', origin: `http://127.0.0.1:${PORT}` }), init), { type: 'allow' })
    assert.deepEqual(judge(ours({ url: '/', token: undefined }), init), { type: 'allow' }, 'the page is the same bundle for everyone')
    assert.deepEqual(judge(ours({ url: '/assets/index-1a2b.js', token: undefined }), init), { type: 'allow' })
  })

  void it('refuses the API without the token, with a wrong one, and anything but GET outside the API', () => {
    assert.deepEqual(judge(ours({ token: undefined }), init), { type: 'refuse', status: 401, reason: 'no token' })
    assert.deepEqual(judge(ours({ token: 'b'.repeat(64) }), init), { type: 'refuse', status: 401, reason: 'wrong token' })
    assert.deepEqual(judge(ours({ token: 'short' }), init), { type: 'refuse', status: 401, reason: 'wrong token' })
    assert.deepEqual(judge(ours({ url: `/api/account?token=${TOKEN}`, token: undefined }), init), { type: 'refuse', status: 401, reason: 'no token' }, 'never from the URL')
    assert.equal(judge(ours({ method: 'POST', url: '/', origin: `http://127.0.0.1:${PORT}` }), init).type, 'refuse')
  })

  void it('refuses another Host (DNS rebinding), another Origin, and a POST without an Origin, token or not', () => {
    for (const host of [undefined, 'evil.example', `evil.example:${PORT}`, `127.0.0.1:${PORT + 1}`, `127.0.0.1.evil.example:${PORT}`]) {
      assert.deepEqual(judge(ours({ host }), init), { type: 'refuse', status: 403, reason: 'wrong Host header' }, String(host))
    }
    for (const origin of ['http://evil.example', `http://127.0.0.1:${PORT + 1}`, `https://127.0.0.1:${PORT}`, 'null']) {
      assert.deepEqual(judge(ours({ method: 'POST', url: '/api/command', origin }), init), { type: 'refuse', status: 403, reason: 'request from another origin' }, origin)
    }
    assert.deepEqual(judge(ours({ method: 'POST', url: '/api/command' }), init), { type: 'refuse', status: 403, reason: 'no Origin header' })
  })
})
