/**
 * Backup and restore with real processes on a LAN of network namespaces:
 * alice (passphrase-protected) and bob become contacts, alice names and
 * verifies bob, they chat, and alice queues a message while bob is away.
 * `securechat export` writes alice's archive; `securechat import` restores
 * it into a new data dir on another host; started there, alice has the
 * same peer id, bob as a verified contact with her petname, the same
 * history, and the queued message reaches bob. Bob sees the same alice
 * (his contact, the same safety number) and they chat on both ways.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { is, where } from '../helpers/events.ts'
import { BIN, NODE_BIN, NODE_FLAGS, spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { steps } from '../helpers/steps.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

const START = 90_000
const DISCOVER = 60_000
const DELIVER = 60_000
const PASSPHRASE = 'alice keeps this passphrase for her backups'
const execFileAsync = promisify(execFile)

/** `securechat <args>` as a command (no network), with alice's passphrase in the environment */
async function securechat (args: string[]): Promise<{ stdout: string, stderr: string }> {
  return execFileAsync(NODE_BIN, [...NODE_FLAGS, BIN, ...args], { env: { ...process.env, SECURECHAT_PASSPHRASE: PASSPHRASE }, timeout: 120_000 })
}

await test('backup and restore: the same account on another host, contacts, history and outbox intact', { skip, timeout: 600_000 }, async (t) => {
  const topology = Topology.create({ t })
  const lan = await topology.addBridge('lan')
  const hosts: Record<string, Host> = {}
  for (const name of ['alice', 'bob', 'newbox']) {
    hosts[name] = await topology.addHost(name, { bridge: lan })
  }
  const aliceDir = await tempDir(t, 'securechat-alice-')
  const bobDir = await tempDir(t, 'securechat-bob-')
  const spare = await tempDir(t, 'securechat-newbox-')
  const restoredDir = join(spare, 'restored')
  const archive = join(spare, 'alice.securechat-archive')

  const start = async (name: string, dataDir: string, host: Host, passphrase?: string): Promise<{ proc: ChatProcess, peerId: string }> => {
    const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t, ...(passphrase === undefined ? {} : { env: { SECURECHAT_PASSPHRASE: passphrase } }) })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { proc, peerId: ready.peerId }
  }

  const alice = await start('alice', aliceDir, hosts.alice as Host, PASSPHRASE)
  let bob = await start('bob', bobDir, hosts.bob as Host)
  const step = steps(t)
  const queued: string[] = []
  let safety = ''

  await step('alice and bob become contacts, alice names and verifies bob, they chat', async () => {
    await alice.proc.waitFor(where('peer', 'bob connected', e => e.peerId === bob.peerId && e.status === 'connected'), { timeout: DISCOVER })
    const hello = await alice.proc.request(`/msg ${bob.peerId} hello bob`, is('pending'))
    await bob.proc.waitFor(is('message', { id: hello.id }), { timeout: DELIVER })
    await bob.proc.request(`/accept ${alice.peerId}`, is('accepted', { peerId: alice.peerId }))
    const reply = await bob.proc.request(`/msg ${alice.peerId} hello alice`, is('pending'))
    await alice.proc.waitFor(is('message', { id: reply.id }), { timeout: DELIVER })
    await alice.proc.waitFor(is('delivered', { id: hello.id }), { timeout: DELIVER })
    await alice.proc.request(`/name ${bob.peerId} Bobby`, is('contact', { peerId: bob.peerId, petname: 'Bobby' }))
    await alice.proc.request(`/verify ${bob.peerId}`, is('contact', { peerId: bob.peerId, verified: true }))
    safety = (await alice.proc.request(`/safety ${bob.peerId}`, is('safety'))).number
  })

  await step('alice queues two messages while bob is away, then stops', async () => {
    await bob.proc.stop()
    for (const text of ['while you were away 1', 'while you were away 2']) {
      queued.push((await alice.proc.request(`/msg Bobby ${text}`, is('pending'))).id)
    }
    assert.deepEqual(await alice.proc.stop(), { code: 0, signal: null, forced: false })
  })

  let before: unknown
  await step('export, then import on another host into a new data dir', async (t) => {
    const exported = await securechat(['export', archive, '--data-dir', aliceDir])
    t.diagnostic(exported.stdout.trim())
    const imported = await securechat(['import', archive, '--data-dir', restoredDir])
    t.diagnostic(imported.stdout.trim())
    assert.ok(imported.stdout.includes(alice.peerId), 'import names the restored peer id')
    assert.deepEqual((await readdir(restoredDir)).sort(), ['db', 'securechat.key'])
    // the archive is useless without the passphrase
    await assert.rejects(execFileAsync(NODE_BIN, [...NODE_FLAGS, BIN, 'import', archive, '--data-dir', join(spare, 'other')], { env: { ...process.env, SECURECHAT_PASSPHRASE: 'not it' }, timeout: 120_000 }))
    assert.deepEqual((await readdir(spare)).sort(), ['alice.securechat-archive', 'restored'], 'a refused import writes nothing')
    before = await historyOf(aliceDir)
  })

  async function historyOf (dataDir: string): Promise<unknown> {
    const probe = spawnChat({ name: 'probe', dataDir, host: '127.0.0.1', t, env: { SECURECHAT_PASSPHRASE: PASSPHRASE }, args: ['--no-mdns'] })
    await probe.waitFor(is('ready'), { timeout: START })
    const history = await probe.request(`/history ${bob.peerId} 100`, is('history'))
    await probe.stop()
    return history.messages
  }

  await step('restored alice: same peer id, bob a verified contact named Bobby, same history; the queued messages reach bob', async () => {
    const restored = await start('alice2', restoredDir, hosts.newbox as Host, PASSPHRASE)
    assert.equal(restored.peerId, alice.peerId)
    const peers = await restored.proc.request('/peers', is('peers'))
    const entry = peers.peers.find(p => p.peerId === bob.peerId)
    assert.equal(entry?.relation, 'contact')
    assert.equal(entry?.petname, 'Bobby')
    assert.equal(entry?.verified, true)
    const history = await restored.proc.request(`/history ${bob.peerId} 100`, is('history'))
    assert.deepEqual(history.messages, before)
    assert.equal((await restored.proc.request(`/safety ${bob.peerId}`, is('safety'))).number, safety)

    bob = await start('bob', bobDir, hosts.bob as Host)
    for (const id of queued) {
      await bob.proc.waitFor(is('message', { id, from: alice.peerId }), { timeout: DELIVER })
      await restored.proc.waitFor(is('delivered', { id }), { timeout: DELIVER })
    }
    const fromBob = await bob.proc.request(`/msg ${alice.peerId} welcome back`, is('pending'))
    const got = await restored.proc.waitFor(is('message', { id: fromBob.id }), { timeout: DELIVER })
    assert.equal(got.request, undefined, 'bob is still alice\'s contact')
    const fromAlice = await restored.proc.request('/msg Bobby thanks', is('pending'))
    const arrived = await bob.proc.waitFor(is('message', { id: fromAlice.id }), { timeout: DELIVER })
    assert.equal(arrived.request, undefined, 'alice is still bob\'s contact: same peer id, same key')
    assert.deepEqual(await restored.proc.stop(), { code: 0, signal: null, forced: false })
    assert.deepEqual(await bob.proc.stop(), { code: 0, signal: null, forced: false })
  })
})
