/**
 * Two real securechat nodes, in process, over TCP on loopback: real libp2p,
 * real Noise and Yamux, real LevelDB in temp dirs.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createChatNode } from '../../src/node.ts'
import type { ChatNodeInit } from '../../src/node.ts'
import type { ChatNode, ChatNodeEvents } from '../../src/types.ts'

const dirs: string[] = []
const nodes: ChatNode[] = []

after(async () => {
  await Promise.allSettled(nodes.map(async n => n.stop()))
  await Promise.all(dirs.map(async d => rm(d, { recursive: true, force: true })))
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'securechat-node-'))
  dirs.push(dir)
  return dir
}

async function start (init: Partial<ChatNodeInit> & { name: string }): Promise<ChatNode> {
  const node = await createChatNode({ dataDir: await tempDir(), host: '127.0.0.1', mdns: false, ...init })
  nodes.push(node)
  return node
}

function next<K extends keyof ChatNodeEvents> (node: ChatNode, type: K, match: (d: ChatNodeEvents[K]['detail']) => boolean = () => true, ms = 10_000): Promise<ChatNodeEvents[K]['detail']> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`timed out waiting for ${type}`)) }, ms)
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent).detail as ChatNodeEvents[K]['detail']
      if (match(detail)) {
        clearTimeout(timer)
        node.removeEventListener(type, listener)
        resolve(detail)
      }
    }
    node.addEventListener(type, listener)
  })
}

describe('two nodes on loopback', () => {
  it('chat both ways, with delivery acks, history and nicknames', async () => {
    const alice = await start({ name: 'alice' })
    const bob = await start({ name: 'bob' })
    const addr = bob.addrs().find(a => a.includes('/127.0.0.1/'))
    assert.ok(addr)
    assert.equal(await alice.connect(addr), bob.peerId)

    const gotByBob = next(bob, 'message')
    const sent = await alice.send(bob.peerId, 'hello bob')
    assert.equal(sent.status, 'pending')
    const delivered = await next(alice, 'delivered', d => d.id === sent.id)
    assert.equal(delivered.to, bob.peerId)
    const m = await gotByBob
    assert.deepEqual({ id: m.id, from: m.from, name: m.name, text: m.text }, { id: sent.id, from: alice.peerId, name: 'alice', text: 'hello bob' })

    const gotByAlice = next(alice, 'message')
    const reply = await bob.send(alice.peerId, 'hi alice')
    await next(bob, 'delivered', d => d.id === reply.id)
    assert.equal((await gotByAlice).text, 'hi alice')

    const history = await alice.history(bob.peerId)
    assert.deepEqual(history.map(h => [h.direction, h.text, h.status]), [['out', 'hello bob', 'delivered'], ['in', 'hi alice', undefined]])

    const peers = await alice.peers()
    const viewOfBob = peers.find(p => p.peerId === bob.peerId)
    assert.equal(viewOfBob?.name, 'bob')
    assert.equal(viewOfBob?.online, true)
    assert.equal(viewOfBob?.connection, 'direct')
  })

  it('keeps identity and history across a restart', async () => {
    const dataDir = await tempDir()
    const alice = await start({ name: 'alice' })
    let bob = await start({ name: 'bob', dataDir })
    const bobId = bob.peerId
    await alice.connect(bob.addrs()[0] ?? '')
    const sent = await alice.send(bob.peerId, 'persist me')
    await next(alice, 'delivered', d => d.id === sent.id)
    await bob.stop()

    bob = await start({ name: 'bob', dataDir })
    assert.equal(bob.peerId, bobId)
    const history = await bob.history(alice.peerId)
    assert.deepEqual(history.map(h => [h.id, h.direction, h.text]), [[sent.id, 'in', 'persist me']])
  })

  it('rejects bad input with typed errors and keeps running', async () => {
    const alice = await start({ name: 'alice' })
    await assert.rejects(alice.send('not-a-peer', 'x'), { name: 'InvalidPeerIdError' })
    await assert.rejects(alice.send(alice.peerId, 'x'), { name: 'InvalidPeerIdError' })
    await assert.rejects(alice.send(alice.peerId, '   '), { name: 'EmptyMessageError' })
    await assert.rejects(alice.send(alice.peerId, 'x'.repeat(20_000)), { name: 'MessageTooLargeError' })
    await assert.rejects(alice.connect('/not/a/multiaddr'), { name: 'InvalidMultiaddrError' })
    await assert.rejects(alice.connect('/ip4/127.0.0.1/tcp/1'), { name: 'InvalidMultiaddrError' })
    // a closed port on loopback: unreachable
    const bob = await start({ name: 'bob' })
    const bobAddr = bob.addrs()[0] ?? ''
    await bob.stop()
    await assert.rejects(alice.connect(bobAddr, { signal: AbortSignal.timeout(5000) }), { name: 'UnreachablePeerError' })
    const failed = next(alice, 'error')
    const m = await alice.send(bob.peerId, 'are you there?')
    const err = await failed
    assert.equal(err.id, m.id)
    assert.equal((await alice.history(bob.peerId))[0]?.status, 'pending')
    await assert.doesNotReject(alice.peers())
  })
})
