/**
 * Three real `securechat --json` processes on one LAN (a bridge joining
 * three network namespaces): they find each other by mDNS, chat both ways
 * with delivery receipts, and one of them restarts with its data dir and
 * keeps its identity and history.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { is, where } from '../helpers/events.ts'
import type { ReadyEvent } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'
import { steps } from '../helpers/steps.ts'

const skip = await netnsSkip()
if (skip === false) {
  // namespaces (and processes) left by an earlier, killed run
  await cleanupStale()
}

/** Generous: three nodes start on two cores, and mDNS takes its time */
const START = 90_000
const DISCOVER = 60_000
const DELIVER = 60_000

type Name = 'alice' | 'bob' | 'carol'

interface Node {
  name: Name
  host: Host
  dataDir: string
  proc: ChatProcess
  peerId: string
}

/** One message as both ends should remember it */
interface Sent {
  id: string
  from: string
  to: string
  text: string
}

async function seen (node: Node, other: Node, since = 0): Promise<void> {
  await node.proc.waitFor(
    where('peer', `${other.name} (${other.peerId}) discovered or connected`,
      e => e.peerId === other.peerId && (e.status === 'discovered' || e.status === 'connected')),
    { timeout: DISCOVER, since })
}

/** `/msg` from one node to another: pending, received, delivered */
async function chat (from: Node, to: Node, text: string): Promise<Sent> {
  const pending = await from.proc.request(`/msg ${to.peerId} ${text}`, is('pending', { to: to.peerId, text }))
  assert.match(pending.id, /^[0-9a-f]{32}$/)
  const received = await to.proc.waitFor(is('message', { id: pending.id }), { timeout: DELIVER })
  assert.equal(received.from, from.peerId)
  assert.equal(received.name, from.name)
  assert.equal(received.text, text)
  await from.proc.waitFor(is('delivered', { id: pending.id, to: to.peerId }), { timeout: DELIVER })
  return { id: pending.id, from: from.peerId, to: to.peerId, text }
}

/** `/history` of `node` with `peer` holds exactly `exchange`, in order */
async function assertHistory (node: Node, peer: Node, exchange: Sent[]): Promise<void> {
  const history = await node.proc.request(`/history ${peer.peerId}`, is('history', { peer: peer.peerId }))
  assert.deepEqual(
    history.messages.map(m => ({ id: m.id, peer: m.peer, direction: m.direction, from: m.from, text: m.text })),
    exchange.map(s => ({ id: s.id, peer: peer.peerId, direction: s.from === node.peerId ? 'out' : 'in', from: s.from, text: s.text })),
    `${node.name}'s history with ${peer.name}`)
  for (const m of history.messages) {
    if (m.direction === 'out') {
      assert.ok(m.status === 'delivered' || m.status === 'read', `status of ${node.name}'s message ${m.id}: ${m.status}`)
    }
  }
}

await test('three hosts on a LAN discover each other, chat, and survive a restart', { skip, timeout: 600_000 }, async (t) => {
  const topology = Topology.create({ t })
  const lan = await topology.addBridge('lan')

  const start = async (name: Name, host: Host, dataDir: string): Promise<{ proc: ChatProcess, ready: ReadyEvent }> => {
    const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    assert.equal(ready.name, name)
    assert.ok(ready.addrs.some(a => a.startsWith(`/ip4/${host.ip}/tcp/`)), `${name} listens on ${host.ip}: ${ready.addrs.join(' ')}`)
    return { proc, ready }
  }

  const names: Name[] = ['alice', 'bob', 'carol']
  const nodes = await Promise.all(names.map(async (name): Promise<Node> => {
    const host = await topology.addHost(name, { bridge: lan })
    const dataDir = await tempDir(t, `securechat-${name}-`)
    const { proc, ready } = await start(name, host, dataDir)
    return { name, host, dataDir, proc, peerId: ready.peerId }
  }))
  const [alice, bob, carol] = nodes as [Node, Node, Node]
  assert.equal(new Set(nodes.map(n => n.peerId)).size, 3, 'three distinct peer ids')

  // each step builds on the previous one: after a failure, skip the rest
  const step = steps(t)

  await step('each discovers the other two by mDNS', async (t) => {
    const began = Date.now()
    await Promise.all(nodes.flatMap(node => nodes.filter(o => o !== node).map(async other => { await seen(node, other) })))
    t.diagnostic(`all six discoveries within ${Date.now() - began} ms of the last ready`)
  })

  const aliceBob: Sent[] = []
  await step('messages go both ways with delivery receipts', async () => {
    aliceBob.push(await chat(alice, bob, 'hello bob, this is alice'))
    aliceBob.push(await chat(bob, alice, 'hi alice! ünïcødé ✓ works'))
    aliceBob.push(await chat(alice, bob, 'third message, in order'))
    await chat(carol, alice, 'carol here')
    await chat(alice, carol, 'welcome carol')
    await chat(bob, carol, 'bob to carol')
  })

  await step('bob restarts with the same identity and history, and chats again', async () => {
    const stopped = await bob.proc.stop()
    assert.deepEqual(stopped, { code: 0, signal: null, forced: false }, '/quit exits cleanly')
    bob.proc.assertClean()

    const aliceMark = alice.proc.mark()
    const restarted = await start('bob', bob.host, bob.dataDir)
    assert.equal(restarted.ready.peerId, bob.peerId, 'same peer id after restart')
    bob.proc = restarted.proc

    await assertHistory(bob, alice, aliceBob)

    await seen(bob, alice)
    aliceBob.push(await chat(bob, alice, 'back again'))
    await alice.proc.waitFor(is('peer', { peerId: bob.peerId, status: 'connected' }), { since: aliceMark, timeout: DISCOVER })
    aliceBob.push(await chat(alice, bob, 'welcome back, bob'))

    await assertHistory(alice, bob, aliceBob)
    await assertHistory(bob, alice, aliceBob)
  })

  await step('all stop cleanly', async () => {
    const exits = await Promise.all(nodes.map(async n => await n.proc.stop()))
    assert.deepEqual(exits, nodes.map(() => ({ code: 0, signal: null, forced: false })))
  })
})
