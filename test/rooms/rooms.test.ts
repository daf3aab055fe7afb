/**
 * The rooms service in real nodes on loopback: members that are connected
 * prove their membership to each other (as on a LAN, where mDNS connects
 * them); members that know only a relay meet through its rendezvous point;
 * a node with the same room name and another key meets nobody; rooms and
 * members survive a restart; leaving ends it.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createRelayNode } from '../../src/relay/server.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { RelayNode } from '../../src/relay/server.ts'
import type { ChatNode, RoomView } from '../../src/types.ts'

/** 1 MiB room secrets, rendezvous rounds every 300 ms */
const ROOMS = { scrypt: { N: 2 ** 10, r: 8, p: 1 }, discoverInterval: 300 }

const loopback = new LoopbackNodes('securechat-rooms-')
const relays: RelayNode[] = []

after(async () => {
  await loopback.cleanup()
  await Promise.allSettled(relays.map(async r => r.stop()))
})

async function start (name: string, init: { relays?: string[], dataDir?: string } = {}): Promise<ChatNode> {
  return loopback.start({ name, rooms: ROOMS, ...init })
}

function room (rooms: RoomView[], name: string): RoomView | undefined {
  return rooms.find(r => r.name === name)
}

async function onlineMembers (node: ChatNode, name: string): Promise<string[]> {
  return (room(await node.rooms(), name)?.members ?? []).filter(m => m.online).map(m => m.peerId).sort()
}

void describe('rooms', () => {
  void it('connected members prove themselves to each other; another key is another room; members and rooms survive a restart', async () => {
    const alice = await start('alice')
    const bob = await start('bob')
    const eve = await start('eve')
    const bobDir = (await bob.rooms()) && undefined

    const joined = nextEvent(alice, 'room', e => e.status === 'joined')
    const view = await alice.join('demo')
    assert.equal((await joined).id, view.id)
    assert.equal(view.members.length, 0)
    await bob.join('Demo')
    await eve.join('demo', 'another key')

    const bobOnline = nextEvent(alice, 'room', e => e.status === 'online' && e.member === bob.peerId)
    await alice.connect(bob.addrs()[0] ?? '')
    await alice.connect(eve.addrs()[0] ?? '')
    const online = await bobOnline
    assert.equal(online.room, 'demo')
    assert.equal(online.name, 'bob')
    await until('both see each other', async () => (await onlineMembers(bob, 'Demo')).includes(alice.peerId))
    assert.deepEqual(await onlineMembers(alice, 'demo'), [bob.peerId])

    // eve shares the name, not the key: connected, but nobody's member
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.deepEqual(await onlineMembers(eve, 'demo'), [])
    assert.ok(!(await onlineMembers(alice, 'demo')).includes(eve.peerId))

    void bobDir
    const offline = nextEvent(alice, 'room', e => e.status === 'offline' && e.member === bob.peerId)
    await bob.stop()
    await offline
    const kept = room(await alice.rooms(), 'demo')
    assert.deepEqual(kept?.members.map(m => [m.peerId, m.online]), [[bob.peerId, false]], 'bob is still a member, offline')
  })

  void it('rooms and their members are rejoined after a restart; /leave ends it', async () => {
    const dataDir = await loopback.dataDir()
    const carol = await start('carol', { dataDir })
    const dave = await start('dave')
    await carol.join('lobby')
    await dave.join('lobby')
    await carol.connect(dave.addrs()[0] ?? '')
    await until('dave in lobby', async () => (await onlineMembers(carol, 'lobby')).includes(dave.peerId))
    await carol.stop()

    const again = await start('carol', { dataDir })
    const lobby = room(await again.rooms(), 'lobby')
    assert.ok(lobby != null, 'rejoined after the restart')
    assert.deepEqual(lobby.members.map(m => m.peerId), [dave.peerId])
    await again.connect(dave.addrs()[0] ?? '')
    await until('dave online again', async () => (await onlineMembers(again, 'lobby')).includes(dave.peerId))

    const left = await again.leave('#lobby'.slice(1))
    assert.equal(left.name, 'lobby')
    assert.deepEqual(await again.rooms(), [])
    await assert.rejects(again.leave('lobby'), { name: 'UnknownRoomError' })
    await assert.rejects(again.join('two words'), { name: 'InvalidRoomNameError' })
  })

  void it('members who know only the relay meet through its rendezvous point', async () => {
    const relay = await createRelayNode({ dataDir: await loopback.dataDir(), host: '127.0.0.1', port: 0 })
    relays.push(relay)
    const relayAddr = relay.addrs()[0] ?? ''
    const frank = await start('frank', { relays: [relayAddr] })
    const grace = await start('grace', { relays: [relayAddr] })
    const mallory = await start('mallory', { relays: [relayAddr] })
    await Promise.all([frank, grace, mallory].map(async n => nextEvent(n, 'relay', e => e.status === 'reserved')))

    await mallory.join('meet', 'wrong')
    const met = nextEvent(frank, 'room', e => e.status === 'online' && e.member === grace.peerId, 15_000)
    await frank.join('meet')
    await grace.join('meet')
    await met
    await until('grace sees frank', async () => (await onlineMembers(grace, 'meet')).includes(frank.peerId))
    assert.deepEqual(await onlineMembers(frank, 'meet'), [grace.peerId])
    assert.deepEqual(await onlineMembers(mallory, 'meet'), [], 'another key: registered under another namespace, meets nobody')
  })
})
