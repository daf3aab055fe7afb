/**
 * Contacts between real nodes on loopback: a stranger's messages are
 * requests, held up to the quarantine's bound and not acknowledged past it
 * (the sender keeps them); after accept every one arrives, once, in order;
 * decline drops them; a blocked peer cannot connect or deliver; petnames,
 * and safety numbers the same on both sides.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { ChatNodeInit } from '../../src/node/index.ts'
import type { ChatNode } from '../../src/types.ts'

const loopback = new LoopbackNodes('securechat-contacts-')
after(async () => { await loopback.cleanup() })

async function start (init: Partial<ChatNodeInit> & { name: string }): Promise<ChatNode> {
  // fast retries, so that the sender's backoff does not dominate the test
  return loopback.start({ delivery: { retryBase: 100, retryCap: 500 }, ...init })
}

/** Safety number computed here, independently: per side SHA-512 over version, key, id, key, then 5199 more rounds */
function independentSafetyNumber (a: string, b: string): string {
  const half = (peer: string): string => {
    const id = peerIdFromString(peer)
    const key = Buffer.from(publicKeyToProtobuf(id.publicKey ?? assert.fail('no key')))
    let h = createHash('sha512').update(Buffer.from([0, 0])).update(key).update(peer).update(key).digest()
    for (let i = 1; i < 5200; i++) h = createHash('sha512').update(h).update(key).digest()
    let digits = ''
    for (let i = 0; i < 30; i += 5) digits += String(Number(h.readUIntBE(i, 5) % 100000)).padStart(5, '0')
    return digits
  }
  return [half(a), half(b)].sort().join('')
}

void describe('contacts on loopback', () => {
  void it('holds a stranger\'s messages up to the bound, unacknowledged past it, and delivers them all after accept', async () => {
    const alice = await start({ name: 'alice' })
    const bob = await start({ name: 'bob', maxRequestMessagesPerPeer: 10 })
    await alice.connect(bob.addrs()[0] ?? '')

    const shown: Array<{ id: string, request?: true }> = []
    bob.addEventListener('message', (evt) => { shown.push({ id: evt.detail.id, request: evt.detail.request }) })
    const sent: string[] = []
    for (let i = 0; i < 50; i++) sent.push((await alice.send(bob.peerId, `m${i}`)).id)

    await until('bob holds 10 requests', async () => (await bob.requests())[0]?.messages === 10)
    // nothing past the bound is stored or acknowledged: alice keeps the rest
    await new Promise(resolve => setTimeout(resolve, 1_000))
    assert.equal((await bob.history(alice.peerId, { limit: 1000 })).length, 10)
    const aliceView = await alice.history(bob.peerId, { limit: 1000 })
    assert.equal(aliceView.filter(m => m.status === 'delivered').length, 10)
    assert.deepEqual((await bob.requests()).map(r => [r.peerId, r.name, r.messages]), [[alice.peerId, 'alice', 10]])
    assert.equal((await bob.peers()).find(p => p.peerId === alice.peerId)?.relation, 'request')
    assert.ok(shown.every(m => m.request === true))

    assert.equal(await bob.accept(alice.peerId), 10)
    await until('all 50 in bob\'s history', async () => (await bob.history(alice.peerId, { limit: 1000 })).length === 50, 30_000)
    const history = await bob.history(alice.peerId, { limit: 1000 })
    assert.deepEqual(history.map(m => m.id), sent, 'every message once, in alice\'s order')
    assert.equal(new Set(shown.map(m => m.id)).size, shown.length, 'none shown twice')
    assert.ok(shown.slice(10).every(m => m.request === undefined), 'after accept, no more requests')
    assert.equal((await bob.peers()).find(p => p.peerId === alice.peerId)?.relation, 'contact')
    assert.deepEqual(await bob.requests(), [])
  })

  void it('decline drops the held messages; a blocked peer cannot connect or deliver', async () => {
    const mallory = await start({ name: 'mallory' })
    const bob = await start({ name: 'bob' })
    await mallory.connect(bob.addrs()[0] ?? '')
    const got = nextEvent(bob, 'message')
    await mallory.send(bob.peerId, 'buy now')
    assert.equal((await got).request, true)
    assert.equal(await bob.decline(mallory.peerId), 1)
    assert.deepEqual(await bob.history(mallory.peerId), [])
    assert.equal((await bob.peers()).find(p => p.peerId === mallory.peerId)?.relation, 'stranger')

    const view = await bob.block(mallory.peerId)
    assert.equal(view.relation, 'blocked')
    await until('mallory disconnected', async () => !((await mallory.peers()).find(p => p.peerId === bob.peerId)?.online ?? false))
    // bob refuses every connection from mallory (the dialer may see one open for a moment before bob closes it)
    let connectedAtBob = 0
    bob.addEventListener('peer', (evt) => { if (evt.detail.peerId === mallory.peerId && evt.detail.status === 'connected') connectedAtBob++ })
    await mallory.connect(bob.addrs()[0] ?? '').catch(() => {})
    await until('no connection to bob', async () => !((await mallory.peers()).find(p => p.peerId === bob.peerId)?.online ?? false))
    assert.equal((await bob.peers()).find(p => p.peerId === mallory.peerId)?.online ?? false, false)
    const spam = await mallory.send(bob.peerId, 'let me in')
    await new Promise(resolve => setTimeout(resolve, 1_500))
    assert.equal((await mallory.history(bob.peerId)).find(m => m.id === spam.id)?.status, 'pending')
    assert.deepEqual(await bob.history(mallory.peerId), [])
    assert.equal(connectedAtBob, 0, 'bob never saw mallory connected')
    await assert.rejects(bob.send(mallory.peerId, 'hi'), { name: 'BlockedPeerError' })

    await bob.unblock(mallory.peerId)
    // mallory's retries may have used up bob's per-IP rate of new connections for this second
    await until('mallory connects again', async () => mallory.connect(bob.addrs()[0] ?? '').then(() => true, () => false))
    await until('the held message arrives as a request', async () => (await bob.history(mallory.peerId)).some(m => m.id === spam.id), 30_000)
  })

  void it('petnames and safety numbers', async () => {
    const alice = await start({ name: 'alice' })
    const bob = await start({ name: 'bob' })
    const carol = await start({ name: 'carol' })
    await alice.connect(bob.addrs()[0] ?? '')

    const named = await alice.setPetname(bob.peerId, 'Bob from work')
    assert.deepEqual([named.petname, named.relation], ['Bob from work', 'stranger'])
    assert.equal((await alice.peers()).find(p => p.peerId === bob.peerId)?.petname, 'Bob from work')
    assert.equal((await alice.setPetname(bob.peerId, null)).petname, undefined)

    const ab = await alice.safety(bob.peerId)
    const ba = await bob.safety(alice.peerId)
    assert.match(ab.number, /^\d{60}$/)
    assert.equal(ab.number, ba.number, 'the same on both sides')
    assert.equal(ab.number, independentSafetyNumber(alice.peerId, bob.peerId))
    assert.notEqual((await alice.safety(carol.peerId)).number, ab.number, 'different for another pair')
    assert.equal(ab.verified, false)

    const verified = await alice.verify(bob.peerId)
    assert.deepEqual([verified.relation, verified.verified], ['contact', true])
    assert.equal((await alice.safety(bob.peerId)).verified, true)
    assert.equal((await alice.peers()).find(p => p.peerId === bob.peerId)?.verified, true)
  })
})
