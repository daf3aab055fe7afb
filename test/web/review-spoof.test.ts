/**
 * Security review PoC (web face, hostile peers): a stranger that takes a
 * contact's nickname looks exactly like the contact in the web app. The
 * trust model (README "Trust model", src/protocol/nickname.ts) rests on "a
 * name on screen always comes with the peer's short id" — the REPL prints
 * `bob (…Hx7qP2rT4nWe)` and `[request]` — but the page shows
 * `label(p) = petname ?? nickname` alone in the peer list, in the
 * conversation and for the sender of each message; the relation is only in a
 * visually hidden `.sr` span. Nicknames are the peer's choice and not unique.
 *
 * Real nodes: alice runs `--web` (her account opened by the CLI with
 * SECURECHAT_PASSPHRASE), bob is her contact, mallory calls herself "bob",
 * connects and writes. Real Chromium on alice's page.
 *
 * It also checks (and this part passes) that a peer's HTML in a nickname or a
 * message is shown as text, never parsed.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import { is } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { Browser } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}`
const HTML = '<img src=x onerror="window.pwned=1">'

let browser: Browser | undefined
before(async () => {
  if (skip !== false) return
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
})
after(async () => { await browser?.close() })

void describe('review: a stranger named like a contact in the web app', { skip }, () => {
  void it('the page tells a contact from a stranger of the same nickname, as the REPL does (short id next to the name)', async (t) => {
    const alice = spawnChat({ name: 'alice', dataDir: await tempDir(t), host: '127.0.0.1', args: ['--no-mdns', '--web-port', '0'], env: { SECURECHAT_PASSPHRASE: 'amber falcon drinks cold river tea' }, t })
    const bob = spawnChat({ name: 'bob', dataDir: await tempDir(t), host: '127.0.0.1', args: ['--no-mdns'], t })
    const mallory = spawnChat({ name: 'bob', dataDir: await tempDir(t), host: '127.0.0.1', args: ['--no-mdns'], t })
    const web = await alice.waitFor(is('web'), { timeout: 60_000 })
    const [aliceReady, bobReady] = await Promise.all([alice.waitFor(is('ready'), { timeout: 60_000 }), bob.waitFor(is('ready'), { timeout: 60_000 }), mallory.waitFor(is('ready'), { timeout: 60_000 })])

    // bob is alice's contact: she wrote to him
    await alice.request(`/connect ${bobReady.addrs[0] ?? ''}`, is('connected'))
    await alice.request(`/msg ${bobReady.peerId} hi bob`, is('delivered'))
    // mallory, "bob" too, connects and writes (HTML in the text, for the XSS check)
    await mallory.request(`/connect ${aliceReady.addrs[0] ?? ''}`, is('connected'))
    await mallory.request(`/msg ${aliceReady.peerId} it is me, bob, on my new laptop ${HTML}`, is('delivered'))

    const context = await browser!.newContext()
    const page = await context.newPage()
    await page.goto(web.url)
    // the peer list: the first list of the navigation (rooms may follow)
    const buttons = page.locator('nav[aria-label="Peers"] ul').first().locator('li button')
    await page.waitForFunction(() => document.querySelector('nav[aria-label="Peers"] ul')?.querySelectorAll('li button').length === 2, undefined, { timeout: 30_000 })
    // what the user sees of each: the button's text without the visually hidden .sr part
    const visible = await buttons.evaluateAll(els => els.map(el => {
      const copy = el.cloneNode(true) as HTMLElement
      copy.querySelectorAll('.sr').forEach(sr => { sr.remove() })
      return (copy.textContent ?? '').trim()
    }))

    // the message, HTML and all, is text (open mallory's conversation: the one with the request)
    for (let i = 0; i < 2; i++) {
      await buttons.nth(i).click()
      if (await page.getByRole('group', { name: 'Message request' }).count() > 0) break
    }
    const text = page.locator('li.in .text').filter({ hasText: 'on my new laptop' })
    await text.waitFor({ timeout: 30_000 })
    assert.equal(await text.textContent(), `it is me, bob, on my new laptop ${HTML}`)
    assert.equal(await page.locator('li.in img').count(), 0, 'no element from the peer\'s text')
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)
    const sender = (await page.locator('li.in .who').first().textContent()) ?? ''
    await context.close()

    assert.notEqual(visible[0], visible[1], `the contact and the stranger look the same in the peer list: ${JSON.stringify(visible)}`)
    assert.match(sender, /…/, `the sender of the stranger's message is shown as ${JSON.stringify(sender)}, with no short id`)
  })
})
