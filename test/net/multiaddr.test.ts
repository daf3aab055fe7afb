/**
 * The multiaddr helpers: TCP listen addresses for IPv4 and IPv6 hosts, which
 * addresses go through a relay, the peer id an address names, and parsing a
 * user's peer address with typed errors only (a property over any string).
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { bestKind, connectionKind, isRelayed, parsePeerAddr, parsePeerId, peerIdOf, tcpListenAddr, withPeerId } from '../../src/net/multiaddr.ts'
import { newPeer } from '../helpers/peers.ts'
import type { Connection, PeerId } from '@libp2p/interface'

/** A real Ed25519 peer id */
async function newPeerId (): Promise<PeerId> {
  return (await newPeer()).id
}

const isInvalidMultiaddr = (err: unknown): boolean => err instanceof Error && err.name === 'InvalidMultiaddrError'

void describe('multiaddr helpers', () => {
  let relay: string
  let peer: string

  before(async () => {
    relay = (await newPeerId()).toString()
    peer = (await newPeerId()).toString()
  })

  void describe('tcpListenAddr', () => {
    void it('throws TypeError for anything but an IP address', () => {
      for (const host of ['localhost', '1.2.3', '', '256.1.1.1', '::g', '1.2.3.4/24']) {
        assert.throws(() => tcpListenAddr(host, 4001), TypeError, host)
      }
    })

    void it('builds /ip4 for IPv4 and /ip6 for IPv6 hosts, wildcards included', () => {
      assert.equal(tcpListenAddr('127.0.0.1', 4001), '/ip4/127.0.0.1/tcp/4001')
      assert.equal(tcpListenAddr('0.0.0.0', 0), '/ip4/0.0.0.0/tcp/0')
      assert.equal(tcpListenAddr('::1', 4001), '/ip6/::1/tcp/4001')
      assert.equal(tcpListenAddr('::', 0), '/ip6/::/tcp/0')
      // and each is a valid multiaddr
      for (const host of ['127.0.0.1', '0.0.0.0', '::1', '::']) {
        assert.equal(multiaddr(tcpListenAddr(host, 1)).toString(), tcpListenAddr(host, 1))
      }
    })
  })

  void describe('isRelayed', () => {
    void it('is false for direct addresses', () => {
      assert.equal(isRelayed(multiaddr('/ip4/1.2.3.4/tcp/1')), false)
      assert.equal(isRelayed(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${peer}`)), false)
      assert.equal(isRelayed(multiaddr(`/ip6/::1/tcp/1/p2p/${peer}`)), false)
    })

    void it('is true for a circuit to a peer and for our own circuit listen address', () => {
      assert.equal(isRelayed(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit/p2p/${peer}`)), true)
      assert.equal(isRelayed(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit`)), true)
      assert.equal(isRelayed(multiaddr(`/ip6/::1/tcp/1/p2p/${relay}/p2p-circuit/p2p/${peer}`)), true)
    })
  })

  void describe('peerIdOf and withPeerId', () => {
    void it('peerIdOf is undefined without /p2p/ and names the last /p2p/ otherwise', () => {
      assert.equal(peerIdOf(multiaddr('/ip4/1.2.3.4/tcp/1')), undefined)
      assert.equal(peerIdOf(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${peer}`)), peer)
      assert.equal(peerIdOf(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit/p2p/${peer}`)), peer)
      assert.equal(peerIdOf(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit`)), relay)
    })

    void it('withPeerId appends /p2p/<peer> once and is idempotent', () => {
      const bare = multiaddr('/ip4/1.2.3.4/tcp/1')
      const once = withPeerId(bare, peer)
      assert.equal(once.toString(), `/ip4/1.2.3.4/tcp/1/p2p/${peer}`)
      assert.equal(withPeerId(once, peer).toString(), once.toString())
      assert.equal(withPeerId(withPeerId(once, peer), peer).toString(), once.toString())
      // a circuit through a relay gains the destination
      const circuit = multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit`)
      assert.equal(withPeerId(circuit, peer).toString(), `${circuit.toString()}/p2p/${peer}`)
    })
  })

  void describe('connectionKind and bestKind', () => {
    const conn = (addr: string): Connection => ({ remoteAddr: multiaddr(addr) }) as unknown as Connection

    void it('direct if any connection is direct, else relayed', () => {
      const direct = conn(`/ip4/10.0.0.2/tcp/1/p2p/${peer}`)
      const relayed = conn(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit/p2p/${peer}`)
      assert.equal(connectionKind(direct), 'direct')
      assert.equal(connectionKind(relayed), 'relayed')
      assert.equal(bestKind([relayed]), 'relayed')
      assert.equal(bestKind([relayed, direct]), 'direct')
    })
  })

  void describe('parsePeerAddr and parsePeerId', () => {
    void it('rejects garbage with InvalidMultiaddrError, keeping the cause', () => {
      for (const addr of ['garbage', 'ip4/1.2.3.4', '/ip4', '/ip4/1.2.3.4/tcp/notaport', '/nosuchproto/1']) {
        assert.throws(() => parsePeerAddr(addr), (err: Error) => isInvalidMultiaddr(err) && err.cause != null && err.message.includes(addr), addr)
      }
    })

    void it('rejects an address without /p2p/<peer id> with InvalidMultiaddrError', () => {
      for (const addr of ['/ip4/1.2.3.4/tcp/1', '', '/', '/p2p-circuit']) {
        assert.throws(() => parsePeerAddr(addr), isInvalidMultiaddr, JSON.stringify(addr))
      }
    })

    void it('rejects an address whose last component is not /p2p/<peer id> with InvalidMultiaddrError', () => {
      // our own circuit listen address names the relay, not a peer to dial
      assert.throws(() => parsePeerAddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit`), isInvalidMultiaddr)
      assert.throws(() => parsePeerAddr(`/p2p/${peer}/ip4/1.2.3.4/tcp/1`), isInvalidMultiaddr)
    })

    void it('rejects an invalid peer id with InvalidMultiaddrError, keeping the cause', () => {
      for (const addr of ['/ip4/1.2.3.4/tcp/1/p2p/notapeerid', `/ip4/1.2.3.4/tcp/1/p2p/${peer.slice(0, -1)}`]) {
        assert.throws(() => parsePeerAddr(addr), (err: Error) => isInvalidMultiaddr(err) && err.cause != null, addr)
      }
    })

    void it('names the address in its messages', () => {
      assert.throws(() => parsePeerAddr('/ip4/1.2.3.4/tcp/1', 'relay multiaddr'), /^InvalidMultiaddrError: relay multiaddr must end with \/p2p\/<peer id>/)
    })

    void it('parses a direct and a relayed address to the peer they end with', () => {
      const direct = parsePeerAddr(`/ip4/1.2.3.4/tcp/1/p2p/${peer}`)
      assert.equal(direct.peerId.toString(), peer)
      assert.equal(direct.ma.toString(), `/ip4/1.2.3.4/tcp/1/p2p/${peer}`)
      const relayed = parsePeerAddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit/p2p/${peer}`)
      assert.equal(relayed.peerId.toString(), peer)
      assert.equal(isRelayed(relayed.ma), true)
    })

    void it('parsePeerId: InvalidPeerIdError for anything but a peer id', () => {
      assert.equal(parsePeerId(peer).toString(), peer)
      for (const s of ['', 'nope', peer.slice(1), `${peer}x`]) {
        assert.throws(() => parsePeerId(s), (err: Error) => err.name === 'InvalidPeerIdError' && err.cause != null, s)
      }
    })

    void it('never throws anything but InvalidMultiaddrError (property)', () => {
      const protocols = fc.constantFrom('ip4', 'ip6', 'tcp', 'udp', 'p2p', 'p2p-circuit', 'dns4', 'ws', 'quic-v1', 'unix', 'ipfs', '')
      const values = fc.oneof(fc.string(), fc.constantFrom(peer, relay, '1.2.3.4', '::1', '4001', '0', '-1', '65536'))
      const shaped = fc.array(fc.tuple(protocols, values), { maxLength: 6 })
        .map(parts => parts.map(([p, v]) => `/${p}/${v}`).join(''))
      fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), shaped), (addr) => {
        try {
          const { ma, peerId } = parsePeerAddr(addr)
          assert.equal(peerIdOf(ma), peerId.toString())
        } catch (err) {
          assert.ok(isInvalidMultiaddr(err), `${JSON.stringify(addr)}: ${String(err)}`)
        }
      }), { numRuns: 1_000 })
    })
  })
})
