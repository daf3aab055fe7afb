/**
 * Rooms across NATs and on a LAN, with real processes in network namespaces:
 *
 *   lana: alice, eve ── nata ─┐
 *   lanb: bob ───────── natb ─┼── wan: relay
 *   lanc: carol ─────── natc ─┘
 *
 * alice, bob and carol each know only the relay's address and join one
 * room; each must see the other two as members (through the relay's
 * rendezvous point and circuits: the LANs cannot reach each other). eve
 * joins the same name with another key, on alice's LAN: she meets no
 * member and nobody counts her as one, though mDNS connects her to alice.
 * carol stops and comes back: her room is rejoined from her data dir, and
 * the others see her offline, then online. The relay, run with debug logs,
 * never prints or stores the room's name or id.
 *
 * Then two nodes on one bridge and no relay join a room and meet by mDNS.
 *
 * Room messages come with the rest of the rooms work; this is meeting.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { is, where } from '../helpers/events.ts'
import type { Matcher, RoomEvent } from '../helpers/events.ts'
import { BIN, spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { steps } from '../helpers/steps.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

const START = 90_000
const RESERVE = 90_000
/** members meet: a rendezvous round (20 s apart), a relayed dial, the membership exchange */
const MEET = 120_000
const RELAY_PORT = 4001
/** distinctive, so that finding it anywhere in the relay's output or files means it leaked */
const ROOM = 'Zebra-Orchard-42'
const WRONG_KEY = 'not the key'

interface Node {
  name: string
  host: Host
  dataDir: string
  proc: ChatProcess
  peerId: string
}

function online (room: string, member: Node): Matcher<RoomEvent> {
  return where('room', `${member.name} online in ${room}`, (e: RoomEvent) => e.status === 'online' && e.member === member.peerId)
}

/** every file under `dir`, as bytes */
async function filesUnder (dir: string): Promise<Array<{ path: string, bytes: Buffer }>> {
  const out: Array<{ path: string, bytes: Buffer }> = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name)
      out.push({ path, bytes: await readFile(path) })
    }
  }
  return out
}

await test('members in three NATed LANs meet through the relay; another key meets nobody; the relay never learns the room', { skip, timeout: 900_000 }, async (t) => {
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const relayHost = await net.addHost('relay', { bridge: wan })
  const lans = await Promise.all(['a', 'b', 'c'].map(async x => {
    const lan = await net.addBridge(`lan${x}`)
    const nat = await net.addRouter(`nat${x}`, { lan, wan })
    return { lan, nat }
  }))
  const hostIn = async (name: string, i: number): Promise<Host> => {
    const segment = lans[i]
    assert.ok(segment != null)
    return net.addHost(name, { bridge: segment.lan, gateway: segment.nat.lan.ip })
  }

  const relayData = await tempDir(t, 'securechat-relay-')
  const relay = spawnChat({
    name: 'relay',
    dataDir: relayData,
    ns: relayHost,
    t,
    env: { DEBUG: 'securechat:*' },
    argv: [BIN, 'relay', '--json', '--host', relayHost.ip, '--port', String(RELAY_PORT), '--data-dir', relayData]
  })
  const relayReady = await relay.waitFor(is('ready'), { timeout: START })
  const relayAddr = relayReady.addrs.find(a => a.startsWith(`/ip4/${relayHost.ip}/tcp/${RELAY_PORT}/p2p/`))
  assert.ok(relayAddr != null, relayReady.addrs.join(' '))

  const start = async (name: string, host: Host, dataDir?: string): Promise<Node> => {
    const dir = dataDir ?? await tempDir(t, `securechat-${name}-`)
    const proc = spawnChat({ name, dataDir: dir, host: host.ip, ns: host, t, args: ['--relay', relayAddr] })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    await proc.waitFor(is('relay', { status: 'reserved' }), { timeout: RESERVE })
    return { name, host, dataDir: dir, proc, peerId: ready.peerId }
  }

  const [aliceHost, bobHost, carolHost, eveHost] = await Promise.all([hostIn('alice', 0), hostIn('bob', 1), hostIn('carol', 2), hostIn('eve', 0)])
  const [alice, bob, carol, eve] = await Promise.all([start('alice', aliceHost), start('bob', bobHost), start('carol', carolHost), start('eve', eveHost)])
  const members = [alice, bob, carol]
  const step = steps(t)
  let roomId = ''

  await step('each of the three joins knowing only the relay, and sees the other two as members', async (st) => {
    const began = Date.now()
    const joined = await Promise.all(members.map(async n => n.proc.request(`/join ${ROOM}`, where('room', 'joined', (e: RoomEvent) => e.status === 'joined'))))
    roomId = joined[0]?.id ?? ''
    assert.match(roomId, /^[0-9a-f]{32}$/)
    assert.ok(joined.every(e => e.id === roomId), 'one room id everywhere')
    await eve.proc.request(`/join ${ROOM.toLowerCase()} ${WRONG_KEY}`, where('room', 'joined', (e: RoomEvent) => e.status === 'joined'))

    await Promise.all(members.flatMap(n => members.filter(o => o !== n).map(async o => n.proc.waitFor(online(ROOM, o), { timeout: MEET }))))
    st.diagnostic(`all six memberships proven within ${Date.now() - began} ms`)

    for (const n of members) {
      const rooms = await n.proc.request('/rooms', is('rooms'))
      const room = rooms.rooms.find(r => r.id === roomId)
      assert.ok(room != null, `${n.name}: ${JSON.stringify(rooms)}`)
      assert.deepEqual(room.members.filter(m => m.online).map(m => m.peerId).sort(), members.filter(o => o !== n).map(o => o.peerId).sort(), `${n.name}'s members`)
      assert.ok(!room.members.some(m => m.peerId === eve.peerId), `${n.name} does not count eve`)
    }
  })

  await step('eve, with the same name and another key, meets nobody (though mDNS connects her to alice)', async () => {
    await eve.proc.waitFor(is('peer', { peerId: alice.peerId, status: 'connected' }), { timeout: MEET })
    const rooms = await eve.proc.request('/rooms', is('rooms'))
    assert.equal(rooms.rooms.length, 1)
    assert.notEqual(rooms.rooms[0]?.id, roomId, 'another key is another room')
    assert.deepEqual(rooms.rooms[0]?.members, [])
    assert.equal(eve.proc.all(is('room', { status: 'online' })).length, 0)
  })

  await step('carol stops and comes back: her room is rejoined from her data dir; the others see her offline, then online', async () => {
    const marks = [alice, bob].map(n => n.proc.mark())
    assert.deepEqual(await carol.proc.stop(), { code: 0, signal: null, forced: false })
    await Promise.all([alice, bob].map(async (n, i) => n.proc.waitFor(
      where('room', 'carol offline', (e: RoomEvent) => e.status === 'offline' && e.member === carol.peerId), { timeout: MEET, since: marks[i] })))

    const back = await start('carol', carolHost, carol.dataDir)
    assert.equal(back.peerId, carol.peerId)
    carol.proc = back.proc
    await Promise.all([alice, bob].map(async (n, i) => n.proc.waitFor(online(ROOM, carol), { timeout: MEET, since: marks[i] })))
    const rooms = await carol.proc.request('/rooms', is('rooms'))
    assert.equal(rooms.rooms[0]?.id, roomId, 'rejoined without /join')
  })

  await step('the relay printed and stored nothing that names the room', async () => {
    const exit = await relay.kill('SIGTERM')
    assert.deepEqual(exit, { code: 0, signal: null }, relay.diagnostics())
    const needles = [ROOM, ROOM.toLowerCase(), 'orchard', roomId, roomId.toUpperCase()]
    const output = relay.stderr + '\n' + JSON.stringify(relay.all((_e): _e is typeof _e => true))
    assert.ok(relay.stderr.includes('rendezvous'), 'the debug log is on and covers the rendezvous point')
    for (const needle of needles) {
      assert.ok(!output.toLowerCase().includes(needle.toLowerCase()), `the relay's output holds ${needle}`)
    }
    for (const file of await filesUnder(relayData)) {
      for (const needle of needles) {
        assert.ok(!file.bytes.includes(Buffer.from(needle)), `${file.path} holds ${needle}`)
      }
    }
  })

  await step('all stop cleanly', async () => {
    const exits = await Promise.all([alice, bob, carol, eve].map(async n => n.proc.stop()))
    assert.deepEqual(exits, [alice, bob, carol, eve].map(() => ({ code: 0, signal: null, forced: false })))
  })
})

await test('two nodes on one LAN and no relay join a room and meet by mDNS', { skip, timeout: 300_000 }, async (t) => {
  const net = Topology.create({ t })
  const lan = await net.addBridge('lan')
  const nodes = await Promise.all(['dave', 'erin'].map(async name => {
    const host = await net.addHost(name, { bridge: lan })
    const dataDir = await tempDir(t, `securechat-${name}-`)
    const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { name, host, dataDir, proc, peerId: ready.peerId }
  }))
  const [dave, erin] = nodes as [Node, Node]
  await Promise.all(nodes.map(async n => n.proc.request('/join lan-party', where('room', 'joined', (e: RoomEvent) => e.status === 'joined'))))
  await dave.proc.waitFor(online('lan-party', erin), { timeout: MEET })
  await erin.proc.waitFor(online('lan-party', dave), { timeout: MEET })
  const exits = await Promise.all(nodes.map(async n => n.proc.stop()))
  assert.deepEqual(exits, nodes.map(() => ({ code: 0, signal: null, forced: false })))
})
