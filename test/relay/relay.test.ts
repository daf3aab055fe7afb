/**
 * The relay and relay clients, in process on loopback: real libp2p nodes,
 * real circuit relay v2, real LevelDB.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createChatNode } from '../../src/node/index.ts'
import type { ChatNodeInit } from '../../src/node/index.ts'
import { createRelayNode } from '../../src/relay/server.ts'
import { checkRelayHealth } from '../../src/relay/health.ts'
import type { RelayInit, RelayNode } from '../../src/relay/server.ts'
import { tcpPort } from '../helpers/addrs.ts'
import { nextEvent as next, until } from '../helpers/node-events.ts'
import { createTempDir } from '../helpers/tmp.ts'
import type { ChatNode } from '../../src/types.ts'

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
})
