/**
 * /rendezvous/1.0.0 between real libp2p nodes on loopback (TCP, Noise,
 * Yamux): the server and client services, and raw streams where a test
 * needs bytes the client would never send. Time is a fake clock where
 * expiry or request rates are tested, so nothing here waits for a TTL or
 * a bucket to refill.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { RENDEZVOUS_PROTOCOL_ID } from '../../src/rendezvous/constants.ts'
import { Message } from '../../src/rendezvous/pb/rendezvous.ts'
import { FakeClock } from '../helpers/clock.ts'
import { until } from '../helpers/node-events.ts'
import { newPeer } from '../helpers/peers.ts'
import { bareNode, clientNode, discoverRequest, framed, otherKeyPeer, peerRecord, rawExchange, registerRequest, serverNode, stopAll } from './helpers.ts'
import type { RendezvousClient } from '../../src/rendezvous/index.ts'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

after(stopAll)

const { MessageType, ResponseStatus } = Message

type Client = Libp2p<{ rendezvous: RendezvousClient }>

/** The status of the one REGISTER_RESPONSE a raw exchange got */
function registerStatus (result: Awaited<ReturnType<typeof rawExchange>>): Message.ResponseStatus | undefined {
  assert.equal(result.end, 'closed', `the server ended the stream with ${result.error?.name}: ${result.error?.message}`)
  assert.equal(result.responses.length, 1)
  assert.equal(result.responses[0]?.type, MessageType.REGISTER_RESPONSE)
  return result.responses[0]?.registerResponse?.status
}

/** `node`'s listen addresses as a peer record lists them */
function addrsOf (node: Libp2p): string[] {
  return node.getMultiaddrs().map(ma => ma.decapsulateCode(421).toString()).sort()
}

/** A client node whose key this file holds, so it can sign raw records as itself */
async function mallory (server: Libp2p): Promise<{ node: Client, key: PrivateKey }> {
  const me = await newPeer()
  return { node: await clientNode(server, {}, me.key), key: me.key }
}

describe('rendezvous on loopback', () => {
  it('registers and discovers: each record verified, with its peer\'s addresses and TTL; a refresh replaces it', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    const bob = await clientNode(server)
    // no TTL: the longest we grant, 30 min (the spec's default, 2 h, is longer)
    assert.equal(await alice.services.rendezvous.register(server.peerId, 'room'), 1800)
    assert.equal(await bob.services.rendezvous.register(server.peerId, 'room', { ttl: 600 }), 600)
    await alice.services.rendezvous.register(server.peerId, 'elsewhere')

    const { registrations, cookie } = await bob.services.rendezvous.discover(server.peerId, 'room')
    assert.deepEqual(registrations.map(r => r.peerId.toString()), [alice.peerId.toString(), bob.peerId.toString()])
    assert.deepEqual(registrations[0]?.multiaddrs.map(String).sort(), addrsOf(alice))
    assert.deepEqual(registrations.map(r => r.ttl), [1800, 600])
    assert.ok(cookie != null)

    // a refresh replaces alice's registration (and counts as new for a cookie)
    assert.equal(await alice.services.rendezvous.register(server.peerId, 'room', { ttl: 300 }), 300)
    assert.equal(server.services.rendezvous.registrationCount(), 3)
    const after = await bob.services.rendezvous.discover(server.peerId, 'room', { cookie })
    assert.deepEqual(after.registrations.map(r => [r.peerId.toString(), r.ttl]), [[alice.peerId.toString(), 300]])
  })

  it('unregisters ours only; unregistering where not registered is a no-op', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    const bob = await clientNode(server)
    await alice.services.rendezvous.register(server.peerId, 'room')
    await bob.services.rendezvous.register(server.peerId, 'room')
    await bob.services.rendezvous.unregister(server.peerId, 'room')
    await bob.services.rendezvous.unregister(server.peerId, 'never-registered')
    await until('bob unregistered', () => server.services.rendezvous.registrationCount() === 1, 2_000)
    const { registrations } = await alice.services.rendezvous.discover(server.peerId, 'room')
    assert.deepEqual(registrations.map(r => r.peerId.toString()), [alice.peerId.toString()])
  })

  it('expires registrations at their TTL, and the sweep frees them (fake clock)', async () => {
    const clock = new FakeClock()
    const server = await serverNode({ clock, minTtl: 1, sweepInterval: 50 })
    const alice = await clientNode(server)
    await alice.services.rendezvous.register(server.peerId, 'room', { ttl: 5 })
    await alice.services.rendezvous.register(server.peerId, 'other', { ttl: 5 })
    clock.advance(4_000)
    const before = await alice.services.rendezvous.discover(server.peerId, 'room')
    assert.deepEqual(before.registrations.map(r => r.ttl), [1])
    clock.advance(1_000)
    const afterwards = await alice.services.rendezvous.discover(server.peerId, 'room')
    assert.deepEqual(afterwards.registrations, [])
    // 'other' was never read again: the sweep drops it
    await until('the sweep', () => server.services.rendezvous.registrationCount() === 0, 2_000)
  })

  it('pages by cookie: 25 registrations with limit 10 come back exactly once, then only what is new', async () => {
    const server = await serverNode()
    const clients: Client[] = []

    for (let i = 0; i < 25; i++) {
      clients.push(await clientNode(server))
    }

    await Promise.all(clients.map(async c => c.services.rendezvous.register(server.peerId, 'big-room')))
    const reader = clients[0]
    assert.ok(reader != null)
    const seen: string[] = []
    const sizes: number[] = []
    let cookie: Uint8Array | undefined

    for (let page = 0; page < 5; page++) {
      const result = await reader.services.rendezvous.discover(server.peerId, 'big-room', { limit: 10, cookie })
      sizes.push(result.registrations.length)
      seen.push(...result.registrations.map(r => r.peerId.toString()))
      cookie = result.cookie
    }

    assert.deepEqual(sizes, [10, 10, 5, 0, 0])
    assert.equal(seen.length, 25)
    assert.deepEqual([...new Set(seen)].sort(), clients.map(c => c.peerId.toString()).sort())

    const late = await clientNode(server)
    await late.services.rendezvous.register(server.peerId, 'big-room')
    const next = await reader.services.rendezvous.discover(server.peerId, 'big-room', { limit: 10, cookie })
    assert.deepEqual(next.registrations.map(r => r.peerId.toString()), [late.peerId.toString()])
  })

  it('refuses a cookie that is garbage, for another namespace, or from before the server restarted: E_INVALID_COOKIE', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    await alice.services.rendezvous.register(server.peerId, 'room')
    const { cookie } = await alice.services.rendezvous.discover(server.peerId, 'room')
    assert.ok(cookie != null)
    await assert.rejects(alice.services.rendezvous.discover(server.peerId, 'other-room', { cookie }), { name: 'InvalidCookieError', status: 'E_INVALID_COOKIE' })
    await assert.rejects(alice.services.rendezvous.discover(server.peerId, 'room', { cookie: new Uint8Array(25).fill(7) }), { name: 'InvalidCookieError' })
    await assert.rejects(alice.services.rendezvous.discover(server.peerId, 'room', { cookie: new Uint8Array(200) }), { name: 'InvalidCookieError' })

    await server.stop()
    await until('alice to see the server go', () => alice.getConnections(server.peerId).length === 0, 2_000)
    await server.start()
    await alice.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    // in memory only: the restarted server has forgotten alice, and her old cookie
    assert.equal(server.services.rendezvous.registrationCount(), 0)
    await assert.rejects(alice.services.rendezvous.discover(server.peerId, 'room', { cookie }), { name: 'InvalidCookieError' })
  })

  it('enforces its limits with the documented statuses', async () => {
    const server = await serverNode({ maxRegistrationsPerPeer: 2, maxRegistrationsPerNamespace: 2, maxRegistrations: 4, maxTtl: 3600, maxDiscoverLimit: 2 })
    const [a, b, c] = [await clientNode(server), await clientNode(server), await clientNode(server)]
    const point = server.peerId

    // per peer: E_NOT_AUTHORIZED; a refresh is never refused
    await a.services.rendezvous.register(point, 'n1')
    await a.services.rendezvous.register(point, 'n2')
    await assert.rejects(a.services.rendezvous.register(point, 'n3'), { name: 'RegistrationNotAuthorizedError', status: 'E_NOT_AUTHORIZED', statusText: 'too many registrations for this peer' })
    await a.services.rendezvous.register(point, 'n1')
    // per namespace: E_UNAVAILABLE
    await b.services.rendezvous.register(point, 'n1')
    await assert.rejects(c.services.rendezvous.register(point, 'n1'), { name: 'RendezvousUnavailableError', status: 'E_UNAVAILABLE', statusText: 'namespace full' })
    // in total: E_UNAVAILABLE
    await b.services.rendezvous.register(point, 'n4')
    await assert.rejects(c.services.rendezvous.register(point, 'n5'), { name: 'RendezvousUnavailableError', statusText: 'rendezvous point full' })
    assert.equal(server.services.rendezvous.registrationCount(), 4)

    // TTL outside [120 s, maxTtl]: E_INVALID_TTL
    await a.services.rendezvous.unregister(point, 'n2')
    await until('a unregistered', () => server.services.rendezvous.registrationCount() === 3, 2_000)
    await assert.rejects(a.services.rendezvous.register(point, 'n2', { ttl: 60 }), { name: 'InvalidTtlError', status: 'E_INVALID_TTL' })
    await assert.rejects(a.services.rendezvous.register(point, 'n2', { ttl: 7200 }), { name: 'InvalidTtlError' })
    // no TTL: our default (30 min), within this server's bounds
    assert.equal(await a.services.rendezvous.register(point, 'n2'), 1800)

    // a discover limit above the cap is clamped, not refused
    const page = await a.services.rendezvous.discover(point, 'n1', { limit: 1000 })
    assert.equal(page.registrations.length, 2)
  })

  it('refuses a namespace that is empty or longer than 255 bytes, in REGISTER and DISCOVER: E_INVALID_NAMESPACE', async () => {
    const server = await serverNode()
    const { node, key } = await mallory(server)
    const record = await peerRecord(key, node.peerId)

    for (const ns of ['', 'x'.repeat(256), 'é'.repeat(128)]) {
      assert.equal(registerStatus(await rawExchange(node, server, framed(registerRequest(ns, record)))), ResponseStatus.E_INVALID_NAMESPACE)
      const discovered = await rawExchange(node, server, framed(discoverRequest(ns)))
      assert.equal(discovered.responses[0]?.discoverResponse?.status, ResponseStatus.E_INVALID_NAMESPACE)
    }

    // 255 bytes is fine
    assert.equal(registerStatus(await rawExchange(node, server, framed(registerRequest('x'.repeat(255), record)))), ResponseStatus.OK)
    // and the client does not send what the spec refuses
    await assert.rejects(node.services.rendezvous.register(server.peerId, ''), TypeError)
    await assert.rejects(node.services.rendezvous.discover(server.peerId, 'x'.repeat(256)), TypeError)
  })

  it('grants at most 30 min, not the spec\'s 72 h', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    await assert.rejects(alice.services.rendezvous.register(server.peerId, 'room', { ttl: 72 * 3600 }), { name: 'InvalidTtlError', statusText: 'ttl outside [120, 1800] seconds' })
    await assert.rejects(alice.services.rendezvous.register(server.peerId, 'room', { ttl: 1801 }), { name: 'InvalidTtlError' })
    assert.equal(await alice.services.rendezvous.register(server.peerId, 'room', { ttl: 1800 }), 1800)
  })

  it('drops a peer\'s registrations when its last connection to the point closes', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    const bob = await clientNode(server)
    await alice.services.rendezvous.register(server.peerId, 'room')
    await alice.services.rendezvous.register(server.peerId, 'other')
    await bob.services.rendezvous.register(server.peerId, 'room')
    assert.equal(server.services.rendezvous.registrationCount(), 3)
    await alice.hangUp(server.peerId)
    await until('alice\'s registrations dropped', () => server.services.rendezvous.registrationCount() === 1, 2_000)
    const { registrations } = await bob.services.rendezvous.discover(server.peerId, 'room')
    assert.deepEqual(registrations.map(r => r.peerId.toString()), [bob.peerId.toString()])
  })

  it('holds up to 128 registrations per peer by default: 64 rooms under two days\' namespaces', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)

    // four at a time: the client's stream limit
    for (let i = 0; i < 128; i += 4) {
      await Promise.all([0, 1, 2, 3].map(async j => alice.services.rendezvous.register(server.peerId, `room-${i + j}`, { ttl: 600 })))
    }

    await assert.rejects(alice.services.rendezvous.register(server.peerId, 'room-128', { ttl: 600 }), { name: 'RegistrationNotAuthorizedError', statusText: 'too many registrations for this peer' })
    assert.equal(server.services.rendezvous.registrationCount(), 128)
  })

  it('bounds the registrations made from one address: E_NOT_AUTHORIZED, until one of its peers goes', async () => {
    // every test node connects from 127.0.0.1
    const server = await serverNode({ maxRegistrationsPerAddress: 3 })
    const alice = await clientNode(server)
    const bob = await clientNode(server)
    await alice.services.rendezvous.register(server.peerId, 'n1')
    await alice.services.rendezvous.register(server.peerId, 'n2')
    await bob.services.rendezvous.register(server.peerId, 'n1')
    await assert.rejects(bob.services.rendezvous.register(server.peerId, 'n2'), { name: 'RegistrationNotAuthorizedError', status: 'E_NOT_AUTHORIZED', statusText: 'too many registrations from this address' })
    // a refresh is never refused
    await bob.services.rendezvous.register(server.peerId, 'n1')
    await alice.hangUp(server.peerId)
    await until('alice\'s registrations dropped', () => server.services.rendezvous.registrationCount() === 1, 2_000)
    await bob.services.rendezvous.register(server.peerId, 'n2')
  })

  it('rate-limits requests per connection and per address: E_UNAVAILABLE after a pause; an UNREGISTER counts, and is served (fake clock)', async () => {
    const clock = new FakeClock()
    const server = await serverNode({ clock, requestBurst: 4, requestRate: 1, addressRequestBurst: 6, addressRequestRate: 2, overRatePause: 100 })
    const { node, key } = await mallory(server)
    const bob = await clientNode(server)
    const unregister = framed(Message.encode({ type: MessageType.UNREGISTER, unregister: { ns: 'room' } }))
    const burst = Uint8Array.from([
      ...unregister, ...framed(registerRequest('room', await peerRecord(key, node.peerId))), ...framed(discoverRequest('room')), ...framed(discoverRequest('room')),
      ...framed(discoverRequest('room')), ...framed(registerRequest('room', new Uint8Array(0))), ...unregister
    ])
    const statusOf = (m: Message): Message.ResponseStatus | undefined => m.registerResponse?.status ?? m.discoverResponse?.status
    const t0 = Date.now()
    const first = await rawExchange(node, server, burst)
    assert.equal(first.end, 'closed')
    assert.deepEqual(first.responses.map(r => [r.type, statusOf(r)]), [
      [MessageType.REGISTER_RESPONSE, ResponseStatus.OK],
      [MessageType.DISCOVER_RESPONSE, ResponseStatus.OK],
      [MessageType.DISCOVER_RESPONSE, ResponseStatus.OK],
      [MessageType.DISCOVER_RESPONSE, ResponseStatus.E_UNAVAILABLE],
      // refused for the rate before its (empty) record is looked at
      [MessageType.REGISTER_RESPONSE, ResponseStatus.E_UNAVAILABLE]
    ])
    assert.equal(first.responses[3]?.discoverResponse?.statusText, 'too many requests: slow down')
    // three requests over the rate, each after the pause (the last, an UNREGISTER, served all the same)
    assert.ok(Date.now() - t0 >= 300, `over-rate requests answered after ${Date.now() - t0} ms`)
    assert.equal(server.services.rendezvous.registrationCount(), 0)
    // bob's connection has its own bucket, but shares the address's: two tokens were left
    await bob.services.rendezvous.discover(server.peerId, 'room')
    await bob.services.rendezvous.discover(server.peerId, 'room')
    await assert.rejects(bob.services.rendezvous.discover(server.peerId, 'room'), { name: 'RendezvousUnavailableError', status: 'E_UNAVAILABLE', statusText: 'too many requests: slow down' })
    await assert.rejects(node.services.rendezvous.register(server.peerId, 'room'), { name: 'RendezvousUnavailableError' })
    // a second refills one token of mallory's connection and two of the address
    clock.advance(1_000)
    await node.services.rendezvous.discover(server.peerId, 'room')
    await assert.rejects(node.services.rendezvous.discover(server.peerId, 'room'), { name: 'RendezvousUnavailableError' })
    await bob.services.rendezvous.discover(server.peerId, 'room')
  })
})

describe('forged and hostile requests', () => {
  it('refuses forged or unsigned records with E_INVALID_SIGNED_PEER_RECORD, and registers nothing', async () => {
    const server = await serverNode()
    const { node, key } = await mallory(server)
    const other = await newPeer()
    const addrs = [multiaddr('/ip4/127.0.0.1/tcp/1')]
    const register = async (record: Uint8Array): Promise<Message.ResponseStatus | undefined> => registerStatus(await rawExchange(node, server, framed(registerRequest('room', record))))

    const good = await peerRecord(key, node.peerId, addrs)
    const tampered = good.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1

    // another peer's own record (signed by another key): not the sender's
    assert.equal(await register(await peerRecord(other.key, other.id, addrs)), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    // signed by mallory, naming another peer
    assert.equal(await register(await peerRecord(key, other.id, addrs)), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    // signed by another key, naming mallory
    assert.equal(await register(await peerRecord(other.key, node.peerId, addrs)), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    // unsigned, garbage, a bad signature
    assert.equal(await register(new Uint8Array(0)), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    assert.equal(await register(Uint8Array.from([0x0a, 0x03, 1, 2, 3])), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    assert.equal(await register(tampered), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
    assert.equal(server.services.rendezvous.registrationCount(), 0)

    // her own record goes through (the setup works)
    assert.equal(await register(good), ResponseStatus.OK)
    assert.equal(server.services.rendezvous.registrationCount(), 1)
  })

  it('checks that the record\'s key is the sender\'s before checking its signature, and refuses any key but Ed25519', async () => {
    const server = await serverNode()
    const { node } = await mallory(server)
    const other = await newPeer()
    const statusText = async (from: Libp2p, record: Uint8Array): Promise<string | undefined> => {
      const result = await rawExchange(from, server, framed(registerRequest('room', record)))
      assert.equal(registerStatus(result), ResponseStatus.E_INVALID_SIGNED_PEER_RECORD)
      return result.responses[0]?.registerResponse?.statusText
    }

    // another peer's record with a broken signature: refused as not the sender's, its signature never verified
    const replayed = await peerRecord(other.key, other.id)
    replayed[replayed.length - 1] = (replayed[replayed.length - 1] ?? 0) ^ 1
    assert.equal(await statusText(node, replayed), 'peer record not signed by the sender')

    // a node with an RSA identity (Noise accepts it), signing its own record
    const rsa = await otherKeyPeer('RSA')
    const rsaNode = await clientNode(server, {}, rsa.key)
    assert.equal(await statusText(rsaNode, await peerRecord(rsa.key, rsa.id)), 'signer key not Ed25519')
    await assert.rejects(rsaNode.services.rendezvous.register(server.peerId, 'room'), { name: 'InvalidSignedPeerRecordError', statusText: 'signer key not Ed25519' })
    assert.equal(server.services.rendezvous.registrationCount(), 0)
  })

  it('ends the stream on an oversized frame, an endless length prefix, silence, or a message that is no request; keeps serving', async () => {
    const server = await serverNode({ timeout: 300 })
    const { node } = await mallory(server)

    const oversized = await rawExchange(node, server, Uint8Array.from([0x81, 0x20, 0, 0]))
    assert.equal(oversized.end, 'reset')
    const endless = await rawExchange(node, server, new Uint8Array(100).fill(0x80), { keepOpen: true })
    assert.equal(endless.end, 'reset')
    const response = await rawExchange(node, server, framed(Message.encode({ type: MessageType.DISCOVER_RESPONSE })))
    assert.equal(response.end, 'reset')
    const t0 = Date.now()
    const silent = await rawExchange(node, server, new Uint8Array(0), { keepOpen: true })
    assert.equal(silent.end, 'reset')
    assert.ok(Date.now() - t0 < 2_000, `silence ended after ${Date.now() - t0} ms`)

    // a stream left idle after a request is cut by the read timeout too
    const t1 = Date.now()
    const idle = await rawExchange(node, server, framed(discoverRequest('room')), { keepOpen: true })
    assert.equal(idle.end, 'reset')
    assert.equal(idle.responses.length, 1)
    assert.ok(Date.now() - t1 < 2_000, `an idle stream ended after ${Date.now() - t1} ms`)

    // several requests on one stream, as go-libp2p-rendezvous clients send them
    const two = await rawExchange(node, server, Uint8Array.from([...framed(discoverRequest('a')), ...framed(discoverRequest('b'))]))
    assert.deepEqual(two.responses.map(r => r.discoverResponse?.status), [ResponseStatus.OK, ResponseStatus.OK])
    await node.services.rendezvous.register(server.peerId, 'room')
  })

  it('bounds the rendezvous streams one connection holds open', async () => {
    const server = await serverNode({ maxInboundStreams: 2, timeout: 600 })
    const { node } = await mallory(server)
    const held = [rawExchange(node, server, new Uint8Array(0), { keepOpen: true }), rawExchange(node, server, new Uint8Array(0), { keepOpen: true })]
    await new Promise(resolve => setTimeout(resolve, 200))
    const third = await rawExchange(node, server, framed(discoverRequest('room')))
    assert.equal(third.end, 'reset')
    assert.equal(third.responses.length, 0)
    // the two held ones end at the server's timeout, and the slots are free again
    assert.deepEqual((await Promise.all(held)).map(r => r.end), ['reset', 'reset'])
    const fourth = await rawExchange(node, server, framed(discoverRequest('room')))
    assert.equal(fourth.responses[0]?.discoverResponse?.status, ResponseStatus.OK)
  })
})

describe('the client', () => {
  /** A point that answers every request with `reply(request)`, framed; undefined: it stays silent */
  async function fakePoint (reply: (request: Message) => Uint8Array | undefined): Promise<Libp2p> {
    const fake = await bareNode({})
    await fake.handle(RENDEZVOUS_PROTOCOL_ID, async (stream) => {
      try {
        const lp = lpStream(stream)
        const out = reply(Message.decode(await lp.read()))
        if (out == null) return
        await lp.write(out)
        await stream.close()
      } catch {
        // the client gave up: what some tests do
      }
    })
    return fake
  }

  function discoverResponse (registrations: Message.Register[], status = ResponseStatus.OK, statusText = ''): Uint8Array {
    return Message.encode({ type: MessageType.DISCOVER_RESPONSE, discoverResponse: { registrations, cookie: new Uint8Array(0), status, statusText } })
  }

  it('checks every record a point returns: drops forged, foreign, duplicate, garbage and non-Ed25519 registrations', async () => {
    const x = await newPeer()
    const y = await newPeer()
    const rsa = await otherKeyPeer('RSA')
    const addrs = [multiaddr('/ip4/192.0.2.1/tcp/4001')]
    const good = await peerRecord(x.key, x.id, addrs) as Uint8Array<ArrayBuffer>
    const registrations: Message.Register[] = [
      { ns: 'room', signedPeerRecord: await peerRecord(rsa.key, rsa.id, addrs) as Uint8Array<ArrayBuffer>, ttl: 60n },
      { ns: 'room', signedPeerRecord: await peerRecord(y.key, x.id, addrs) as Uint8Array<ArrayBuffer>, ttl: 60n },
      { ns: 'room', signedPeerRecord: Uint8Array.from([1, 2, 3]), ttl: 60n },
      { ns: 'other', signedPeerRecord: good, ttl: 60n },
      { ns: 'room', signedPeerRecord: good, ttl: 0n },
      { ns: 'room', signedPeerRecord: good, ttl: 60n },
      { ns: 'room', signedPeerRecord: good, ttl: 30n }
    ]
    const fake = await fakePoint(() => discoverResponse(registrations))
    const client = await clientNode(fake)
    const { registrations: found, cookie } = await client.services.rendezvous.discover(fake.peerId, 'room')
    assert.deepEqual(found.map(r => [r.peerId.toString(), r.multiaddrs.map(String), r.ttl]), [[x.id.toString(), ['/ip4/192.0.2.1/tcp/4001'], 60]])
    assert.equal(cookie, undefined)
  })

  it('turns a refusal into its typed error, and a response that breaks the protocol into InvalidRendezvousMessageError', async () => {
    let reply: (request: Message) => Uint8Array | undefined = () => undefined
    const fake = await fakePoint(request => reply(request))
    const client = await clientNode(fake)
    const rendezvous = client.services.rendezvous

    reply = () => discoverResponse([], ResponseStatus.E_UNAVAILABLE, 'busy')
    await assert.rejects(rendezvous.discover(fake.peerId, 'room'), { name: 'RendezvousUnavailableError', status: 'E_UNAVAILABLE', statusText: 'busy' })
    reply = () => Message.encode({ type: MessageType.REGISTER_RESPONSE, registerResponse: { status: ResponseStatus.E_INTERNAL_ERROR, statusText: 'x'.repeat(1000), ttl: 0n } })
    await assert.rejects(rendezvous.register(fake.peerId, 'room'), (err: Error & { statusText?: string }) => err.name === 'RendezvousInternalError' && err.statusText?.length === 200)
    // OK, but no TTL
    reply = () => Message.encode({ type: MessageType.REGISTER_RESPONSE, registerResponse: { status: ResponseStatus.OK, statusText: '', ttl: 0n } })
    await assert.rejects(rendezvous.register(fake.peerId, 'room'), { name: 'InvalidRendezvousMessageError' })
    // the wrong type of response
    reply = () => discoverResponse([])
    await assert.rejects(rendezvous.register(fake.peerId, 'room'), { name: 'InvalidRendezvousMessageError' })
    // more registrations than asked for
    const x = await newPeer()
    const record = await peerRecord(x.key, x.id) as Uint8Array<ArrayBuffer>
    reply = () => discoverResponse([{ ns: 'room', signedPeerRecord: record, ttl: 60n }, { ns: 'room', signedPeerRecord: record, ttl: 60n }])
    await assert.rejects(rendezvous.discover(fake.peerId, 'room', { limit: 1 }), { name: 'InvalidRendezvousMessageError' })
    // garbage
    reply = () => Uint8Array.from([0xff, 0xff, 0xff])
    await assert.rejects(rendezvous.discover(fake.peerId, 'room'), { name: 'InvalidRendezvousMessageError' })
  })

  it('times out on a silent point, by the caller\'s signal or its own default, and refuses bad arguments with TypeError', async () => {
    const fake = await fakePoint(() => undefined)
    const client = await clientNode(fake, { timeout: 300 })
    const rendezvous = client.services.rendezvous
    let t0 = Date.now()
    await assert.rejects(rendezvous.discover(fake.peerId, 'room', { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' })
    assert.ok(Date.now() - t0 < 1_000)
    t0 = Date.now()
    await assert.rejects(rendezvous.register(fake.peerId, 'room'), { name: 'TimeoutError' })
    assert.ok(Date.now() - t0 < 1_000)
    // a caller's own abort reason is kept
    const controller = new AbortController()
    const pending = rendezvous.discover(fake.peerId, 'room', { signal: controller.signal })
    controller.abort(new Error('user cancelled'))
    await assert.rejects(pending, { message: 'user cancelled' })

    await assert.rejects(rendezvous.register(fake.peerId, 'room', { ttl: 0 }), TypeError)
    // the spec's bound, not ours: another point may grant up to 72 h
    await assert.rejects(rendezvous.register(fake.peerId, 'room', { ttl: 72 * 3600 + 1 }), TypeError)
    await assert.rejects(rendezvous.discover(fake.peerId, 'room', { limit: 0 }), TypeError)
    await assert.rejects(rendezvous.discover(fake.peerId, 'room', { limit: 1.5 }), TypeError)
    await assert.rejects(rendezvous.discover(fake.peerId, 'room', { cookie: new Uint8Array(257) }), TypeError)

    await client.stop()
    await assert.rejects(rendezvous.discover(fake.peerId, 'room'), { name: 'NodeStoppedError' })
  })

  it('aborts a stream the point does not close within closeTimeout, so it does not hold a slot of maxOutboundStreams', async () => {
    // a point that answers and then holds its side open until the client gives up
    const fake = await bareNode({})
    await fake.handle(RENDEZVOUS_PROTOCOL_ID, async (stream) => {
      const lp = lpStream(stream)
      const request = Message.decode(await lp.read())
      if (request.type === MessageType.DISCOVER) await lp.write(discoverResponse([]))
      await new Promise(resolve => { stream.addEventListener('close', resolve, { once: true }) })
    })
    const client = await clientNode(fake, { maxOutboundStreams: 1, closeTimeout: 200 })
    const streams = (): number => client.getConnections(fake.peerId).flatMap(c => c.streams).filter(st => st.protocol === RENDEZVOUS_PROTOCOL_ID).length

    for (const operation of [
      async () => client.services.rendezvous.discover(fake.peerId, 'room'),
      async () => client.services.rendezvous.unregister(fake.peerId, 'room'),
      async () => client.services.rendezvous.discover(fake.peerId, 'room')
    ]) {
      await operation()
      // the one slot is taken until the client aborts the stream
      await assert.rejects(client.services.rendezvous.discover(fake.peerId, 'room'), { name: 'TooManyOutboundProtocolStreamsError' })
      await until('the stream aborted', () => streams() === 0, 2_000)
    }
  })

  it('signs the addresses it is given, without our own /p2p/ suffix, and refuses an empty list with TypeError', async () => {
    const server = await serverNode()
    const alice = await clientNode(server)
    const circuit = multiaddr(`/ip4/192.0.2.1/tcp/4001/p2p/${server.peerId.toString()}/p2p-circuit`)
    await alice.services.rendezvous.register(server.peerId, 'room', { addresses: [circuit.encapsulate(`/p2p/${alice.peerId.toString()}`)] })
    await alice.services.rendezvous.register(server.peerId, 'other', { addresses: [circuit, multiaddr('/ip4/192.0.2.2/tcp/1')] })
    const [room, other] = [await alice.services.rendezvous.discover(server.peerId, 'room'), await alice.services.rendezvous.discover(server.peerId, 'other')]
    assert.deepEqual(room.registrations[0]?.multiaddrs.map(String), [circuit.toString()])
    assert.deepEqual(other.registrations[0]?.multiaddrs.map(String), [circuit.toString(), '/ip4/192.0.2.2/tcp/1'])
    await assert.rejects(alice.services.rendezvous.register(server.peerId, 'room', { addresses: [] }), TypeError)
  })

  it('rejects with UnsupportedProtocolError for a peer that is no rendezvous point', async () => {
    const plain = await bareNode({})
    const client = await clientNode(plain)
    await assert.rejects(client.services.rendezvous.register(plain.peerId, 'room'), { name: 'UnsupportedProtocolError' })
  })
})
