import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { AmbiguousPeerError, UnknownPeerError } from '../../src/app/errors.ts'
import { resolvePeer, shortId } from '../../src/app/resolve.ts'
import { newPeerId } from '../helpers/peers.ts'
import type { PeerLike } from '../../src/app/resolve.ts'

void describe('resolvePeer', () => {
  let alice: string, bob: string, bob2: string, carol: string, stranger: string
  let peers: PeerLike[]

  before(async () => {
    [alice, bob, bob2, carol, stranger] = await Promise.all([newPeerId(), newPeerId(), newPeerId(), newPeerId(), newPeerId()])
    peers = [{ peerId: alice, name: 'alice' }, { peerId: bob, name: 'bob' }, { peerId: bob2, name: 'bob' }, { peerId: carol }]
  })

  /** the shortest prefix of `id` that no other peer id shares */
  function uniquePrefix (id: string): string {
    for (let n = 1; n <= id.length; n++) {
      const prefix = id.slice(0, n)
      if (peers.filter(p => p.peerId.startsWith(prefix)).length === 1) return prefix
    }
    return id
  }

  void it('an exact peer id', () => {
    assert.equal(resolvePeer(bob2, peers), bob2)
    assert.equal(resolvePeer(carol, peers), carol)
  })

  void it('an exact peer id in another encoding (CID)', () => {
    const cid = peerIdFromString(alice).toCID().toString()
    assert.equal(resolvePeer(cid, peers), alice)
  })

  void it('a unique nickname', () => {
    assert.equal(resolvePeer('alice', peers), alice)
  })

  void it('nicknames are exact (case-sensitive)', () => {
    assert.throws(() => resolvePeer('Alice', peers), UnknownPeerError)
  })

  void it('an ambiguous nickname lists the candidates as name (shortid)', () => {
    assert.throws(() => resolvePeer('bob', peers), (err: Error) => {
      assert.ok(err instanceof AmbiguousPeerError)
      assert.equal(err.name, 'AmbiguousPeerError')
      assert.ok(err.message.includes(`bob (${shortId(bob)})`), err.message)
      assert.ok(err.message.includes(`bob (${shortId(bob2)})`), err.message)
      assert.ok(!err.message.includes(alice.slice(-6)), err.message)
      return true
    })
  })

  void it('a unique peer id prefix', () => {
    assert.equal(resolvePeer(uniquePrefix(carol), peers), carol)
    assert.equal(resolvePeer(bob.slice(0, -1), peers), bob)
  })

  void it('an ambiguous prefix lists the candidates, unnamed ones too', () => {
    // every Ed25519 peer id starts with 12D3KooW
    assert.throws(() => resolvePeer('12D3KooW', peers), (err: Error) => {
      assert.ok(err instanceof AmbiguousPeerError)
      for (const p of peers) {
        assert.ok(err.message.includes(`${p.name ?? 'unnamed'} (${shortId(p.peerId)})`), err.message)
      }
      return true
    })
  })

  void it('a nickname wins over a prefix, an exact id over a nickname', () => {
    const tricky: PeerLike[] = [{ peerId: alice, name: '12D3' }, { peerId: bob, name: carol }, { peerId: carol }]
    assert.equal(resolvePeer('12D3', tricky), alice)
    assert.equal(resolvePeer(carol, tricky), carol)
  })

  void it('a valid but unknown peer id is accepted', () => {
    assert.equal(resolvePeer(stranger, peers), stranger)
    assert.equal(resolvePeer(stranger, []), stranger)
  })

  void it('anything else is unknown', () => {
    for (const arg of ['dave', 'Qm', '12D3KooWnotavalidpeerid', `${alice}x`]) {
      assert.throws(() => resolvePeer(arg, peers), (err: Error) => {
        assert.ok(err instanceof UnknownPeerError, `${arg}: ${err.name}`)
        assert.match(err.message, new RegExp(`unknown peer '${arg}'`))
        return true
      })
    }
    assert.throws(() => resolvePeer('bob', []), UnknownPeerError)
  })

  void it('shortId', () => {
    assert.equal(shortId('12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'), '12D3KooW…LvKXtf')
    assert.equal(shortId('short'), 'short')
  })
})
