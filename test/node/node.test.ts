/**
 * Two real securechat nodes, in process, over TCP on loopback: real libp2p,
 * real Noise and Yamux, real LevelDB in temp dirs.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { ChatNodeInit } from '../../src/node/index.ts'
import { tcpPort } from '../helpers/addrs.ts'
import { nextEvent as next } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { ChatNode } from '../../src/types.ts'

const loopback = new LoopbackNodes()
after(async () => { await loopback.cleanup() })

const newDataDir = async (): Promise<string> => loopback.dataDir()
const start = async (init: Partial<ChatNodeInit> & { name: string }): Promise<ChatNode> => loopback.start(init)

describe('reliable delivery on loopback', () => {
  it('delivers to a peer that comes online later: all, once, in order', async () => {
    const bobDir = await newDataDir()
    let bob = await start({ name: 'bob', dataDir: bobDir })
    const bobId = bob.peerId
    const bobPort = tcpPort(bob.addrs()[0] ?? '')
    await bob.stop()

    const alice = await start({ name: 'alice', delivery: { retryBase: 100, retryCap: 500 } })
    const sent: string[] = []
    for (let i = 0; i < 100; i++) {
      sent.push((await alice.send(bobId, `offline ${i}`)).id)
    }
    const delivered = new Set<string>()
    let duplicates = 0
    alice.addEventListener('delivered', (evt) => {
      if (delivered.has(evt.detail.id)) duplicates++
      delivered.add(evt.detail.id)
    })

    // alice keeps retrying with backoff; bob comes back on the same port
    await new Promise(resolve => setTimeout(resolve, 1000))
    bob = await start({ name: 'bob', dataDir: bobDir, port: bobPort })
    const shown: string[] = []
    bob.addEventListener('message', (evt) => { shown.push(evt.detail.id) })
    await alice.connect(bob.addrs()[0] ?? '')
    const deadline = Date.now() + 30_000
    while (delivered.size < 100 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))

    assert.equal(delivered.size, 100)
    assert.equal(duplicates, 0)
    assert.deepEqual(shown, sent, 'bob showed each message once, in order')
    const history = await bob.history(alice.peerId, { limit: 1000 })
    assert.deepEqual(history.map(h => h.id), sent)
    assert.ok((await alice.history(bobId, { limit: 1000 })).every(h => h.status === 'delivered'))
  })

  it('resumes its outbox after a restart of the sender', async () => {
    const aliceDir = await newDataDir()
    const bob = await start({ name: 'bob' })
    let alice = await start({ name: 'alice', dataDir: aliceDir })
    // queue while bob is unknown: nothing can be delivered
    const ghost = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
    await alice.send(ghost, 'never')
    const queued = [await alice.send(bob.peerId, 'one'), await alice.send(bob.peerId, 'two')]
    await alice.stop()

    alice = await start({ name: 'alice', dataDir: aliceDir })
    const got: string[] = []
    bob.addEventListener('message', (evt) => { got.push(evt.detail.text) })
    const bothDelivered = Promise.all(queued.map(async m => next(alice, 'delivered', d => d.id === m.id, 30_000)))
    await alice.connect(bob.addrs()[0] ?? '')
    await bothDelivered
    assert.deepEqual(got, ['one', 'two'])
    assert.equal((await alice.history(ghost))[0]?.status, 'pending')
  })

  it('pings the peers it chats with (rtt, last seen) and redials one that went away', async () => {
    const bobDir = await newDataDir()
    let bob = await start({ name: 'bob', dataDir: bobDir })
    const bobPort = tcpPort(bob.addrs()[0] ?? '')
    const alice = await start({ name: 'alice', liveness: { pingInterval: 200, redialBase: 200, redialCap: 1000 } })
    await alice.connect(bob.addrs()[0] ?? '')
    const m = await alice.send(bob.peerId, 'hi')
    await next(alice, 'delivered', d => d.id === m.id)

    let deadline = Date.now() + 10_000
    let view = (await alice.peers()).find(p => p.peerId === bob.peerId)
    while (view?.rtt == null && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100))
      view = (await alice.peers()).find(p => p.peerId === bob.peerId)
    }
    assert.equal(typeof view?.rtt, 'number', 'rtt measured by ping')
    assert.ok((view?.lastSeen ?? 0) > Date.now() - 10_000)

    // bob goes away; alice notices and, without being told, reconnects when bob is back
    const gone = next(alice, 'peer', d => d.peerId === bob.peerId && d.status === 'disconnected')
    await bob.stop()
    await gone
    assert.equal((await alice.peers()).find(p => p.peerId === bob.peerId)?.online, false)
    bob = await start({ name: 'bob', dataDir: bobDir, port: bobPort })
    await next(alice, 'peer', d => d.peerId === bob.peerId && d.status === 'connected', 20_000)
    deadline = Date.now() + 10_000
    while ((await alice.peers()).find(p => p.peerId === bob.peerId)?.online !== true && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    assert.equal((await alice.peers()).find(p => p.peerId === bob.peerId)?.online, true)
  })

  it('tells the user when the outbox is full and drops nothing already queued', async () => {
    const alice = await start({ name: 'alice', maxOutboxPerPeer: 3 })
    const ghost = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
    for (const text of ['a', 'b', 'c']) await alice.send(ghost, text)
    await assert.rejects(alice.send(ghost, 'd'), { name: 'OutboxFullError' })
    assert.deepEqual((await alice.history(ghost)).map(h => h.text), ['a', 'b', 'c'])
  })
})

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

  it('sends read receipts when the user has seen a message, unless turned off', async () => {
    const alice = await start({ name: 'alice' })
    const bob = await start({ name: 'bob' })
    const carol = await start({ name: 'carol', readReceipts: false })
    await alice.connect(bob.addrs()[0] ?? '')
    await alice.connect(carol.addrs()[0] ?? '')

    // a stranger's message is a request and gets no receipt
    const request = next(bob, 'message')
    const first = await alice.send(bob.peerId, 'hello, stranger')
    assert.equal((await request).request, true)
    bob.markRead(alice.peerId, [first.id])
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal((await alice.history(bob.peerId))[0]?.status, 'delivered', 'no read receipt for a stranger')

    // once bob accepts, alice is a contact: her messages are no requests and get receipts
    assert.equal(await bob.accept(alice.peerId), 1)
    await carol.accept(alice.peerId)
    const got = next(bob, 'message')
    const m = await alice.send(bob.peerId, 'did you read this?')
    assert.equal((await got).request, undefined)
    await next(alice, 'delivered', d => d.id === m.id)
    assert.equal((await alice.history(bob.peerId))[0]?.status, 'delivered')
    const read = next(alice, 'read', d => d.id === m.id)
    bob.markRead(alice.peerId, [(await got).id])
    assert.deepEqual(await read, { id: m.id, by: bob.peerId })
    assert.equal((await alice.history(bob.peerId))[1]?.status, 'read')

    // a receipt for an id bob never received from alice is not sent; one alice never sent is ignored
    bob.markRead(alice.peerId, ['0'.repeat(32)])

    const toCarol = await alice.send(carol.peerId, 'and you?')
    const gotByCarol = next(carol, 'message')
    await next(alice, 'delivered', d => d.id === toCarol.id)
    carol.markRead(alice.peerId, [(await gotByCarol).id])
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal((await alice.history(carol.peerId))[0]?.status, 'delivered')
  })

  it('fires delivered once per message when receipts race the acks', async () => {
    const alice = await start({ name: 'alice' })
    const bob = await start({ name: 'bob' })
    await alice.connect(bob.addrs()[0] ?? '')
    await bob.accept(alice.peerId)
    // bob shows every message at once, as the CLI does
    bob.addEventListener('message', (evt) => { bob.markRead(evt.detail.from, [evt.detail.id]) })
    const delivered = new Map<string, number>()
    const read = new Map<string, number>()
    alice.addEventListener('delivered', (evt) => { delivered.set(evt.detail.id, (delivered.get(evt.detail.id) ?? 0) + 1) })
    alice.addEventListener('read', (evt) => { read.set(evt.detail.id, (read.get(evt.detail.id) ?? 0) + 1) })
    const ids: string[] = []
    for (let i = 0; i < 100; i++) ids.push((await alice.send(bob.peerId, `m${i}`)).id)
    const deadline = Date.now() + 30_000
    while ((delivered.size < 100 || read.size < 100) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.deepEqual(ids.map(id => delivered.get(id)), ids.map(() => 1))
    assert.deepEqual(ids.map(id => read.get(id)), ids.map(() => 1))
  })

  it('keeps identity and history across a restart', async () => {
    const dataDir = await newDataDir()
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
    assert.equal(err.peer, bob.peerId)
    assert.equal(err.code, 'UnreachablePeerError')
    const history = await alice.history(bob.peerId)
    assert.deepEqual(history.map(h => [h.id, h.status]), [[m.id, 'pending']])
    await assert.doesNotReject(alice.peers())
  })
})
