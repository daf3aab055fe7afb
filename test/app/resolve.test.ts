import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { AmbiguousPeerError, UnknownPeerError } from '../../src/app/errors.ts'
import { SHORT_ID_CHARS, describePeer, resolvePeer, shortId } from '../../src/app/resolve.ts'
import { newPeerId } from '../helpers/peers.ts'
import type { PeerLike, Resolved } from '../../src/app/resolve.ts'

/** resolvePeer(arg, peers) throws `type` and its message names every one of `listed` (as name and short id) */
function throwsListing (arg: string, peers: readonly PeerLike[], type: typeof AmbiguousPeerError | typeof UnknownPeerError, listed: readonly PeerLike[]): void {
  assert.throws(() => resolvePeer(arg, peers), (err: Error) => {
    assert.ok(err instanceof type, `${arg}: ${err.name}: ${err.message}`)
    assert.equal(err.name, type.name)
    for (const p of listed) {
      assert.ok(err.message.includes(describePeer(p)), `${describePeer(p)} in: ${err.message}`)
      assert.ok(err.message.includes(p.peerId.slice(-SHORT_ID_CHARS)), `the end of ${p.peerId} in: ${err.message}`)
    }
    return true
  })
}

void describe('resolvePeer', () => {
  let alice: string, bob: string, bob2: string, carol: string, mallory: string, mallory2: string, unknown: string
  let peers: PeerLike[]

  before(async () => {
    [alice, bob, bob2, carol, mallory, mallory2, unknown] = await Promise.all([newPeerId(), newPeerId(), newPeerId(), newPeerId(), newPeerId(), newPeerId(), newPeerId()])
    peers = [
      { peerId: alice, name: 'alice', relation: 'contact' },
      { peerId: bob, name: 'bob', relation: 'contact' },
      { peerId: bob2, name: 'bob', relation: 'contact' },
      { peerId: carol, relation: 'contact' },
      { peerId: mallory, name: 'mallory', relation: 'stranger' },
      { peerId: mallory2, name: 'mallory', relation: 'request' }
    ]
  })

  /** the shortest prefix (of at least 4 characters) of `id` that no other peer id shares */
  function uniquePrefix (id: string, among: readonly PeerLike[] = peers): string {
    for (let n = 4; n <= id.length; n++) {
      const prefix = id.slice(0, n)
      if (among.filter(p => p.peerId.startsWith(prefix)).length === 1) return prefix
    }
    return id
  }

  /** what resolved, and how (the `stranger` flag is checked on its own below) */
  const by = (arg: string, list: readonly PeerLike[] = peers): Omit<Resolved, 'stranger'> => {
    const { peerId, by } = resolvePeer(arg, list)
    return { peerId, by }
  }

  void describe('1. a full peer id: it is who it is', () => {
    void it('a known peer id', () => {
      assert.deepEqual(by(bob2), { peerId: bob2, by: 'id' })
      assert.deepEqual(by(carol), { peerId: carol, by: 'id' })
    })

    void it('in another encoding (CID)', () => {
      const cid = peerIdFromString(alice).toCID().toString()
      assert.deepEqual(by(cid), { peerId: alice, by: 'id' })
    })

    void it('a valid but unknown peer id', () => {
      assert.deepEqual(by(unknown), { peerId: unknown, by: 'id' })
      assert.deepEqual(by(unknown, []), { peerId: unknown, by: 'id' })
    })

    void it('a stranger nicknamed with a contact\'s full peer id does not get it', () => {
      const list: PeerLike[] = [{ peerId: alice, name: 'alice', relation: 'contact' }, { peerId: mallory, name: alice, relation: 'stranger' }]
      assert.deepEqual(by(alice, list), { peerId: alice, by: 'id' })
      // nor does anyone who merely takes a full peer id as a petname or nickname, known or not
      assert.deepEqual(by(unknown, [{ peerId: mallory, name: unknown, petname: unknown, relation: 'contact' }]), { peerId: unknown, by: 'id' })
    })
  })

  void describe('2. a petname', () => {
    void it('wins over every nickname', () => {
      // the user calls carol "bob": the nicknames "bob" (two contacts!) do not count
      const list = peers.map(p => p.peerId === carol ? { ...p, petname: 'bob' } : p)
      assert.deepEqual(by('bob', list), { peerId: carol, by: 'petname' })
      // and over a stranger's nickname
      const named = peers.map(p => p.peerId === alice ? { ...p, petname: 'mallory' } : p)
      assert.deepEqual(by('mallory', named), { peerId: alice, by: 'petname' })
    })

    void it('finds a blocked peer, to unblock it', () => {
      const list: PeerLike[] = [{ peerId: mallory, name: 'mallory', petname: 'spam', relation: 'blocked' }]
      assert.deepEqual(by('spam', list), { peerId: mallory, by: 'petname' })
    })

    void it('two peers with the same petname are ambiguous', () => {
      const list: PeerLike[] = [{ peerId: alice, petname: 'pal', relation: 'contact' }, { peerId: bob, petname: 'pal', relation: 'contact' }]
      throwsListing('pal', list, AmbiguousPeerError, list)
    })
  })

  void describe('3. a unique start or end of a known peer id', () => {
    void it('a prefix', () => {
      assert.deepEqual(by(uniquePrefix(carol)), { peerId: carol, by: 'id-fragment' })
      assert.deepEqual(by(bob.slice(0, -1)), { peerId: bob, by: 'id-fragment' })
    })

    void it('a suffix, with or without the leading … of the short id', () => {
      for (const p of peers) {
        assert.deepEqual(by(shortId(p.peerId)), { peerId: p.peerId, by: 'id-fragment' }, shortId(p.peerId))
        assert.deepEqual(by(p.peerId.slice(-SHORT_ID_CHARS)), { peerId: p.peerId, by: 'id-fragment' })
      }
      assert.deepEqual(by(`…${carol.slice(1)}`), { peerId: carol, by: 'id-fragment' })
    })

    void it('finds a blocked peer, to unblock it', () => {
      const list: PeerLike[] = [{ peerId: mallory, name: 'mallory', relation: 'blocked' }]
      assert.deepEqual(by(shortId(mallory), list), { peerId: mallory, by: 'id-fragment' })
    })

    void it('an ambiguous fragment lists the candidates, unnamed ones too', () => {
      // every Ed25519 peer id starts with 12D3KooW: among the contacts first
      const contacts = peers.filter(p => p.relation === 'contact')
      throwsListing('12D3KooW', peers, AmbiguousPeerError, contacts)
      assert.match(String(catchError(() => by('12D3KooW'))?.message), /'12D3KooW' matches 4 peers/)
      assert.ok(String(catchError(() => by('12D3KooW'))?.message).includes(`unnamed (${shortId(carol)})`))
    })

    void it('a stranger whose peer id ends in a contact\'s nickname does not get it (ids can be ground)', () => {
      const dave: PeerLike = { peerId: '12D3KooWDaveDaveDaveDaveDaveDaveDaveDaveDaveDaveDaveXyz', name: 'dave', relation: 'contact' }
      const ground: PeerLike = { peerId: '12D3KooWLFxD6Bz6aP9vY6U4Hx47hdWcV4ArbYhbfUs2nT1Ndave', name: 'x', relation: 'stranger' }
      assert.deepEqual(by('dave', [ground, dave]), { peerId: dave.peerId, by: 'contact' })
      // nor by any fragment shorter than the short id on screen
      assert.throws(() => by('Ndave', [ground]), UnknownPeerError)
      assert.throws(() => by(ground.peerId.slice(-(SHORT_ID_CHARS - 1)), [ground]), UnknownPeerError)
      // the whole short id does find it, and says it is a stranger
      const found = resolvePeer(shortId(ground.peerId), [ground, dave])
      assert.deepEqual(found, { peerId: ground.peerId, by: 'id-fragment', stranger: true })
    })

    void it('says stranger whenever the peer found is not a contact, whatever step found it', () => {
      assert.equal(resolvePeer(alice, peers).stranger, false)
      assert.equal(resolvePeer(unknown, peers).stranger, true)
      assert.equal(resolvePeer(mallory, peers).stranger, true)
      assert.equal(resolvePeer(shortId(mallory), peers).stranger, true)
      assert.equal(resolvePeer('alice', peers).stranger, false)
    })

    void it('fewer than 4 characters are never a fragment', () => {
      assert.throws(() => by('12D'), UnknownPeerError)
      assert.throws(() => by(`…${alice.slice(-3)}`), UnknownPeerError)
      assert.throws(() => by('…'), UnknownPeerError)
    })

    void it('a stranger nicknamed with a prefix or the short id of a contact does not get it', () => {
      const contact: PeerLike = { peerId: alice, name: 'alice', relation: 'contact' }

      for (const fake of [uniquePrefix(alice, [contact, { peerId: mallory }]), alice.slice(0, 20), shortId(alice), alice.slice(-SHORT_ID_CHARS), alice.slice(-6)]) {
        const list: PeerLike[] = [contact, { peerId: mallory, name: fake, relation: 'stranger' }]
        assert.deepEqual(by(fake, list), { peerId: alice, by: 'id-fragment' }, fake)
        // nor does a contact: an id outranks every nickname
        const contacts: PeerLike[] = [contact, { peerId: mallory, name: fake, relation: 'contact' }]
        assert.deepEqual(by(fake, contacts), { peerId: alice, by: 'id-fragment' }, fake)
      }
    })
  })

  void describe('4. a contact\'s nickname, 5. a stranger\'s', () => {
    void it('a unique contact nickname', () => {
      assert.deepEqual(by('alice'), { peerId: alice, by: 'contact' })
    })

    void it('nicknames are exact (case-sensitive)', () => {
      assert.throws(() => by('Alice'), UnknownPeerError)
    })

    void it('two contacts with one nickname are ambiguous, listing both ids', () => {
      throwsListing('bob', peers, AmbiguousPeerError, peers.filter(p => p.name === 'bob'))
      assert.ok(!String(catchError(() => by('bob'))?.message).includes(alice.slice(-SHORT_ID_CHARS)))
    })

    void it('a contact and a stranger with one nickname: the contact', () => {
      const list: PeerLike[] = [{ peerId: mallory, name: 'alice', relation: 'stranger' }, { peerId: alice, name: 'alice', relation: 'contact' }, { peerId: mallory2, name: 'alice', relation: 'request' }]
      assert.deepEqual(by('alice', list), { peerId: alice, by: 'contact' })
    })

    void it('a unique stranger nickname, and the result says so', () => {
      const list = peers.filter(p => p.peerId !== mallory2)
      assert.deepEqual(by('mallory', list), { peerId: mallory, by: 'stranger' })
      // a peer with held requests is a stranger too
      assert.deepEqual(by('mallory', peers.filter(p => p.peerId !== mallory)), { peerId: mallory2, by: 'stranger' })
      // and one whose relation is not known
      assert.deepEqual(by('dave', [{ peerId: carol, name: 'dave' }]), { peerId: carol, by: 'stranger' })
    })

    void it('two strangers with one nickname are ambiguous, listing both ids and that they are strangers', () => {
      const strangers = peers.filter(p => p.name === 'mallory')
      throwsListing('mallory', peers, AmbiguousPeerError, strangers)
      const message = String(catchError(() => by('mallory'))?.message)
      assert.ok(message.includes(`mallory (${shortId(mallory)}, stranger)`), message)
      assert.ok(message.includes(`mallory (${shortId(mallory2)}, request)`), message)
    })

    void it('a blocked peer is never found by nickname', () => {
      const list: PeerLike[] = [{ peerId: mallory, name: 'mallory', relation: 'blocked' }]
      assert.throws(() => by('mallory', list), UnknownPeerError)
      // a blocked one does not make a stranger with its nickname ambiguous, or outrank it
      const two: PeerLike[] = [...list, { peerId: mallory2, name: 'mallory', relation: 'stranger' }]
      assert.deepEqual(by('mallory', two), { peerId: mallory2, by: 'stranger' })
    })
  })

  void it('anything else is unknown', () => {
    for (const arg of ['dave', 'Qm', '12D3KooWnotavalidpeerid', `${alice}x`]) {
      assert.throws(() => by(arg), (err: Error) => {
        assert.ok(err instanceof UnknownPeerError, `${arg}: ${err.name}`)
        assert.match(err.message, new RegExp(`unknown peer '${arg}'`))
        return true
      })
    }
    assert.throws(() => by('bob', []), UnknownPeerError)
  })

  void it('shortId: … and the last 12 characters', () => {
    assert.equal(shortId('12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'), '…oGTxrMLvKXtf')
    assert.equal(SHORT_ID_CHARS, 12)
    assert.equal(shortId('short'), 'short')
  })

  void it('describePeer: petname first, the short id, the relation unless a contact', () => {
    assert.equal(describePeer({ peerId: alice, name: 'alice', relation: 'contact' }), `alice (${shortId(alice)})`)
    assert.equal(describePeer({ peerId: alice, name: 'alice', petname: 'Al', relation: 'contact' }), `Al (${shortId(alice)})`)
    assert.equal(describePeer({ peerId: mallory, name: 'mallory', relation: 'stranger' }), `mallory (${shortId(mallory)}, stranger)`)
    assert.equal(describePeer({ peerId: carol }), `unnamed (${shortId(carol)})`)
  })
})

function catchError (fn: () => unknown): Error | undefined {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  return undefined
}
