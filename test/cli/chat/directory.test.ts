/**
 * The REPL's peer directory is bounded: a flood of made-up identities can
 * push out other strangers, never the user's own peers or the last /peers
 * list, and a flood of presence events cannot push out the requests.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerDirectory } from '../../../src/cli/chat/directory.ts'
import { peerView } from '../stub-node.ts'

const id = (n: number): string => `12D3KooWFlood${String(n).padStart(6, '0')}`

void describe('PeerDirectory', () => {
  void it('keeps at most 1,000 requests and 2,000 others beyond the user\'s own and the last /peers list, whatever the events', () => {
    const d = new PeerDirectory()
    d.replace([peerView('12D3KooWListedContact', 'carol'), peerView('12D3KooWListedStranger', 'sam', true, 'stranger')])
    d.onContact({ peerId: '12D3KooWContact', relation: 'contact', verified: true })
    d.onContact({ peerId: '12D3KooWNamed', relation: 'stranger', petname: 'Neighbour', verified: false })
    d.onContact({ peerId: '12D3KooWBlocked', relation: 'blocked', verified: false })

    for (let i = 0; i < 10_000; i++) {
      d.onPeer({ peerId: id(i), name: `n${i}`, status: i % 2 === 0 ? 'connected' : 'disconnected' })
      d.onMessage({ id: String(i), from: id(i + 100_000), name: 'spam', text: 'hi', ts: 0, request: true })
    }

    assert.equal(d.list().length, 5 + 1000 + 2000)
    for (const kept of ['12D3KooWListedContact', '12D3KooWListedStranger', '12D3KooWContact', '12D3KooWNamed', '12D3KooWBlocked']) {
      assert.ok(d.get(kept) != null, kept)
    }
    assert.equal(d.name('12D3KooWNamed'), 'Neighbour')
    assert.equal(d.get('12D3KooWContact')?.verified, true)
    // the most recent others are the ones left
    assert.equal(d.get(id(9_999))?.name, 'n9999')
    assert.equal(d.get(id(109_999))?.relation, 'request')
    assert.equal(d.get(id(0)), undefined)
    assert.equal(d.get(id(100_000)), undefined)
  })

  void it('a flood of other strangers does not push out a request (its history keeps the [request] mark)', () => {
    const d = new PeerDirectory({ maxOthers: 10 })
    d.onMessage({ id: 'a', from: id(1), name: 'mallory', text: 'hi', ts: 0, request: true })
    for (let i = 2; i < 100; i++) d.onPeer({ peerId: id(i), status: 'discovered' })
    assert.deepEqual(d.get(id(1)), { peerId: id(1), name: 'mallory', relation: 'request' })
    // accepted: a contact, kept for good
    d.relate(id(1), 'contact')
    assert.equal(d.get(id(1))?.relation, 'contact')
  })

  void it('drops the least recently seen first; seeing a peer again makes it recent', () => {
    const d = new PeerDirectory({ maxOthers: 3 })
    for (const n of [1, 2, 3]) d.see(id(n), `n${n}`)
    d.see(id(1))
    d.see(id(4), 'n4')
    assert.deepEqual(d.list().map(p => p.name), ['n3', 'n1', 'n4'])
    assert.equal(d.get(id(1))?.name, 'n1', 'seen again: kept, with its name')
  })

  void it('a stranger that becomes a contact or gets a petname is kept; one that stops being one falls back among the others', () => {
    const d = new PeerDirectory({ maxOthers: 2 })
    d.see(id(1), 'friend')
    d.relate(id(1), 'contact')
    d.see(id(2), 'named')
    d.onContact({ peerId: id(2), relation: 'stranger', petname: 'Pat', verified: false })
    for (let i = 10; i < 20; i++) d.see(id(i))
    assert.equal(d.get(id(1))?.name, 'friend')
    assert.equal(d.name(id(2)), 'Pat')

    // /decline of a former contact, and a petname removed: ordinary strangers again
    d.relate(id(1), 'stranger')
    d.onContact({ peerId: id(2), relation: 'stranger', verified: false })
    for (let i = 20; i < 22; i++) d.see(id(i))
    assert.equal(d.get(id(1)), undefined)
    assert.equal(d.get(id(2)), undefined)
    assert.equal(d.list().length, 2)
  })

  void it('a new /peers list replaces the old one, and what it keeps', () => {
    const d = new PeerDirectory({ maxOthers: 1 })
    d.replace([peerView(id(1), 'one', false, 'stranger')])
    d.see(id(2))
    d.see(id(3))
    assert.deepEqual(d.list().map(p => p.peerId), [id(1), id(3)])
    d.replace([peerView(id(4), 'four', false, 'stranger')])
    d.see(id(1))
    d.see(id(5))
    assert.deepEqual(d.list().map(p => p.peerId), [id(4), id(5)])
  })
})
