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
 * A room message from each of the three reaches the other two, and eve
 * gets none. carol stops and comes back: her room is rejoined from her
 * data dir, and the others see her offline, then online. bob is SIGKILLed,
 * alice and carol post one message each meanwhile, and bob, restarted on
 * his data dir, gets both, once each; then all three show the same room
 * history in the same (clock, sender) order. The relay, run with debug
 * logs, never prints or stores the room's name or id.
 *
 * Then two nodes on one bridge and no relay join a room, meet by mDNS and
 * post to it both ways.
 *
 * Then several relays: fay registers on relay 1 only, gus on relay 2 only,
 * and hal, who has both, meets each of them on the relay they share, and
 * his room message reaches both.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { is, where } from '../helpers/events.ts'
import type { ChatEvent, DeliveredEvent, HistoryMessage, Matcher, MessageEvent, RoomEvent } from '../helpers/events.ts'
import { BIN, spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { steps } from '../helpers/steps.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Bridge, Host, Router } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

const START = 90_000
const RESERVE = 90_000
/** members meet: a rendezvous round (20 s apart), a relayed dial, the membership exchange */
const MEET = 120_000
/** a room message to members already met, over their sessions (relayed or not) */
const DELIVER = 60_000
/** after the expected lines are in: time for an unexpected one (a duplicate, a leak to eve) to show */
const GRACE = 3_000
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

interface Relay {
  proc: ChatProcess
  peerId: string
  /** its tcp address on the wan, ending in /p2p/<peer id> */
  addr: string
  dataDir: string
}

/** A room's additions to the documented lines (test/helpers/events.ts has the rest) */
type RoomMessageEvent = MessageEvent
type RoomDeliveredEvent = DeliveredEvent
type RoomHistoryMessage = HistoryMessage & { clock?: number }

/** A room message posted, as its sender printed it */
interface Post {
  id: string
  from: Node
  text: string
  /** the room's Lamport clock its sender gave it */
  clock: number
  /** the members its sender queued it for */
  to: string[]
}

function online (room: string, member: Node): Matcher<RoomEvent> {
  return where('room', `${member.name} online in ${room}`, (e: RoomEvent) => e.status === 'online' && e.member === member.peerId)
}

function offline (room: string, member: Node): Matcher<RoomEvent> {
  return where('room', `${member.name} offline in ${room}`, (e: RoomEvent) => e.status === 'offline' && e.member === member.peerId)
}

function joined (room: string): Matcher<RoomEvent> {
  return where('room', `${room} joined`, (e: RoomEvent) => e.status === 'joined')
}

/** `message` lines that are room messages (of any room) */
function roomMessages (n: Node): RoomMessageEvent[] {
  return n.proc.all(is('message')).filter((e: RoomMessageEvent) => e.room !== undefined)
}

/** The message line of `post` at a member */
function received (post: Post): Matcher<MessageEvent> {
  return where('message', `${post.from.name}'s room message "${post.text}"`, (e: MessageEvent) => e.from === post.from.peerId && e.text === post.text)
}

/** `post` was acknowledged by `member` */
function deliveredTo (post: Post, member: Node): Matcher<DeliveredEvent> {
  return where('delivered', `"${post.text}" delivered to ${member.name}`, (e: DeliveredEvent) => e.id === post.id && e.to === member.peerId)
}

/**
 * `/room <room> <text>`; resolves with the sender's own line for it, the
 * `posted` line, and fails at once on an error line instead
 */
async function post (n: Node, room: string, text: string): Promise<Post> {
  const own: Matcher = (e: ChatEvent): e is ChatEvent => e.type === 'error' || (e.type === 'posted' && e.text === text)
  own.description = `the posted line of "${text}"`
  const line = await n.proc.request(`/room ${room} ${text}`, own, { timeout: DELIVER })
  assert.notEqual(line.type, 'error', `${n.name}: /room ${room} ${text}: ${JSON.stringify(line)}`)
  assert.equal(line.type, 'posted', `${n.name}'s post: ${JSON.stringify(line)}`)
  const posted = line
  assert.equal(posted.room, room, `${n.name}'s posted line names the room`)
  assert.equal(typeof posted.id, 'string')
  assert.equal(typeof posted.clock, 'number', `${n.name}'s posted line has a clock`)
  assert.ok(Array.isArray(posted.to), `${n.name}'s posted line lists the members it was queued for`)
  return { id: posted.id, from: n, text, clock: posted.clock, to: [...posted.to].sort() }
}

/** `post` reaches each of `to`: one message line each, with the room's name, and a delivered line per member at the sender */
async function assertArrives (post: Post, room: string, to: readonly Node[], options: { timeout: number }): Promise<void> {
  await Promise.all(to.map(async member => {
    const got: RoomMessageEvent = await member.proc.waitFor(received(post), { timeout: options.timeout })
    assert.equal(got.id, post.id, `${member.name} got ${post.from.name}'s message under its id`)
    assert.equal(got.room, room, `${member.name}'s message line of ${post.from.name}'s names the room`)
    const delivered: RoomDeliveredEvent = await post.from.proc.waitFor(deliveredTo(post, member), { timeout: options.timeout })
    assert.equal(delivered.room, room, `${post.from.name}'s delivered line for ${member.name} names the room`)
  }))
}

/** The (id, sender, clock) of every message of `/history #<room>` at `n`, in the order shown */
async function roomHistory (n: Node, room: string): Promise<Array<{ id: string, from: string, clock: number | undefined }>> {
  const history = await n.proc.request(`/history #${room} 100`, is('history'))
  return history.messages.map((m: RoomHistoryMessage) => ({ id: m.id, from: m.from, clock: m.clock }))
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

/** `securechat relay` on `host`, ready */
async function startRelay (t: { after: (fn: () => unknown) => void }, name: string, host: Host, env?: Record<string, string>): Promise<Relay> {
  const dataDir = await tempDir(t, `securechat-${name}-`)
  const proc = spawnChat({
    name,
    dataDir,
    ns: host,
    t,
    env,
    argv: [BIN, 'relay', '--json', '--host', host.ip, '--port', String(RELAY_PORT), '--data-dir', dataDir]
  })
  const ready = await proc.waitFor(is('ready'), { timeout: START, what: `${name} ready` })
  const addr = ready.addrs.find(a => a.startsWith(`/ip4/${host.ip}/tcp/${RELAY_PORT}/p2p/`))
  assert.ok(addr != null, ready.addrs.join(' '))
  return { proc, peerId: ready.peerId, addr, dataDir }
}

/** A chat node on `host` with these relays (on its data dir, if given), ready and reserved on each */
async function startNode (t: { after: (fn: () => unknown) => void }, name: string, host: Host, relays: readonly Relay[], dataDir?: string): Promise<Node> {
  const dir = dataDir ?? await tempDir(t, `securechat-${name}-`)
  const proc = spawnChat({ name, dataDir: dir, host: host.ip, ns: host, t, args: relays.flatMap(r => ['--relay', r.addr]) })
  const ready = await proc.waitFor(is('ready'), { timeout: START, what: `${name} ready` })
  await Promise.all(relays.map(async (r, i) => proc.waitFor(is('relay', { status: 'reserved', peerId: r.peerId }), { timeout: RESERVE, what: `${name}'s reservation on relay ${i + 1}` })))
  return { name, host, dataDir: dir, proc, peerId: ready.peerId }
}

/** NATed LANs on `wan`, lan<x> behind nat<x> for each label */
async function natedLans (net: Topology, wan: Bridge, labels: readonly string[]): Promise<Array<{ lan: Bridge, nat: Router }>> {
  return Promise.all(labels.map(async x => {
    const lan = await net.addBridge(`lan${x}`)
    const nat = await net.addRouter(`nat${x}`, { lan, wan })
    return { lan, nat }
  }))
}

/** A host on the i-th of `lans`, routed through its NAT */
async function hostBehind (net: Topology, lans: ReadonlyArray<{ lan: Bridge, nat: Router }>, name: string, i: number): Promise<Host> {
  const segment = lans[i]
  assert.ok(segment != null)
  return net.addHost(name, { bridge: segment.lan, gateway: segment.nat.lan.ip })
}

await test('members in three NATed LANs meet through the relay and talk as a group, also across a kill; another key meets nobody; the relay never learns the room', { skip, timeout: 900_000 }, async (t) => {
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const relayHost = await net.addHost('relay', { bridge: wan })
  const lans = await natedLans(net, wan, ['a', 'b', 'c'])

  const relay = await startRelay(t, 'relay', relayHost, { DEBUG: 'securechat:*' })
  const start = async (name: string, host: Host, dataDir?: string): Promise<Node> => startNode(t, name, host, [relay], dataDir)

  const [aliceHost, bobHost, carolHost, eveHost] = await Promise.all([
    hostBehind(net, lans, 'alice', 0), hostBehind(net, lans, 'bob', 1), hostBehind(net, lans, 'carol', 2), hostBehind(net, lans, 'eve', 0)
  ])
  const [alice, bob, carol, eve] = await Promise.all([start('alice', aliceHost), start('bob', bobHost), start('carol', carolHost), start('eve', eveHost)])
  const members = [alice, bob, carol]
  const step = steps(t)
  let roomId = ''
  /** every room message posted, in the order posted */
  const posts: Post[] = []

  await step('each of the three joins knowing only the relay, and sees the other two as members', async (st) => {
    const began = Date.now()
    const joins = await Promise.all(members.map(async n => n.proc.request(`/join ${ROOM}`, joined(ROOM))))
    roomId = joins[0]?.id ?? ''
    assert.match(roomId, /^[0-9a-f]{32}$/)
    assert.ok(joins.every(e => e.id === roomId), 'one room id everywhere')
    await eve.proc.request(`/join ${ROOM.toLowerCase()} ${WRONG_KEY}`, joined(ROOM.toLowerCase()))

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

  await step('a room message from each of the three reaches the other two, once; eve receives none of them', async (st) => {
    const began = Date.now()
    const round = await Promise.all(members.map(async n => post(n, ROOM, `hello from ${n.name}`)))
    posts.push(...round)
    for (const p of round) {
      assert.deepEqual(p.to, members.filter(o => o !== p.from).map(o => o.peerId).sort(), `${p.from.name}'s message is queued for the other two, not eve`)
    }
    await Promise.all(round.map(async p => assertArrives(p, ROOM, members.filter(o => o !== p.from), { timeout: DELIVER })))
    st.diagnostic(`three messages at six members within ${Date.now() - began} ms`)

    await sleep(GRACE)
    for (const n of members) {
      const ids = roomMessages(n).map(e => e.id).sort()
      assert.deepEqual(ids, round.filter(p => p.from !== n).map(p => p.id).sort(), `${n.name}'s room message lines: the other two's, once each`)
    }
    assert.deepEqual(eve.proc.all(is('message')), [], 'eve received nothing')
    for (const n of members) {
      assert.deepEqual(n.proc.all(is('delivered', { to: eve.peerId })), [], `${n.name} delivered nothing to eve`)
    }
    assert.deepEqual(await roomHistory(eve, ROOM.toLowerCase()), [], 'eve\'s room has no history')
  })

  await step('carol stops and comes back: her room is rejoined from her data dir; the others see her offline, then online', async () => {
    const marks = [alice, bob].map(n => n.proc.mark())
    assert.deepEqual(await carol.proc.stop(), { code: 0, signal: null, forced: false })
    await Promise.all([alice, bob].map(async (n, i) => n.proc.waitFor(offline(ROOM, carol), { timeout: MEET, since: marks[i] })))

    const back = await start('carol', carolHost, carol.dataDir)
    assert.equal(back.peerId, carol.peerId)
    carol.proc = back.proc
    await Promise.all([alice, bob].map(async (n, i) => n.proc.waitFor(online(ROOM, carol), { timeout: MEET, since: marks[i] })))
    const rooms = await carol.proc.request('/rooms', is('rooms'))
    assert.equal(rooms.rooms[0]?.id, roomId, 'rejoined without /join')
  })

  await step('bob is SIGKILLed; alice and carol post one message each; bob restarts on his data dir and gets both, once each', async (st) => {
    const present = [alice, carol]
    const marks = present.map(n => n.proc.mark())
    assert.deepEqual(await bob.proc.kill('SIGKILL'), { code: null, signal: 'SIGKILL' })
    await Promise.all(present.map(async (n, i) => n.proc.waitFor(offline(ROOM, bob), { timeout: MEET, since: marks[i] })))

    const away = await Promise.all(present.map(async n => post(n, ROOM, `while bob was away, from ${n.name}`)))
    posts.push(...away)
    for (const p of away) {
      assert.deepEqual(p.to, members.filter(o => o !== p.from).map(o => o.peerId).sort(), `${p.from.name}'s message is queued for the other two, bob (offline) included`)
    }
    // the other one present gets each at once
    await Promise.all(away.map(async p => assertArrives(p, ROOM, present.filter(o => o !== p.from), { timeout: DELIVER })))
    for (const p of away) {
      assert.equal(p.from.proc.all(deliveredTo(p, bob)).length, 0, `"${p.text}" not delivered to bob while he is dead`)
    }

    const restarted = Date.now()
    const back = await start('bob', bobHost, bob.dataDir)
    assert.equal(back.peerId, bob.peerId)
    bob.proc = back.proc
    await Promise.all(away.map(async p => assertArrives(p, ROOM, [bob], { timeout: MEET })))
    st.diagnostic(`bob had both ${Date.now() - restarted} ms after his restart`)

    await sleep(GRACE)
    assert.deepEqual(roomMessages(bob).map(e => e.id).sort(), away.map(p => p.id).sort(), 'bob\'s message lines since his restart: the two posted while he was away, once each')
    for (const p of away) {
      assert.equal(p.from.proc.all(deliveredTo(p, bob)).length, 1, `"${p.text}" delivered to bob once`)
    }
  })

  await step('all three show the same room history, in (clock, sender) order', async (st) => {
    const histories = await Promise.all(members.map(async n => roomHistory(n, ROOM)))
    const [first] = histories
    assert.ok(first != null)
    st.diagnostic(`history: ${first.map(m => `${m.clock ?? '?'}:${members.find(n => n.peerId === m.from)?.name ?? m.from}`).join(' ')}`)
    assert.deepEqual(first.map(m => m.id).sort(), posts.map(p => p.id).sort(), `${alice.name}'s history holds every post, once`)
    for (const m of first) {
      assert.equal(typeof m.clock, 'number', `message ${m.id} has a clock`)
      const sent = posts.find(p => p.id === m.id)
      assert.equal(m.from, sent?.from.peerId, `message ${m.id} is from its sender`)
      assert.equal(m.clock, sent?.clock, `message ${m.id} has the clock its sender gave it`)
    }
    const ordered = [...first].sort((x, y) => (x.clock ?? 0) - (y.clock ?? 0) || (x.from < y.from ? -1 : x.from > y.from ? 1 : 0))
    assert.deepEqual(first, ordered, 'in (clock, sender id) order')
    members.forEach((n, i) => {
      assert.deepEqual(histories[i], first, `${n.name}'s history equals ${alice.name}'s: ids, senders and clocks, in order`)
    })
  })

  await step('the relay printed and stored nothing that names the room', async () => {
    const exit = await relay.proc.kill('SIGTERM')
    assert.deepEqual(exit, { code: 0, signal: null }, relay.proc.diagnostics())
    const needles = [ROOM, ROOM.toLowerCase(), 'orchard', roomId, roomId.toUpperCase()]
    const output = relay.proc.stderr + '\n' + JSON.stringify(relay.proc.all((_e): _e is typeof _e => true))
    assert.ok(relay.proc.stderr.includes('rendezvous'), 'the debug log is on and covers the rendezvous point')
    for (const needle of needles) {
      assert.ok(!output.toLowerCase().includes(needle.toLowerCase()), `the relay's output holds ${needle}`)
    }
    for (const file of await filesUnder(relay.dataDir)) {
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

await test('two nodes on one LAN and no relay join a room, meet by mDNS and post to it both ways', { skip, timeout: 300_000 }, async (t) => {
  const net = Topology.create({ t })
  const lan = await net.addBridge('lan')
  const nodes = await Promise.all(['dave', 'erin'].map(async name => {
    const host = await net.addHost(name, { bridge: lan })
    return startNode(t, name, host, [])
  }))
  const [dave, erin] = nodes as [Node, Node]
  const room = 'lan-party'
  await Promise.all(nodes.map(async n => n.proc.request(`/join ${room}`, joined(room))))
  await dave.proc.waitFor(online(room, erin), { timeout: MEET })
  await erin.proc.waitFor(online(room, dave), { timeout: MEET })

  const both = await Promise.all([post(dave, room, 'hi erin, from dave'), post(erin, room, 'hi dave, from erin')])
  assert.deepEqual(both.map(p => p.to), [[erin.peerId], [dave.peerId]], 'each queued for the other')
  await Promise.all(both.map(async p => assertArrives(p, room, p.from === dave ? [erin] : [dave], { timeout: DELIVER })))
  await sleep(GRACE)
  assert.deepEqual(roomMessages(dave).map(e => e.id), [both[1]?.id], 'dave got erin\'s, once')
  assert.deepEqual(roomMessages(erin).map(e => e.id), [both[0]?.id], 'erin got dave\'s, once')

  const exits = await Promise.all(nodes.map(async n => n.proc.stop()))
  assert.deepEqual(exits, nodes.map(() => ({ code: 0, signal: null, forced: false })))
})

/**
 *   lana: fay ── nata ─┐
 *   lanb: gus ── natb ─┼── wan: relay1, relay2
 *   lanc: hal ── natc ─┘
 *
 * fay knows only relay 1, gus only relay 2, hal both.
 */
await test('several relays: a node with two --relay addresses meets members on either, and its room message reaches both', { skip, timeout: 600_000 }, async (t) => {
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const [relay1Host, relay2Host] = await Promise.all([net.addHost('relay1', { bridge: wan }), net.addHost('relay2', { bridge: wan })])
  const lans = await natedLans(net, wan, ['a', 'b', 'c'])
  const [relay1, relay2] = await Promise.all([startRelay(t, 'relay1', relay1Host), startRelay(t, 'relay2', relay2Host)])
  const [fayHost, gusHost, halHost] = await Promise.all([hostBehind(net, lans, 'fay', 0), hostBehind(net, lans, 'gus', 1), hostBehind(net, lans, 'hal', 2)])
  const [fay, gus, hal] = await Promise.all([
    startNode(t, 'fay', fayHost, [relay1]),
    startNode(t, 'gus', gusHost, [relay2]),
    startNode(t, 'hal', halHost, [relay1, relay2])
  ])
  const room = 'two-relays'
  const step = steps(t)

  await step('hal meets fay on relay 1 and gus on relay 2', async (st) => {
    const began = Date.now()
    await Promise.all([fay, gus, hal].map(async n => n.proc.request(`/join ${room}`, joined(room))))
    await Promise.all([
      hal.proc.waitFor(online(room, fay), { timeout: MEET }),
      hal.proc.waitFor(online(room, gus), { timeout: MEET }),
      fay.proc.waitFor(online(room, hal), { timeout: MEET }),
      gus.proc.waitFor(online(room, hal), { timeout: MEET })
    ])
    st.diagnostic(`hal met both within ${Date.now() - began} ms`)
    const rooms = await hal.proc.request('/rooms', is('rooms'))
    assert.deepEqual(rooms.rooms[0]?.members.filter(m => m.online).map(m => m.peerId).sort(), [fay.peerId, gus.peerId].sort(), 'hal\'s members')
  })

  await step('a room message from hal reaches fay and gus, once each', async () => {
    const p = await post(hal, room, 'hello from hal, on both relays')
    assert.deepEqual(p.to, [fay.peerId, gus.peerId].sort(), 'queued for fay and gus')
    await assertArrives(p, room, [fay, gus], { timeout: DELIVER })
    await sleep(GRACE)
    for (const n of [fay, gus]) {
      assert.deepEqual(roomMessages(n).map(e => e.id), [p.id], `${n.name} got hal's, once`)
    }
  })

  await step('all stop cleanly', async () => {
    const exits = await Promise.all([fay, gus, hal].map(async n => n.proc.stop()))
    assert.deepEqual(exits, [fay, gus, hal].map(() => ({ code: 0, signal: null, forced: false })))
  })
})
