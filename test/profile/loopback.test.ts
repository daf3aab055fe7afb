/**
 * Names at discovery, with two real securechat nodes in process over TCP on
 * loopback (real libp2p, identify, Noise, Yamux, LevelDB in temp dirs): one
 * /connect, no message, and each side knows the other's nickname within a
 * second of the 'connected' event.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createChatNode } from '../../src/node/index.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { TempDir } from '../helpers/tmp.ts'
import type { ChatNode } from '../../src/types.ts'

const dirs: TempDir[] = []
const nodes: ChatNode[] = []

// the nodes first: a data dir goes only once its node has closed its database
after(async () => {
  await Promise.allSettled(nodes.map(async n => n.stop()))
  await Promise.all(dirs.map(async d => d.remove()))
})

async function start (name: string): Promise<ChatNode> {
  const dir = await createTempDir('securechat-profile-')
  dirs.push(dir)
  const node = await createChatNode({ dataDir: dir.path, name, host: '127.0.0.1', mdns: false })
  nodes.push(node)
  return node
}

async function nameOf (node: ChatNode, peerId: string): Promise<string | undefined> {
  return (await node.peers()).find(p => p.peerId === peerId)?.name
}

describe('names at discovery on loopback', () => {
  it('after one connect, each side shows the other\'s name within 1 s of \'connected\', with no message sent', async () => {
    const alice = await start('alice')
    const bob = await start('bob')
    const messages: unknown[] = []
    alice.addEventListener('message', (evt) => { messages.push(evt.detail) })
    bob.addEventListener('message', (evt) => { messages.push(evt.detail) })
    const bobSeesAlice = nextEvent(bob, 'peer', d => d.peerId === alice.peerId && d.status === 'connected')
    const aliceSeesBob = nextEvent(alice, 'peer', d => d.peerId === bob.peerId && d.status === 'connected')
    // and a 'connected' event that carries the name, so that faces learn it
    const bobNamed = nextEvent(alice, 'peer', d => d.peerId === bob.peerId && d.status === 'connected' && d.name === 'bob', 10_000)
    const aliceNamed = nextEvent(bob, 'peer', d => d.peerId === alice.peerId && d.status === 'connected' && d.name === 'alice', 10_000)

    await alice.connect(bob.addrs()[0] ?? '')
    await Promise.all([aliceSeesBob, bobSeesAlice])
    const connectedAt = Date.now()

    await until('both names', async () => await nameOf(alice, bob.peerId) === 'bob' && await nameOf(bob, alice.peerId) === 'alice', 1_000)
    assert.ok(Date.now() - connectedAt <= 1_000)
    await Promise.all([bobNamed, aliceNamed])

    assert.deepEqual(messages, [])
    assert.deepEqual(await alice.history(bob.peerId), [])
    assert.deepEqual(await bob.history(alice.peerId), [])
  })
})
