/**
 * Room messages between real nodes on loopback: a post reaches every
 * proven member over the pairwise /securechat sessions, once, and every
 * member's history shows the room in one order; a member that is down
 * when messages are posted gets them when it is back; a peer that shares
 * the name but not the key receives nothing; a peer that has not proved
 * membership cannot write to the room even with its id; a blocked member
 * gets nothing and is not heard; a hostile member's clock cannot split or
 * end the room.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { newMessageId } from '../../src/protocol/envelope.ts'
import { secureChat } from '../../src/protocol/index.ts'
import { bareNode } from '../helpers/libp2p.ts'
import { until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { Detail } from '../helpers/node-events.ts'
import type { SecureChat } from '../../src/protocol/index.ts'
import type { ChatNode, RoomMessage } from '../../src/types.ts'
import type { Libp2p } from '@libp2p/interface'

/** 1 MiB room secrets, rendezvous rounds every 300 ms */
const ROOMS = { scrypt: { N: 2 ** 10, r: 8, p: 1 }, discoverInterval: 300 }
/** retries come quickly: a member that is back gets its messages within a second */
const DELIVERY = { retryBase: 100, retryCap: 1_000 }

const loopback = new LoopbackNodes('securechat-room-messages-')
const bare: Libp2p[] = []

after(async () => {
  await Promise.allSettled(bare.map(async n => n.stop()))
  await loopback.cleanup()
})

async function start (name: string, dataDir?: string): Promise<ChatNode> {
  return loopback.start({ name, rooms: ROOMS, delivery: DELIVERY, ...(dataDir == null ? {} : { dataDir }) })
}

/** Every `message` event of `node` from now on */
function messages (node: ChatNode): Array<Detail<'message'>> {
  const seen: Array<Detail<'message'>> = []
  node.addEventListener('message', (evt) => { seen.push(evt.detail) })
  return seen
}

async function onlineMembers (node: ChatNode, room: string): Promise<string[]> {
  return ((await node.rooms()).find(r => r.name === room)?.members ?? []).filter(m => m.online).map(m => m.peerId).sort()
}

/** `nodes` all see each other online in `room` */
async function meet (room: string, nodes: ChatNode[]): Promise<void> {
  for (const node of nodes) {
    const others = nodes.filter(n => n !== node).map(n => n.peerId).sort()
    await until(`${node.name} sees ${others.length} members of ${room} online`, async () =>
      JSON.stringify((await onlineMembers(node, room)).filter(m => others.includes(m))) === JSON.stringify(others))
  }
}

function ids (history: RoomMessage[]): string[] {
  return history.map(m => `${m.from.slice(-6)}:${m.text}`)
}

void describe('room messages', () => {
  void it('reach every member once, in one order on every member, and nothing reaches another key', async () => {
    const alice = await start('alice')
    const bob = await start('bob')
    const carol = await start('carol')
    const eve = await start('eve')
    const seen = { bob: messages(bob), carol: messages(carol), eve: messages(eve) }

    const view = await alice.join('demo')
    await bob.join('demo')
    await carol.join('Demo')
    await eve.join('demo', 'another key')
    for (const [from, to] of [[alice, bob], [alice, carol], [bob, carol], [alice, eve], [bob, eve]] as const) {
      await from.connect(to.addrs()[0] ?? '')
    }
    await meet('demo', [alice, bob])
    await until('carol sees both', async () => (await onlineMembers(carol, 'Demo')).length === 2)

    const delivered: Array<Detail<'delivered'>> = []
    alice.addEventListener('delivered', (evt) => { delivered.push(evt.detail) })
    const posted = await alice.post('#demo', 'hello room')
    assert.equal(posted.room, 'demo')
    assert.equal(posted.peer, `#${view.id}`)
    assert.equal(posted.status, 'pending')
    assert.deepEqual([...posted.to].sort(), [bob.peerId, carol.peerId].sort(), 'eve is in another room')
    // in one process on loopback a message may arrive before post() has resolved: the events were collected from the start
    const arrived = async (node: string, list: Array<Detail<'message'>>, id: string): Promise<Detail<'message'>> => {
      await until(`${node} gets ${id}`, () => list.some(m => m.id === id))
      return list.find(m => m.id === id) as Detail<'message'>
    }
    const atBob = await arrived('bob', seen.bob, posted.id)
    assert.equal(atBob.room, 'demo')
    assert.equal(atBob.from, alice.peerId)
    assert.equal(atBob.request, undefined, 'a member is not a message request, contact or not')
    const atCarol = await arrived('carol', seen.carol, posted.id)
    assert.equal(atCarol.room, 'Demo', 'each member names the room as it joined it')

    await until('alice hears both acks', () => delivered.filter(d => d.id === posted.id).length === 2)
    assert.deepEqual(delivered.map(d => [d.to, d.room]).sort(), [[bob.peerId, 'demo'], [carol.peerId, 'demo']].sort())
    await until('the post is delivered once both have it', async () => (await alice.roomHistory('demo')).find(m => m.id === posted.id)?.status === 'delivered')

    // everyone writes, at once: each member's clock is its own, the order is one
    const atAlice = messages(alice)
    const [fromBob, fromCarol] = await Promise.all([bob.post('demo', 'from bob'), carol.post('demo', 'from carol')])
    await arrived('alice', atAlice, fromBob.id)
    await arrived('alice', atAlice, fromCarol.id)
    await until('bob and carol have each other\'s', () => seen.bob.some(m => m.id === fromCarol.id) && seen.carol.some(m => m.id === fromBob.id))

    const histories = await Promise.all([alice, bob, carol].map(async n => n.roomHistory('demo')))
    assert.equal(histories[0]?.length, 3)
    for (const history of histories) {
      assert.deepEqual(ids(history), ids(histories[0] ?? []), 'every member shows the room in one order')
      for (let i = 1; i < history.length; i++) {
        const [a, b] = [history[i - 1] as RoomMessage, history[i] as RoomMessage]
        assert.ok(a.clock < b.clock || (a.clock === b.clock && a.from < b.from), '(clock, sender) order')
      }
    }
    assert.ok((histories[0]?.[0]?.clock ?? 1) < (fromBob.clock), 'a reply comes after what its writer had seen')

    // nothing twice, nothing to eve
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(seen.bob.filter(m => m.room != null).length, 2)
    assert.equal(seen.carol.filter(m => m.room != null).length, 2)
    assert.deepEqual(seen.eve, [])
    assert.deepEqual(await eve.roomHistory('demo'), [])
    // a room is not a conversation with a peer
    assert.deepEqual(await bob.history(alice.peerId), [])
  })

  void it('a member that was down gets what was posted meanwhile, once, in the others\' order', async () => {
    const dataDir = await loopback.dataDir()
    const alice = await start('alice')
    const bob = await start('bob')
    let carol = await start('carol', dataDir)
    await Promise.all([alice, bob, carol].map(async n => n.join('lobby')))
    await alice.connect(bob.addrs()[0] ?? '')
    await alice.connect(carol.addrs()[0] ?? '')
    await bob.connect(carol.addrs()[0] ?? '')
    await meet('lobby', [alice, bob, carol])

    await carol.stop()
    const one = await alice.post('lobby', 'while carol is away (1)')
    const two = await bob.post('lobby', 'while carol is away (2)')
    await until('alice has bob\'s', async () => (await alice.roomHistory('lobby')).some(m => m.id === two.id))

    carol = await start('carol', dataDir)
    const seen = messages(carol)
    await alice.connect(carol.addrs()[0] ?? '')
    await bob.connect(carol.addrs()[0] ?? '')
    await until('carol gets both', () => seen.some(m => m.id === one.id) && seen.some(m => m.id === two.id), 30_000)
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(seen.filter(m => m.room === 'lobby').length, 2, 'once each')

    const histories = await Promise.all([alice, bob, carol].map(async n => n.roomHistory('lobby')))
    for (const history of histories) {
      assert.deepEqual(ids(history), ids(histories[0] ?? []))
    }
    assert.equal(histories[0]?.length, 2)
    await until('both are delivered to everyone', async () => (await alice.roomHistory('lobby')).find(m => m.id === one.id)?.status === 'delivered')
  })

  void it('a peer that has not proved membership cannot write to the room, even with its id; a blocked member is neither heard nor written to', async () => {
    const alice = await start('alice')
    const bob = await start('bob')
    const view = await alice.join('club')
    await bob.join('club')
    await alice.connect(bob.addrs()[0] ?? '')
    await meet('club', [alice, bob])

    // mallory learned the room id (say, a former member's disk): it cannot prove the key
    const mallory = await bareNode<{ chat: SecureChat }>({ services: { chat: secureChat({ nickname: 'mallory' }) } })
    bare.push(mallory)
    const forged = { id: newMessageId(), timestamp: Date.now(), text: 'let me in', room: { id: view.id, clock: 1 } }
    await mallory.dial(multiaddr(bob.addrs()[0] ?? ''))
    await assert.rejects(mallory.services.chat.sendBatch(peerIdFromString(bob.peerId), [forged]))
    assert.deepEqual(await bob.roomHistory('club'), [])

    // bob blocks alice: her posts are refused (kept in her outbox), his go only to members he has not blocked
    await bob.block(alice.peerId)
    const seenByBob = messages(bob)
    const ignored = await alice.post('club', 'bob blocked me')
    const mine = await bob.post('club', 'nobody hears this')
    assert.equal(mine.status, 'sent', 'no member is left to wait for')
    assert.deepEqual(mine.to, [])
    await new Promise(resolve => setTimeout(resolve, 1_000))
    assert.deepEqual(seenByBob, [])
    assert.ok(!(await alice.roomHistory('club')).some(m => m.id === mine.id))
    assert.equal((await alice.roomHistory('club')).find(m => m.id === ignored.id)?.status, 'pending')
  })

  void it('a hostile member\'s clock sorts its own message late and splits nothing: every post still reaches everyone', async () => {
    const alice = await start('alice')
    const bob = await start('bob')
    const mallory = await start('mallory')
    const view = await alice.join('club')
    await bob.join('club')
    await mallory.join('club')
    await alice.connect(bob.addrs()[0] ?? '')
    await alice.connect(mallory.addrs()[0] ?? '')
    await bob.connect(mallory.addrs()[0] ?? '')
    await meet('club', [alice, bob, mallory])

    // mallory, a proven member, sends alice alone two high clocks: one within the jump alice takes on, one at the very top
    const chat = (mallory as unknown as { libp2p: Libp2p<{ chat: SecureChat }> }).libp2p.services.chat
    await chat.sendBatch(peerIdFromString(alice.peerId), [
      { id: newMessageId(), timestamp: Date.now(), text: 'jump', room: { id: view.id, clock: 2 ** 32 - 1 } },
      { id: newMessageId(), timestamp: Date.now(), text: 'top', room: { id: view.id, clock: Number.MAX_SAFE_INTEGER } }
    ])
    await until('alice stored both', async () => (await alice.roomHistory('club')).length === 2)

    const next = await alice.post('club', 'after')
    assert.equal(next.clock, 2 ** 32, 'the jump is taken on, the top is not: the room goes on')
    // bob never saw the jump: alice's post is still stored (not refused), in its place
    await until('bob gets alice\'s post', async () => (await bob.roomHistory('club')).some(m => m.id === next.id))
    const later = await bob.post('club', 'bob after')
    await until('alice gets bob\'s', async () => (await alice.roomHistory('club')).some(m => m.id === later.id))
    assert.equal((await alice.roomHistory('club')).at(-1)?.text, 'top', 'the hostile clock sorts its own message last')
  })

  void it('unknown rooms and bad texts are refused before anything is stored', async () => {
    const alice = await start('alice')
    await assert.rejects(alice.post('nowhere', 'hi'), { name: 'UnknownRoomError' })
    await assert.rejects(alice.roomHistory('nowhere'), { name: 'UnknownRoomError' })
    await alice.join('solo')
    await assert.rejects(alice.post('solo', ''), { name: 'EmptyMessageError' })
    await assert.rejects(alice.post('solo', 'x'.repeat(17 * 1024)), { name: 'MessageTooLargeError' })
    const alone = await alice.post('solo', 'anyone?')
    assert.equal(alone.status, 'sent')
    assert.deepEqual(alone.to, [])
    assert.equal(alone.clock, 0)
    assert.equal((await alice.post('solo', 'still?')).clock, 1)
    assert.deepEqual((await alice.roomHistory('solo')).map(m => m.text), ['anyone?', 'still?'])
  })
})
