/**
 * The relay and relay clients, in process on loopback: real libp2p nodes,
 * real circuit relay v2, real LevelDB.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createChatNode } from '../../src/node/index.ts'
import type { ChatNodeInit } from '../../src/node/index.ts'
import { createRelayNode } from '../../src/relay/server.ts'
import { checkRelayHealth } from '../../src/relay/health.ts'
import type { RelayInit, RelayNode } from '../../src/relay/server.ts'
import { tcpPort } from '../helpers/addrs.ts'
import { nextEvent as next, until } from '../helpers/node-events.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { ChatNode } from '../../src/types.ts'
import type { Libp2p } from 'libp2p'

const cleanups: Array<() => Promise<void>> = []

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

/** A data dir, removed after everything started later has stopped */
async function newDataDir (): Promise<string> {
  const dir = await createTempDir('securechat-relay-')
  cleanups.push(dir.remove)
  return dir.path
}

async function relay (init: Partial<RelayInit> = {}): Promise<RelayNode> {
  const r = await createRelayNode({ dataDir: await newDataDir(), host: '127.0.0.1', port: 0, ...init })
  cleanups.push(async () => r.stop())
  return r
}

async function node (name: string, relays: string[], dataDir?: string, init: Pick<ChatNodeInit, 'relayKeeper'> = {}): Promise<ChatNode> {
  const n = await createChatNode({ name, dataDir: dataDir ?? await newDataDir(), host: '127.0.0.1', mdns: false, relays, ...init })
  cleanups.push(async () => n.stop())
  return n
}

/**
 * A bare relay client (a `/p2p-circuit` listener) whose only traffic to the
 * relay, once reserved, is libp2p's connection monitor every `pingInterval`
 * ms, or nothing at all without one: no yamux keep-alive, no redial.
 */
async function client (pingInterval?: number): Promise<Libp2p> {
  const n = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ enableKeepAlive: false })],
    connectionManager: { reconnectRetries: 0 },
    connectionMonitor: pingInterval == null ? { enabled: false } : { pingInterval },
    services: { identify: identify() }
  })
  cleanups.push(async () => n.stop())
  return n
}



describe('relay', () => {
  it('passes its health check, and a non-relay fails it', async () => {
    const r = await relay()
    const port = tcpPort(r.addrs()[0] ?? '')
    const report = await checkRelayHealth({ host: '127.0.0.1', port })
    assert.equal(report.peerId, r.peerId)
    const plain = await node('plain', [])
    const plainPort = tcpPort(plain.addrs()[0] ?? '')
    await assert.rejects(checkRelayHealth({ host: '127.0.0.1', port: plainPort }), { name: 'ProtocolError' })
    await assert.rejects(checkRelayHealth({ host: '127.0.0.1', port: 1 }, { signal: AbortSignal.timeout(3000) }))
  })

  it('keeps its peer id across restarts', async () => {
    const dataDir = await newDataDir()
    const r1 = await createRelayNode({ dataDir, host: '127.0.0.1', port: 0 })
    const id = r1.peerId
    await r1.stop()
    const r2 = await createRelayNode({ dataDir, host: '127.0.0.1', port: 0 })
    cleanups.push(async () => r2.stop())
    assert.equal(r2.peerId, id)
  })

  it('nodes reserve, chat through it by peer id, and re-reserve after the relay restarts', async () => {
    const dataDir = await newDataDir()
    let r = await createRelayNode({ dataDir, host: '127.0.0.1', port: 0 })
    const relayAddr = r.addrs()[0] ?? ''
    const port = tcpPort(relayAddr)

    const reservations: string[] = []
    r.addEventListener('reservation', (evt) => { reservations.push(evt.detail.peerId) })
    const alice = await node('alice', [relayAddr])
    const bob = await node('bob', [relayAddr])
    await next(alice, 'relay', d => d.status === 'reserved' && d.peerId === r.peerId)
    await until('reservations', () => alice.relays()[0]?.reserved === true && bob.relays()[0]?.reserved === true)
    assert.equal(r.reservationCount(), 2)
    assert.ok(bob.addrs().some(a => a.includes('/p2p-circuit/p2p/' + bob.peerId)))
    await until('relay reported both reservations', () => reservations.length === 2)
    assert.deepEqual(reservations.sort(), [alice.peerId, bob.peerId].sort())

    // alice knows only bob's peer id
    const got = next(bob, 'message')
    const m = await alice.send(bob.peerId, 'via relay')
    await next(alice, 'delivered', d => d.id === m.id)
    assert.equal((await got).text, 'via relay')

    const lost = next(alice, 'relay', d => d.status === 'lost')
    await r.stop()
    await lost
    r = await createRelayNode({ dataDir, host: '127.0.0.1', port })
    cleanups.push(async () => r.stop())
    await next(alice, 'relay', d => d.status === 'reserved', 60_000)
    await until('bob re-reserved', () => bob.relays()[0]?.reserved === true, 60_000)
    assert.equal(r.reservationCount(), 2)
  })

  it('refuses reservations beyond its limit and keeps serving the others', async () => {
    const r = await relay({ maxReservations: 1 })
    const relayAddr = r.addrs()[0] ?? ''
    const first = await node('first', [relayAddr])
    await until('first reserved', () => first.relays()[0]?.reserved === true)
    // it hangs up and asks again 4 s after a refusal (longer than it is watched refused below), not the default 15 s:
    // what the end of this test waits for is the relay's freed slot, not the keeper's patience
    const second = await node('second', [relayAddr], undefined, { relayKeeper: { reserveGrace: 4_000, checkInterval: 250 } })
    await new Promise(resolve => setTimeout(resolve, 3000))
    assert.equal(second.relays()[0]?.reserved, false)
    assert.equal(second.relays()[0]?.connected, true)
    assert.equal(r.reservationCount(), 1)
    assert.equal(first.relays()[0]?.reserved, true)

    // a holder that leaves frees its slot at once (not after the reservation TTL)
    await first.stop()
    await until('second reserved', () => second.relays()[0]?.reserved === true, 30_000)
    assert.equal(r.reservationCount(), 1)
  })

  it('keeps a client\'s new reservation when its old one, from before a reconnect, would have expired', async () => {
    const r = await relay({ reservationTtl: 8_000 })
    const relayAddr = r.addrs()[0] ?? ''
    const dataDir = await newDataDir()
    const first = await createChatNode({ name: 'alice', dataDir, host: '127.0.0.1', mdns: false, relays: [relayAddr] })
    await until('first reservation', () => first.relays()[0]?.reserved === true)
    const reservedAt = Date.now()
    // the first reservation expires at reservedAt + 8 s, the second (made after this) later than + 12 s
    await new Promise(resolve => setTimeout(resolve, 4_000))
    await first.stop()
    const again = await node('alice', [relayAddr], dataDir)
    await until('second reservation', () => again.relays()[0]?.reserved === true)
    // past the first reservation's TTL, before the second's
    await new Promise(resolve => setTimeout(resolve, Math.max(0, reservedAt + 9_500 - Date.now())))
    assert.equal(r.reservationCount(), 1)
  })

  it('refuses more connections from one IP than its per-IP limit', async () => {
    const r = await relay({ maxConnectionsPerIp: 2 })
    const port = tcpPort(r.addrs()[0] ?? '')
    await checkRelayHealth({ host: '127.0.0.1', port })
    const relayAddr = r.addrs()[0] ?? ''
    const a = await node('a', [relayAddr])
    const b = await node('b', [relayAddr])
    await until('two connected', () => a.relays()[0]?.connected === true && b.relays()[0]?.connected === true)
    await assert.rejects(checkRelayHealth({ host: '127.0.0.1', port }, { signal: AbortSignal.timeout(3000) }))
    // a slot freed by one client is available again
    await b.stop()
    await new Promise(resolve => setTimeout(resolve, 1500))
    await checkRelayHealth({ host: '127.0.0.1', port })
  })

  it('closes a client connection silent both ways for its inactivity timeout, which frees the reservation; a client that pings keeps it', async () => {
    // the relay does not ping its clients: a dead or frozen one is found only by its silence
    const timeout = 1_500
    const r = await relay({ socketInactivityTimeout: timeout })
    const relayAddr = multiaddr(r.addrs()[0] ?? '')
    const relayPeer = peerIdFromString(r.peerId)
    const silent = await client()
    const pinging = await client(timeout / 5)
    const cuts = { silent: [] as number[], pinging: [] as number[] }
    for (const [name, c] of [['silent', silent], ['pinging', pinging]] as const) {
      // the relay's count as the client learns it was cut off (the relay, which closed the connection, knew first)
      c.addEventListener('peer:disconnect', (evt) => { if (evt.detail.equals(relayPeer)) cuts[name].push(r.reservationCount()) })
    }
    await Promise.all([silent, pinging].map(async c => c.dial(relayAddr)))
    await until('both reserved', () => r.reservationCount() === 2)
    const reservedAt = Date.now()

    await until('the silent client cut off', () => cuts.silent.length > 0, 10 * timeout)
    assert.ok(Date.now() - reservedAt >= timeout * 0.9, `cut after ${Date.now() - reservedAt} ms, not before the timeout`)
    assert.deepEqual(cuts.silent, [1], 'its reservation was freed by then')
    // it would reserve again (and be cut again): it is done
    await silent.stop()
    // three more timeouts: the client that pings stays connected and reserved
    await new Promise(resolve => setTimeout(resolve, 3 * timeout))
    assert.deepEqual(cuts.pinging, [])
    assert.ok(pinging.getMultiaddrs().some(a => a.toString().includes(`/p2p/${r.peerId}/p2p-circuit`)), 'still holds its reservation')
    assert.equal(r.reservationCount(), 1)
  })
})
