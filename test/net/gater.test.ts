/**
 * The fairness gater over a stubbed node: which gates refuse whom, that it
 * counts the connections libp2p holds (and those it admitted this turn of
 * the event loop, which libp2p has not counted yet), the per-IP rate
 * for direct inbound connections, never for relayed ones, and the
 * handshakes in progress: per remote IP for direct connections, per relay
 * for relayed ones, released at the next gate or when the connection closes.
 */
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { fairnessGater } from '../../src/net/gater.ts'
import { newPeer } from '../helpers/peers.ts'
import type { FairnessGaterInit, FairnessPeers } from '../../src/net/gater.ts'
import type { PeerKind } from '../../src/net/fairness.ts'
import type { Connection, ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A node whose peers are what `kinds` says (stranger otherwise) and whose connections are `held` */
class StubNode implements FairnessPeers {
  readonly kinds = new Map<string, PeerKind>()
  readonly held: Connection[] = []

  kind (peer: PeerId): PeerKind {
    return this.kinds.get(peer.toString()) ?? 'stranger'
  }

  connections (): Connection[] {
    return this.held
  }

  connect (peer: PeerId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.held.push({ remotePeer: peer, status: 'open' } as unknown as Connection)
    }
  }
}

/** A connection in its handshake: its address, its status, its `close` event */
class FakeMaConn extends EventTarget {
  readonly remoteAddr: Multiaddr
  status: MultiaddrConnection['status'] = 'open'

  constructor (addr: string) {
    super()
    this.remoteAddr = multiaddr(addr)
  }

  close (): void {
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }
}

function maConn (addr: string | FakeMaConn): MultiaddrConnection {
  return (typeof addr === 'string' ? new FakeMaConn(addr) : addr) as unknown as MultiaddrConnection
}

/** every gate at which the remote peer id is known, by name */
function peerGates (gater: ConnectionGater, peer: PeerId): Record<string, boolean | Promise<boolean> | undefined> {
  const conn = maConn('/ip4/192.0.2.1/tcp/4001')
  return {
    denyDialPeer: gater.denyDialPeer?.(peer),
    denyOutboundConnection: gater.denyOutboundConnection?.(peer, conn),
    denyInboundRelayedConnection: gater.denyInboundRelayedConnection?.(peer, peer),
    denyInboundEncryptedConnection: gater.denyInboundEncryptedConnection?.(peer, conn),
    denyOutboundEncryptedConnection: gater.denyOutboundEncryptedConnection?.(peer, conn)
  }
}

const limits = { maxConnections: 10, maxStrangerConnections: 6, maxConnectionsPerPeer: 3 }

void describe('fairnessGater', () => {
  const ids: PeerId[] = []

  before(async () => {
    for (let i = 0; i < 12; i++) ids.push((await newPeer()).id)
  })

  function setup (init: Partial<FairnessGaterInit> = {}): { node: StubNode, gater: ConnectionGater } {
    const node = new StubNode()
    return { node, gater: fairnessGater({ ...limits, peers: () => node, ...init }) }
  }

  const peer = (i: number): PeerId => {
    const id = ids[i]
    assert.ok(id != null)
    return id
  }

  void it('refuses every peer while the node is not built, but leaves the per-IP gate working', () => {
    const gater = fairnessGater({ peers: () => undefined })
    assert.ok(Object.values(peerGates(gater, peer(0))).every(v => v === true))
    assert.equal(gater.denyInboundUpgradedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/1')), false)
  })

  void it('refuses a blocked peer at every gate, in both directions', () => {
    const { node, gater } = setup()
    node.kinds.set(peer(0).toString(), 'blocked')
    assert.deepEqual(Object.values(peerGates(gater, peer(0))), [true, true, true, true, true])
    assert.equal(gater.denyInboundUpgradedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.equal(gater.denyOutboundUpgradedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.deepEqual(Object.values(peerGates(gater, peer(1))), [false, false, false, false, false], 'anyone else is let in')
  })

  void it('caps the connections of one peer id, counted from what libp2p holds', () => {
    const { node, gater } = setup()
    node.kinds.set(peer(0).toString(), 'contact')
    node.connect(peer(0), 2)
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), false)
    node.connect(peer(0))
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.equal(gater.denyDialPeer?.(peer(0)), true)
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(1), maConn('/ip4/192.0.2.1/tcp/1')), false, 'another peer is not affected')
  })

  void it('keeps strangers to their share and the rest for contacts; relays and contacts do not count as strangers', () => {
    const { node, gater } = setup()
    node.kinds.set(peer(0).toString(), 'contact')
    node.kinds.set(peer(1).toString(), 'relay')
    node.kinds.set(peer(2).toString(), 'contact')
    node.connect(peer(1), 2)
    node.connect(peer(2), 1)

    // 5 strangers: one more stranger fits (6 of 6)
    for (let i = 3; i < 8; i++) node.connect(peer(i))
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(8), maConn('/ip4/192.0.2.1/tcp/1')), false)
    node.connect(peer(8))
    // 6 strangers: the share is full, for new strangers and ones already in alike
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(9), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.equal(gater.denyInboundRelayedConnection?.(peer(1), peer(3)), true)
    assert.equal(gater.denyDialPeer?.(peer(9)), true, 'our own dials to strangers too')
    // total 9 of 10: a contact still gets in; a relay too
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), false)
    node.connect(peer(0))
    // total 10 of 10: the budget is full, for a contact too, but not for a relay
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    assert.equal(gater.denyDialPeer?.(peer(1)), false, 'a relay is never refused for the budget')
  })

  void it('counts what it admitted at the last gate until libp2p has counted it (the next turn)', async () => {
    const { gater } = setup()
    const admitted = []

    for (let i = 0; i < 8; i++) {
      admitted.push(gater.denyInboundUpgradedConnection?.(peer(i), maConn('/ip4/192.0.2.1/tcp/1')))
    }

    assert.deepEqual(admitted, [false, false, false, false, false, false, true, true], 'six strangers fit, in the same turn')
    assert.equal(gater.denyOutboundUpgradedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')), true)
    // the earlier gates are cheap checks, and count what is in flight too
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(9), maConn('/ip4/192.0.2.1/tcp/1')), true)

    await nextTurn()
    assert.equal(gater.denyInboundUpgradedConnection?.(peer(9), maConn('/ip4/192.0.2.1/tcp/1')), false, 'released: libp2p counts from now on')
  })

  void it('holds the in-flight admissions per peer too', async () => {
    const { gater } = setup()
    const admitted = [1, 2, 3, 4].map(() => gater.denyOutboundUpgradedConnection?.(peer(0), maConn('/ip4/192.0.2.1/tcp/1')))
    assert.deepEqual(admitted, [false, false, false, true])
    await nextTurn()
  })

  void it('rate-limits direct inbound connections per remote IP, and never relayed ones', () => {
    const { gater } = setup({ inboundConnectionsPerIp: 3 })
    const direct = [1, 2, 3, 4].map(port => gater.denyInboundConnection?.(maConn(`/ip4/192.0.2.1/tcp/${port}`)))
    assert.deepEqual(direct, [false, false, false, true])
    assert.equal(gater.denyInboundConnection?.(maConn('/ip6/2001:db8::1/tcp/1')), false, 'another address is not affected')

    // a relayed connection's address is the relay's, shared by everyone behind it
    const relayed = `/ip4/192.0.2.1/tcp/4001/p2p/${peer(1).toString()}/p2p-circuit/p2p/${peer(2).toString()}`
    for (let i = 0; i < 10; i++) {
      assert.equal(gater.denyInboundConnection?.(maConn(relayed)), false)
    }
  })

  void it('caps the direct connections of one remote IP in their handshake at once, until one completes or closes', () => {
    const { gater } = setup({ pendingHandshakesPerIp: 2, inboundConnectionsPerIp: 100 })
    const [a, b, c] = [1, 2, 3].map(port => new FakeMaConn(`/ip4/192.0.2.1/tcp/${port}`))
    assert.ok(a != null && b != null && c != null)
    assert.deepEqual([a, b, c].map(conn => gater.denyInboundConnection?.(maConn(conn))), [false, false, true])
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.2/tcp/1')), false, 'another address is not affected')

    // a's handshake completed: its place is free
    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn(a)), false)
    const d = new FakeMaConn('/ip4/192.0.2.1/tcp/4')
    assert.equal(gater.denyInboundConnection?.(maConn(d)), false)
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/5')), true)

    // b closed before completing it: its place is free too
    b.close()
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/6')), false)
    // a refused connection took no place: closing it frees nothing
    c.close()
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/7')), true)
    // the last gate releases too (a connection that skipped encryption)
    assert.equal(gater.denyInboundUpgradedConnection?.(peer(1), maConn(d)), false)
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/8')), false)
  })

  void it('caps relayed connections in their handshake per relay: offers refused early, connections exactly', () => {
    const { gater } = setup({ pendingHandshakesPerRelay: 2, pendingHandshakesPerIp: 1 })
    const circuit = (relay: PeerId, remote: PeerId): FakeMaConn => new FakeMaConn(`/ip4/192.0.2.1/tcp/4001/p2p/${relay.toString()}/p2p-circuit/p2p/${remote.toString()}`)
    const [r1, r2] = [peer(10), peer(11)]
    const first = circuit(r1, peer(0))

    assert.equal(gater.denyInboundRelayedConnection?.(r1, peer(0)), false)
    assert.equal(gater.denyInboundConnection?.(maConn(first)), false)
    assert.equal(gater.denyInboundConnection?.(maConn(circuit(r1, peer(1)))), false, 'more than the per-IP cap: the address is the relay\'s')
    // two in progress through r1: the next offer is refused before the relay hears yes
    assert.equal(gater.denyInboundRelayedConnection?.(r1, peer(2)), true)
    assert.equal(gater.denyInboundConnection?.(maConn(circuit(r1, peer(2)))), true, 'and exactly, should one get past the offer')
    assert.equal(gater.denyInboundRelayedConnection?.(r2, peer(2)), false, 'another relay is not affected')
    assert.equal(gater.denyInboundConnection?.(maConn('/ip4/192.0.2.1/tcp/1')), false, 'nor direct connections from the relay\'s address')

    assert.equal(gater.denyInboundEncryptedConnection?.(peer(0), maConn(first)), false)
    assert.equal(gater.denyInboundRelayedConnection?.(r1, peer(2)), false, 'released once its handshake completed')
  })

  void it('refuses a per-IP rate or handshake cap that is not a positive integer', () => {
    assert.throws(() => fairnessGater({ peers: () => undefined, inboundConnectionsPerIp: 0 }), TypeError)
    assert.throws(() => fairnessGater({ peers: () => undefined, maxStrangerConnections: 200 }), TypeError)
    assert.throws(() => fairnessGater({ peers: () => undefined, pendingHandshakesPerIp: 0 }), TypeError)
    assert.throws(() => fairnessGater({ peers: () => undefined, pendingHandshakesPerRelay: 1.5 }), TypeError)
  })
})
