/**
 * The web app in a real browser (Debian's Chromium, driven by
 * playwright-core) against real `securechat --web` processes on loopback:
 * two nodes, two browsers. Each user creates an identity in the browser
 * (first start); the nodes meet (a /connect on one REPL: the REPL and the
 * web app run at once); each sees the other, and they chat both ways with
 * delivery marks; bob accepts alice's message request, both compare the
 * safety number (the same digits and QR code on both pages) and mark each
 * other verified; alice sends bob a file from the page, he accepts it and
 * both watch it reach 100 %; both join a room in the browser and talk in it. Then bob's node restarts on its protected data dir: a
 * wrong passphrase is refused, the right one unlocks it and the history is
 * there. A request without the token, or from another Origin, is refused.
 * axe finds no serious or critical accessibility violation on any screen.
 * Screenshots of each screen go to $SCREENSHOTS_DIR (default
 * .tmp/screenshots; `SCREENSHOTS_DIR=docs/screenshots` refreshes the
 * README's).
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import AxeBuilder from '@axe-core/playwright'
import { chromium } from 'playwright-core'
import { is } from '../helpers/events.ts'
import { REPO_ROOT, spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { ChatProcess } from '../helpers/process.ts'
import type { Browser, Page } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ?? join(REPO_ROOT, '.tmp', 'screenshots')
const PASSPHRASES = { alice: 'amber falcon drinks cold river tea', bob: 'violet badger hums under the old bridge' }
// CI installs it (scripts/install-test-deps.sh): there a missing browser fails the test instead of skipping it
const skip = existsSync(CHROMIUM) || process.env.CI != null ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`

let browser: Browser | undefined

before(async () => {
  if (skip !== false) return
  await mkdir(SCREENSHOTS, { recursive: true })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
})
after(async () => { await browser?.close() })

function webNode (t: { after: (fn: () => unknown) => void }, name: string, dataDir: string): ChatProcess {
  return spawnChat({ name, dataDir, host: '127.0.0.1', args: ['--no-mdns', '--web-port', '0'], t })
}

async function page (url: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } })
  const p = await context.newPage()
  await p.goto(url)
  return p
}

async function shot (p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** axe on the page as it is: nothing serious or critical */
async function accessible (p: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page: p }).analyze()
  const bad = results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], `${screen}: accessibility violations`)
}

async function firstStart (p: Page, name: string, passphrase: string): Promise<void> {
  await p.getByRole('heading', { name: 'Welcome to securechat' }).waitFor()
  await p.getByLabel('Nickname').fill(name)
  // a weak one is said to be weak, and needs a tick to go on
  await p.getByLabel('Passphrase', { exact: true }).fill('password1')
  await p.getByText(/^Strength: [01] of 4/).waitFor({ timeout: 30_000 })
  await p.getByLabel('Use this weak passphrase anyway').waitFor()
  await p.getByLabel('Passphrase', { exact: true }).fill(passphrase)
  await p.getByText(/^Strength: [34] of 4/).waitFor({ timeout: 30_000 })
  assert.equal(await p.getByLabel('Use this weak passphrase anyway').count(), 0)
  await p.getByLabel('Passphrase again').fill(passphrase)
  await p.getByRole('button', { name: 'Create my identity' }).click()
  await p.getByText(`You are ${name}`).waitFor({ timeout: 30_000 })
}

/** A raw request to the web server: what a page of another site, or a process without the token, could send */
async function raw (url: string, init: { method?: string, path?: string, headers?: Record<string, string>, body?: string }): Promise<number> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: init.method ?? 'GET', path: init.path ?? '/', headers: init.headers ?? {} }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

void describe('web app in a browser', { skip }, () => {
  void it('first start, meet, chat both ways with delivery marks; wrong passphrase refused, unlock keeps the history; no token or another Origin refused', async (t) => {
    const aliceDir = await tempDir(t)
    const bobDir = await tempDir(t)
    const alice = webNode(t, 'alice', aliceDir)
    let bob = webNode(t, 'bob', bobDir)
    const aliceWeb = await alice.waitFor(is('web'), { timeout: 60_000 })
    const bobWeb = await bob.waitFor(is('web'), { timeout: 60_000 })
    assert.equal(aliceWeb.waiting, 'create')
    assert.match(aliceWeb.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)
    const token = new URL(aliceWeb.url).hash.slice('#token='.length)

    // the token is the key: without it, or from another site, nothing but the public page
    assert.equal(await raw(aliceWeb.url, { path: '/api/account' }), 401)
    assert.equal(await raw(aliceWeb.url, { path: `/api/account?token=${token}` }), 401, 'never from the URL')
    assert.equal(await raw(aliceWeb.url, { path: '/', headers: { host: 'evil.example' } }), 403, 'a DNS-rebound name')
    const stranger = await page(new URL('/', aliceWeb.url).toString())
    await stranger.getByText('Open the address securechat printed').waitFor()
    await stranger.context().close()

    const a = await page(aliceWeb.url)
    assert.ok(!a.url().includes('token='), 'the token leaves the address bar')
    assert.deepEqual(await a.context().cookies(), [], 'no cookie: another server on 127.0.0.1 would get it')
    assert.equal(await a.evaluate(() => localStorage.getItem('securechat-token')), token, 'kept in this origin\'s storage')
    await shot(a, 'first-start')
    await accessible(a, 'first start')
    const command = JSON.stringify({ type: 'whoami' })
    const auth = { 'x-securechat-token': token, 'content-type': 'application/json' }
    assert.equal(await raw(aliceWeb.url, { method: 'POST', path: '/api/command', headers: { ...auth, origin: 'http://evil.example' }, body: command }), 403, 'another Origin, even with the token')
    assert.equal(await raw(aliceWeb.url, { method: 'POST', path: '/api/command', headers: auth, body: command }), 403, 'no Origin on a POST')

    await firstStart(a, 'alice', PASSPHRASES.alice)
    const b = await page(bobWeb.url)
    await firstStart(b, 'bob', PASSPHRASES.bob)
    const aliceReady = await alice.waitFor(is('ready'))
    const bobReady = await bob.waitFor(is('ready'))
    await accessible(a, 'chat, nobody chosen')

    // the REPL and the web app at once: alice's REPL connects, both browsers see the other
    alice.send(`/connect ${bobReady.addrs[0] ?? ''}`)
    await a.getByRole('button', { name: /^bob/ }).click({ timeout: 30_000 })
    await a.getByLabel('Message').fill('hello bob, from the browser')
    await a.getByRole('button', { name: 'Send', exact: true }).click()
    const mine = a.locator('li.out').filter({ hasText: 'hello bob, from the browser' })
    await mine.locator('.mark[data-status="delivered"], .mark[data-status="read"]').waitFor({ timeout: 30_000 })

    await b.getByRole('button', { name: /^alice/ }).click({ timeout: 30_000 })
    // alice is no contact of bob's yet: a request, answered in the browser
    const request = b.getByRole('group', { name: 'Message request' })
    await request.getByText(/is not a contact: 1 message held/).waitFor({ timeout: 30_000 })
    await shot(b, 'request')
    await accessible(b, 'message request')
    await request.getByRole('button', { name: 'Accept' }).click()
    await request.waitFor({ state: 'detached', timeout: 30_000 })
    await b.locator('li.in').filter({ hasText: 'hello bob, from the browser' }).waitFor({ timeout: 30_000 })
    // accepted and shown: alice's page marks her message read
    await mine.locator('.mark[data-status="read"]').waitFor({ timeout: 30_000 })

    // both compare the safety number, the same digits on both screens, and mark each other verified
    const numbers: string[] = []
    for (const p of [a, b]) {
      await p.getByText('Name and safety number').click()
      await p.getByRole('button', { name: 'Show safety number' }).click()
      numbers.push((await p.getByLabel('Safety number').textContent()) ?? '')
      assert.ok(await p.getByRole('img', { name: 'QR code of the safety number' }).isVisible())
    }
    assert.match(numbers[0] ?? '', /^(\d{5} ){3}\d{5}\n/)
    assert.equal(numbers[0], numbers[1], 'the same safety number on both sides')
    await shot(a, 'safety-number')
    await accessible(a, 'safety number')
    for (const p of [a, b]) {
      await p.getByRole('button', { name: 'Mark as verified' }).click()
      await p.locator('.peer h2 .badge').filter({ hasText: 'verified' }).waitFor({ timeout: 30_000 })
    }
    await alice.waitFor(is('contact', { peerId: bobReady.peerId, verified: true }))

    await b.getByLabel('Message').fill('hi alice, got it')
    await b.getByRole('button', { name: 'Send', exact: true }).click()
    await a.locator('li.in').filter({ hasText: 'hi alice, got it' }).waitFor({ timeout: 30_000 })
    // alice has the conversation open: bob's reply is read, and his page says so (alice's first message came to bob as a request: no receipt for it)
    await b.locator('li.out').filter({ hasText: 'hi alice, got it' }).locator('.mark[data-status="read"]').waitFor({ timeout: 30_000 })
    await shot(a, 'chat')
    await accessible(a, 'chat')
    // the REPL saw the same conversation
    await alice.waitFor(is('message', { text: 'hi alice, got it', from: bobReady.peerId }))

    // a file: alice drops it on the conversation (here: the file input), bob accepts it, both see it reach 100 %
    const content = randomBytes(3 * 1024 * 1024 + 11)
    const photo = join(aliceDir, 'holiday photo.jpg')
    await writeFile(photo, content)
    await a.getByLabel('Send a file (or drop it here)').setInputFiles(photo)
    await b.getByRole('button', { name: 'Accept holiday photo.jpg' }).click({ timeout: 30_000 })
    for (const p of [a, b]) {
      const row = p.locator('.files li[data-state="complete"]').filter({ hasText: 'holiday photo.jpg' })
      await row.waitFor({ timeout: 60_000 })
      assert.equal(await row.getByRole('progressbar').getAttribute('aria-label'), 'holiday photo.jpg: 100 %')
    }
    await shot(b, 'files')
    await accessible(b, 'files')
    const landed = await bob.waitFor(is('file', { status: 'complete' }))
    assert.deepEqual(await readFile(landed.path ?? ''), content, 'the file arrived whole')
    // the upload is kept only while it is offered
    for (let i = 0; (await readdir(join(aliceDir, 'uploads'))).length > 0; i++) {
      assert.ok(i < 100, 'the upload is removed once its transfer is complete')
      await new Promise(resolve => setTimeout(resolve, 100))
    }

    // a room: both join it in the browser, meet as members, and talk in it
    for (const p of [a, b]) {
      const form = p.getByRole('form', { name: 'Join a room' })
      await form.getByLabel('Room name').fill('demo')
      await form.getByLabel('Room key (optional)').fill('pine cone 7')
      await form.getByRole('button', { name: 'Join' }).click()
      await p.getByRole('heading', { name: '# demo' }).waitFor({ timeout: 30_000 })
    }
    await a.getByText(/Members: bob \(…\w{12}\) \(online\)/).waitFor({ timeout: 60_000 })
    await a.getByLabel('Message to the room').fill('hello, room')
    await a.getByRole('button', { name: 'Send', exact: true }).click()
    await b.locator('li.in').filter({ hasText: 'hello, room' }).waitFor({ timeout: 30_000 })
    await shot(b, 'room')
    await accessible(b, 'room')
    await alice.waitFor(is('room', { room: 'demo', status: 'online', member: bobReady.peerId }))

    // bob's node restarts on his protected data dir: the browser unlocks it
    await bob.stop()
    bob = webNode(t, 'bob', bobDir)
    const again = await bob.waitFor(is('web'), { timeout: 60_000 })
    assert.equal(again.waiting, 'unlock')
    const b2 = await page(again.url)
    await b2.getByRole('heading', { name: 'Unlock securechat' }).waitFor()
    await shot(b2, 'unlock')
    await accessible(b2, 'unlock')
    await b2.getByLabel('Passphrase').fill('not the passphrase')
    await b2.getByRole('button', { name: 'Unlock' }).click()
    await b2.getByRole('alert').filter({ hasText: 'Wrong passphrase.' }).waitFor({ timeout: 30_000 })
    assert.equal(bob.all(is('ready')).length, 0, 'no node started on a wrong passphrase')
    await b2.getByLabel('Passphrase').fill(PASSPHRASES.bob)
    await b2.getByRole('button', { name: 'Unlock' }).click()
    await b2.getByText('You are bob').waitFor({ timeout: 30_000 })
    await b2.getByRole('button', { name: /^alice/ }).click({ timeout: 30_000 })
    await b2.locator('li.in').filter({ hasText: 'hello bob, from the browser' }).waitFor({ timeout: 30_000 })
    assert.equal(aliceReady.peerId.length > 0, true)
  })
})
