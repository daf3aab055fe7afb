/**
 * The pure parts of the rendezvous point, without streams: the
 * registrations table on a fake clock (replacement, expiry, limits,
 * pages, per-peer and per-address removal and quotas), the cookies
 * (opaque, bound to their namespace and to one start of the server,
 * garbage refused), the signed peer record check (Ed25519 only, the
 * signer before the signature), the request buckets and sender addresses,
 * the wire helpers and the server's init checks.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { COOKIE_BYTES } from '../../src/rendezvous/constants.ts'
import { Cookies } from '../../src/rendezvous/cookie.ts'
import { rendezvousServer } from '../../src/rendezvous/index.ts'
import { openPeerRecord, sealPeerRecord } from '../../src/rendezvous/record.ts'
import { RequestLimiter, senderAddress } from '../../src/rendezvous/quota.ts'
import { TokenBucket } from '../../src/util/token-bucket.ts'
import { Registrations } from '../../src/rendezvous/registrations.ts'
import { asError, namespaceProblem } from '../../src/rendezvous/wire.ts'
import { FakeClock } from '../helpers/clock.ts'
import { newPeer } from '../helpers/peers.ts'
import { OtherRecord, otherKeyPeer, peerRecord } from './helpers.ts'
import type { Libp2pEvents } from '@libp2p/interface'

const RECORD = new Uint8Array(100)
const LIMITS = { perPeer: 100, perAddress: 1000, perNamespace: 100, total: 1000 }

function peersOf (table: Registrations, ns: string, after = 0, limit = 100, maxBytes = 1_000_000): string[] {
  return table.page(ns, after, limit, maxBytes).registrations.map(r => r.registration.peer)
}

describe('registrations', () => {
  it('a registration replaces the same peer\'s in the same namespace, and moves to the end', () => {
    const table = new Registrations(LIMITS, new FakeClock())
    table.add('ns', 'a', RECORD, 60)
    table.add('ns', 'b', RECORD, 60)
    table.add('other', 'a', RECORD, 60)
    assert.equal(table.add('ns', 'a', RECORD, 120), undefined)
    assert.equal(table.size, 3)
    assert.deepEqual(peersOf(table, 'ns'), ['b', 'a'])
    assert.deepEqual(table.page('ns', 0, 10, 1_000_000).registrations.map(r => r.ttl), [60, 120])
  })

  it('expires at the TTL: a page never returns an expired one, and the sweep frees them', () => {
    const clock = new FakeClock()
    const table = new Registrations(LIMITS, clock)
    table.add('ns', 'a', RECORD, 10)
    table.add('ns', 'b', RECORD, 20)
    table.add('other', 'c', RECORD, 10)
    clock.advance(9_999)
    assert.deepEqual(peersOf(table, 'ns'), ['a', 'b'])
    assert.deepEqual(table.page('ns', 0, 10, 1_000_000).registrations.map(r => r.ttl), [1, 11])
    clock.advance(1)
    assert.deepEqual(peersOf(table, 'ns'), ['b'])
    // the page dropped a; c waits for the sweep
    assert.equal(table.size, 2)
    assert.equal(table.sweep(), 1)
    assert.equal(table.size, 1)
    clock.advance(10_000)
    assert.equal(table.sweep(), 1)
    assert.equal(table.size, 0)
  })

  it('refuses past each limit, a replacement is never refused, and a full peer drops its expired ones first', () => {
    const clock = new FakeClock()
    const table = new Registrations({ perPeer: 2, perAddress: 100, perNamespace: 3, total: 5 }, clock)
    assert.equal(table.add('n1', 'a', RECORD, 10), undefined)
    assert.equal(table.add('n2', 'a', RECORD, 100), undefined)
    assert.equal(table.add('n3', 'a', RECORD, 100), 'peer-full')
    assert.equal(table.add('n1', 'a', RECORD, 10), undefined)
    assert.equal(table.add('n1', 'b', RECORD, 100), undefined)
    assert.equal(table.add('n1', 'c', RECORD, 100), undefined)
    assert.equal(table.add('n1', 'd', RECORD, 100), 'namespace-full')
    assert.equal(table.add('n4', 'd', RECORD, 100), undefined)
    assert.equal(table.add('n5', 'e', RECORD, 100), 'full')
    assert.equal(table.size, 5)

    // a's n1 expires: a may register elsewhere (its expired one dropped first)
    clock.advance(10_000)
    assert.equal(table.add('n3', 'a', RECORD, 100), undefined)
    assert.equal(table.size, 5)
    assert.equal(table.add('n6', 'f', RECORD, 100), 'full')
    // once the others expire, a full point sweeps them at once rather than at the next periodic sweep
    clock.advance(100_000)
    assert.equal(table.add('n6', 'f', RECORD, 100), undefined)
    assert.equal(table.size, 1)
  })

  it('a full namespace drops its expired ones first', () => {
    const clock = new FakeClock()
    const table = new Registrations({ perPeer: 10, perAddress: 100, perNamespace: 2, total: 10 }, clock)
    table.add('ns', 'a', RECORD, 10)
    table.add('ns', 'b', RECORD, 100)
    assert.equal(table.add('ns', 'c', RECORD, 100), 'namespace-full')
    clock.advance(10_000)
    assert.equal(table.add('ns', 'c', RECORD, 100), undefined)
    assert.deepEqual(peersOf(table, 'ns'), ['b', 'c'])
    assert.equal(table.size, 2)
  })

  it('pages in order of registration, by limit and by bytes (always at least one)', () => {
    const table = new Registrations(LIMITS, new FakeClock())
    const peers = Array.from({ length: 25 }, (_, i) => `p${i}`)
    for (const p of peers) table.add('ns', p, RECORD, 60)
    const seen: string[] = []
    let after = 0

    for (let pages = 0; pages < 10; pages++) {
      const page = table.page('ns', after, 10, 1_000_000)
      if (page.registrations.length === 0) break
      seen.push(...page.registrations.map(r => r.registration.peer))
      after = page.position
    }

    assert.deepEqual(seen, peers)
    // 100-byte records plus the namespace and overhead: two fit in 300 bytes, and one always fits
    assert.equal(table.page('ns', 0, 10, 300).registrations.length, 2)
    assert.equal(table.page('ns', 0, 10, 1).registrations.length, 1)
  })

  it('drops every registration of a peer at once, and only its', () => {
    const table = new Registrations(LIMITS, new FakeClock())
    table.add('n1', 'a', RECORD, 60, '192.0.2.1')
    table.add('n2', 'a', RECORD, 60, '192.0.2.1')
    table.add('n1', 'b', RECORD, 60, '192.0.2.1')
    assert.equal(table.removePeer('a'), 2)
    assert.equal(table.removePeer('a'), 0)
    assert.equal(table.size, 1)
    assert.deepEqual(peersOf(table, 'n1'), ['b'])
    assert.deepEqual(peersOf(table, 'n2'), [])
  })

  it('bounds the registrations made from one address: its expired ones go first, a replacement is never refused, and removal frees them', () => {
    const clock = new FakeClock()
    const table = new Registrations({ perPeer: 10, perAddress: 3, perNamespace: 10, total: 100 }, clock)
    assert.equal(table.add('n1', 'a', RECORD, 10, '192.0.2.1'), undefined)
    assert.equal(table.add('n2', 'a', RECORD, 100, '192.0.2.1'), undefined)
    assert.equal(table.add('n1', 'b', RECORD, 100, '192.0.2.1'), undefined)
    assert.equal(table.add('n2', 'b', RECORD, 100, '192.0.2.1'), 'address-full')
    // another address, or none, is not held to that one's quota
    assert.equal(table.add('n2', 'b', RECORD, 100, '192.0.2.2'), undefined)
    assert.equal(table.add('n3', 'c', RECORD, 100), undefined)
    // a replacement from the full address goes through
    assert.equal(table.add('n1', 'b', RECORD, 100, '192.0.2.1'), undefined)
    // a's n1 expires: the address has room again
    clock.advance(10_000)
    assert.equal(table.add('n3', 'd', RECORD, 100, '192.0.2.1'), undefined)
    assert.equal(table.add('n4', 'd', RECORD, 100, '192.0.2.1'), 'address-full')
    table.removePeer('b')
    assert.equal(table.add('n4', 'd', RECORD, 100, '192.0.2.1'), undefined)
  })

  it('forgets everything on clear', () => {
    const table = new Registrations(LIMITS, new FakeClock())
    table.add('ns', 'a', RECORD, 60)
    table.clear()
    assert.equal(table.size, 0)
    assert.deepEqual(peersOf(table, 'ns'), [])
  })
})

describe('cookies', () => {
  it('open to their position for their namespace only, and only under the key that sealed them', () => {
    const cookies = new Cookies()
    const cookie = cookies.seal('ns', 42)
    assert.equal(cookie.byteLength, COOKIE_BYTES)
    assert.equal(cookies.open('ns', cookie), 42)
    assert.equal(cookies.open('other', cookie), undefined)
    assert.equal(new Cookies().open('ns', cookie), undefined)
    assert.throws(() => cookies.seal('ns', -1), TypeError)
  })

  it('refuse anything else: garbage, any other length, any changed byte (property)', () => {
    const cookies = new Cookies()
    const good = cookies.seal('ns', 7)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.equal(cookies.open('ns', bytes), undefined)
    }))
    fc.assert(fc.property(fc.nat(COOKIE_BYTES - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
      const changed = good.slice()
      changed[at] = (changed[at] ?? 0) ^ mask
      assert.equal(cookies.open('ns', changed), undefined)
    }))
  })
})

describe('signed peer records', () => {
  it('open to the peer and addresses signed, and refuse forgeries with the check that failed', async () => {
    const me = await newPeer()
    const other = await newPeer()
    const addrs = [multiaddr('/ip4/127.0.0.1/tcp/4001')]
    const good = await sealPeerRecord(me.key, addrs)
    const opened = await openPeerRecord(good)
    assert.ok(opened.peerId.equals(me.id))
    assert.deepEqual(opened.multiaddrs.map(String), ['/ip4/127.0.0.1/tcp/4001'])

    const refused = async (bytes: Uint8Array, statusText: string): Promise<void> => {
      await assert.rejects(openPeerRecord(bytes), { name: 'InvalidSignedPeerRecordError', status: 'E_INVALID_SIGNED_PEER_RECORD', statusText })
    }

    await refused(new Uint8Array(0), 'no signed peer record')
    await refused(new Uint8Array(3000), 'signed peer record longer than 2048 bytes')
    await refused(Uint8Array.from([1, 2, 3, 4]), 'envelope malformed')
    // signed by me, naming other
    await refused(await peerRecord(me.key, other.id), 'peer record not signed by the peer it names')
    // a peer record signed for another domain
    const otherDomain = (await RecordEnvelope.seal(new OtherRecord('not-a-peer-record', PeerRecord.CODEC, new PeerRecord({ peerId: me.id }).marshal()), me.key)).marshal()
    await refused(otherDomain, 'signature verification failed')
    // another payload type, signed properly
    await refused((await RecordEnvelope.seal(new OtherRecord(PeerRecord.DOMAIN, Uint8Array.from([1, 2]), new Uint8Array(4)), me.key)).marshal(), 'envelope carries no peer record')
    // a bad signature: the last byte of the envelope is the signature's
    const tampered = good.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1
    await refused(tampered, 'signature verification failed')
    // a peer record payload that is not one
    await refused((await RecordEnvelope.seal(new OtherRecord(PeerRecord.DOMAIN, PeerRecord.CODEC, Uint8Array.from([0x0a, 0x02, 1, 2])), me.key)).marshal(), 'peer record malformed')
  })

  it('refuse any signer key but Ed25519, however well signed', async () => {
    for (const type of ['RSA', 'secp256k1'] as const) {
      const peer = await otherKeyPeer(type)
      await assert.rejects(openPeerRecord(await peerRecord(peer.key, peer.id)), { name: 'InvalidSignedPeerRecordError', statusText: 'signer key not Ed25519' }, type)
    }
  })

  it('check the signer is the one expected before checking the signature', async () => {
    const me = await newPeer()
    const other = await newPeer()
    const record = await peerRecord(other.key, other.id)
    await assert.rejects(openPeerRecord(record, { signer: me.id }), { statusText: 'peer record not signed by the sender' })
    assert.ok((await openPeerRecord(record, { signer: other.id })).peerId.equals(other.id))
    // a bad signature too: refused for the signer, so the signature was never looked at
    const tampered = record.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1
    await assert.rejects(openPeerRecord(tampered, { signer: me.id }), { statusText: 'peer record not signed by the sender' })
    await assert.rejects(openPeerRecord(tampered, { signer: other.id }), { statusText: 'signature verification failed' })
  })
})

describe('request quotas', () => {
  it('a token bucket: a burst, then its rate, never more than its burst', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket({ burst: 3, rate: 2 }, clock.now())
    const takeAll = (): number => {
      let n = 0
      while (bucket.has(clock.now())) { bucket.take(); n++ }
      return n
    }
    assert.equal(takeAll(), 3)
    clock.advance(499)
    assert.equal(takeAll(), 0)
    clock.advance(1)
    assert.equal(takeAll(), 1)
    clock.advance(60_000)
    assert.ok(bucket.full(clock.now()))
    assert.equal(takeAll(), 3)
  })

  it('admits a request only if both its connection\'s and its address\'s buckets have a token, and forgets addresses gone quiet', () => {
    const clock = new FakeClock()
    const limiter = new RequestLimiter<object>({ burst: 2, rate: 1 }, { burst: 3, rate: 1 }, clock)
    const [c1, c2, c3] = [{}, {}, {}]
    assert.deepEqual([limiter.admit(c1, 'x'), limiter.admit(c1, 'x'), limiter.admit(c1, 'x')], [true, true, false])
    // the address has one token left, which c2 takes; c3 is refused by the address, not by its own bucket
    assert.deepEqual([limiter.admit(c2, 'x'), limiter.admit(c3, 'x')], [true, false])
    // another address, and no address at all, have buckets of their own
    assert.deepEqual([limiter.admit(c3, 'y'), limiter.admit(c3, undefined)], [true, true])
    clock.advance(1_000)
    assert.deepEqual([limiter.admit(c1, 'x'), limiter.admit(c2, 'x')], [true, false])
    clock.advance(10_000)
    limiter.prune()
    assert.deepEqual([limiter.admit(c1, 'x'), limiter.admit(c1, 'x'), limiter.admit(c1, 'x')], [true, true, false])
  })

  it('counts a sender under its IPv4 address, or its IPv6 /64 (an IPv4-mapped one as IPv4), or nothing', () => {
    assert.equal(senderAddress(multiaddr('/ip4/192.0.2.7/tcp/4001')), '192.0.2.7')
    const a = senderAddress(multiaddr('/ip6/2001:db8:1:2::1/tcp/4001'))
    assert.equal(a, '20010db800010002::/64')
    assert.equal(senderAddress(multiaddr('/ip6/2001:db8:1:2:ffff:ffff:ffff:ffff/tcp/1')), a)
    assert.equal(senderAddress(multiaddr('/ip6/2001:0db8:0001:0002:0:0:0:9/tcp/1')), a)
    assert.notEqual(senderAddress(multiaddr('/ip6/2001:db8:1:3::1/tcp/1')), a)
    assert.equal(senderAddress(multiaddr('/ip6/::ffff:192.0.2.7/tcp/1')), '192.0.2.7')
    assert.equal(senderAddress(multiaddr('/dns4/example.com/tcp/1')), undefined)
  })
})

describe('wire helpers', () => {
  it('measures namespaces in bytes of UTF-8: 1 to 255', () => {
    assert.equal(namespaceProblem('x'.repeat(255)), undefined)
    assert.equal(namespaceProblem(''), 'namespace empty')
    assert.equal(namespaceProblem('é'.repeat(128)), 'namespace longer than 255 bytes')
  })

  it('turns what a stream operation rejected with into an Error: the close event\'s error, or a StreamStateError', () => {
    const err = new Error('reset')
    assert.equal(asError(err), err)
    assert.equal(asError({ type: 'close', error: err }), err)
    const closed = asError(new Event('close'))
    assert.equal(closed.name, 'StreamStateError')
    assert.ok(closed.cause instanceof Event)
  })
})

describe('server init', () => {
  it('refuses bounds that make no sense, or a TTL past the spec\'s 72 h, with TypeError', () => {
    const components = { registrar: {} as never, events: new TypedEventEmitter<Libp2pEvents>(), logger: defaultLogger() }
    for (const init of [{ minTtl: 0 }, { maxTtl: 72 * 3600 + 1 }, { minTtl: 600, maxTtl: 300 }, { defaultTtl: 60 }, { maxRegistrations: 1.5 }, { defaultDiscoverLimit: 200 }, { timeout: -1 }]) {
      assert.throws(() => rendezvousServer(init)(components), TypeError, JSON.stringify(init))
    }
    for (const init of [{ requestBurst: 0 }, { requestRate: 0 }, { addressRequestBurst: 2.5 }, { addressRequestRate: Infinity }, { maxRegistrationsPerAddress: 0 }, { overRatePause: -1 }, { timeout: 500, overRatePause: 500 }]) {
      assert.throws(() => rendezvousServer(init)(components), TypeError, JSON.stringify(init))
    }
    // the spec's 72 h may still be configured; 30 min is only our default
    assert.equal(rendezvousServer({ maxTtl: 72 * 3600 })(components).registrationCount(), 0)
    assert.equal(rendezvousServer({ minTtl: 1, defaultTtl: 60, maxTtl: 600 })(components).registrationCount(), 0)
  })
})
