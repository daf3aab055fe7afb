/**
 * Security review PoC (web face, resources, no token needed): any local
 * process can reach 127.0.0.1:<port>.
 *
 * 1. A refused request's body is read to its end: the guard answers 401/403
 *    without reading the body (good), but the connection stays open and
 *    node's http server then reads and discards whatever follows, for ever
 *    with `Transfer-Encoding: chunked` (seen: over 400 MB in 3 s from one
 *    client; the node's event loop lag went from ~11 ms to ~100 ms p99 with
 *    8 of them). The refusal should close the connection.
 * 2. Connections are not capped (server.maxConnections is unset) and one that
 *    never sends a request is kept for node's default headersTimeout (60 s,
 *    checked every 30 s): a local process holds as many file descriptors of
 *    the node process as it likes, the ones libp2p and LevelDB need too.
 *
 * Real WebServer (src/web) on loopback. Both fail now.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { checkPassphrase, createAccount, inspectDataDir } from '../../src/app/index.ts'
import { AccountGate, WebServer } from '../../src/web/index.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { Socket } from 'node:net'
import type { TempDir } from '../helpers/tmp.ts'

let dir: TempDir
let web: WebServer
before(async () => {
  dir = await createTempDir('securechat-review-exhaustion-')
  const gate = new AccountGate({ dataDir: join(dir.path, 'data'), accounts: { inspectDataDir, checkPassphrase, createAccount }, start: async () => { throw new Error('not started here') } })
  web = new WebServer({ port: 0, gate, assets: new Map([['/index.html', { body: Buffer.from('<!doctype html>'), type: 'text/html; charset=utf-8' }]]) })
  await web.start()
})
after(async () => {
  await web?.stop()
  await dir?.remove()
})

void describe('review: what a local process without the token can hold', () => {
  void it('a refused request with an endless body: the server answers and closes, it does not read on', async () => {
    const socket = connect(web.port, '127.0.0.1')
    let answer = ''
    let closed = false
    socket.on('data', (d: Buffer) => { answer += d.toString() })
    socket.on('error', () => { closed = true })
    socket.on('close', () => { closed = true })
    await new Promise(resolve => socket.once('connect', resolve))
    socket.write(`POST /api/account/unlock HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`)
    const chunk = Buffer.alloc(256 * 1024, 0x20)
    let sent = 0
    const until = Date.now() + 3000
    while (!closed && Date.now() < until) {
      if (!socket.write(`${chunk.length.toString(16)}\r\n`) || !socket.write(chunk) || !socket.write('\r\n')) {
        await Promise.race([new Promise(resolve => socket.once('drain', resolve)), sleep(100)])
      }
      sent += chunk.length
      await sleep(0)
    }
    socket.destroy()
    // the answer may be lost to the reset of a client that writes on without reading: the point is that the server stops
    assert.ok(answer === '' || /^HTTP\/1\.1 40[13] /.test(answer), `refused: ${JSON.stringify(answer.slice(0, 60))}`)
    assert.ok(closed, `the server was still reading after ${Math.round(sent / 2 ** 20)} MiB of a refused request's body`)
  })

  void it('idle connections without a request are capped', async () => {
    const sockets: Socket[] = []
    let open = 0
    for (let i = 0; i < 1000; i++) {
      const s = connect(web.port, '127.0.0.1')
      s.on('error', () => {})
      s.once('connect', () => { open++ })
      s.once('close', () => { open-- })
      sockets.push(s)
    }
    await sleep(1500)
    const held = open
    for (const s of sockets) s.destroy()
    assert.ok(held <= 256, `${held} idle connections without a token held open by the node process`)
  })
})
