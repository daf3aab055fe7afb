/**
 * Two nodes behind two NAT routers reach each other only through a relay on
 * the public segment:
 *
 *   lana: alice ── nata ─┐
 *                        ├── wan: relay (10.77.x.10:4001)
 *   lanb: bob ──── natb ─┘
 *
 * The routers masquerade and have no route into each other's LAN. The relay
 * runs with short limits (8 s, 64 KiB per relayed connection), so a burst of
 * chat is cut by them; every message must still arrive exactly once and in
 * order. Then the relay is SIGKILLed and restarted with its data dir (same
 * peer id) and both nodes reserve again and chat on, without a restart.
 *
 * No DCUtR here: js-libp2p's dcutr only attempts hole punching towards
 * public addresses, and these tests use private 10.x addresses only, so the
 * relayed connection is never upgraded and hole punching cannot be shown.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { is, where } from '../helpers/events.ts'
import type { ChatEvent, Matcher, RelayEvent } from '../helpers/events.ts'
import { BIN, spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'
import { steps } from '../helpers/steps.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

/** Generous: three processes start on two cores */
const START = 90_000
/** a reservation, including the keeper's backoff after a relay restart */
const RESERVE = 90_000
/** one message, including reconnects (and resends) after a relay limit cut the connection */
const DELIVER = 120_000

const RELAY_PORT = 4001
const DURATION_LIMIT_S = 8
const DATA_LIMIT_BYTES = 64 * 1024

/** the burst: enough bytes to pass the data limit more than once */
const BURST = 60
const BURST_TEXT_BYTES = 2048
/** between two `/msg` of the burst, so that sends go on while the relay cuts the connection and it is dialled again (a burst of about 3 s, not 9) */
const BURST_GAP_MS = 20

interface Node {
  name: string
  host: Host
  dataDir: string
  proc: ChatProcess
  peerId: string
}

interface Sent {
  id: string
  from: string
  to: string
  text: string
}

interface Relay {
  proc: ChatProcess
  peerId: string
  addr: string
}

/** `/msg` from one node to another, by peer id; resolves once pending (not yet delivered) */
async function send (from: Node, to: Node, text: string): Promise<Sent> {
  const pending = await from.proc.request(`/msg ${to.peerId} ${text}`, is('pending', { to: to.peerId, text }))
  return { id: pending.id, from: from.peerId, to: to.peerId, text }
}

/** The message arrived at its recipient once and its sender got a receipt */
async function delivered (from: Node, to: Node, sent: Sent): Promise<void> {
  const received = await to.proc.waitFor(is('message', { id: sent.id }), { timeout: DELIVER })
  assert.equal(received.from, from.peerId)
  assert.equal(received.name, from.name)
  assert.equal(received.text, sent.text)
  await from.proc.waitFor(is('delivered', { id: sent.id, to: to.peerId }), { timeout: DELIVER })
}

async function chat (from: Node, to: Node, text: string): Promise<Sent> {
  const sent = await send(from, to, text)
  await delivered(from, to, sent)
  return sent
}

function relayEvent (relay: Relay, status: RelayEvent['status']): Matcher<RelayEvent> {
  return is('relay', { peerId: relay.peerId, status })
}

/**
 * `/history` of `node` with `peer`: each direction holds exactly the
 * messages sent that way, once each, in the order they were sent; everything
 * `node` sent is delivered.
 */
async function assertHistory (node: Node, peer: Node, exchange: Sent[]): Promise<void> {
  const history = await node.proc.request(`/history ${peer.peerId} 1000`, is('history', { peer: peer.peerId }), { timeout: 60_000 })
  const ids = history.messages.map(m => m.id)
  assert.equal(new Set(ids).size, ids.length, `${node.name}'s history with ${peer.name} has duplicates`)
  for (const direction of ['in', 'out'] as const) {
    const expected = exchange.filter(s => (s.from === node.peerId) === (direction === 'out'))
    assert.deepEqual(
      history.messages.filter(m => m.direction === direction).map(m => ({ id: m.id, from: m.from, text: m.text })),
      expected.map(s => ({ id: s.id, from: s.from, text: s.text })),
      `${node.name}'s ${direction === 'in' ? 'incoming' : 'outgoing'} history with ${peer.name}`)
  }
  for (const m of history.messages.filter(m => m.direction === 'out')) {
    assert.ok(m.status === 'delivered' || m.status === 'read', `status of ${node.name}'s message ${m.id}: ${m.status}`)
  }
}

/** Every id got exactly one `delivered` receipt at its sender */
function assertReceiptsOnce (node: Node, exchange: Sent[]): void {
  for (const s of exchange.filter(s => s.from === node.peerId)) {
    assert.equal(node.proc.all(is('delivered', { id: s.id })).length, 1, `${node.name}: delivered events for ${s.id}`)
  }
}

/** A text of about `bytes` bytes that starts with `label` */
function filler (label: string, bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let text = `${label} `
  for (let i = 0; text.length < bytes; i++) {
    text += alphabet[(i * 7 + label.length) % alphabet.length]
  }
  return text
}

await test('two nodes behind NAT chat through a relay, past its limits and across its restart', { skip, timeout: 900_000 }, async (t) => {
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const lanA = await net.addBridge('lana')
  const lanB = await net.addBridge('lanb')
  const relayHost = await net.addHost('relay', { bridge: wan })
  const natA = await net.addRouter('nata', { lan: lanA, wan })
  const natB = await net.addRouter('natb', { lan: lanB, wan })
  const aliceHost = await net.addHost('alice', { bridge: lanA, gateway: natA.lan.ip })
  const bobHost = await net.addHost('bob', { bridge: lanB, gateway: natB.lan.ip })

  const relayData = await tempDir(t, 'securechat-relay-')
  const relays: ChatProcess[] = []
  const startRelay = async (): Promise<Relay> => {
    const proc = spawnChat({
      name: 'relay',
      dataDir: relayData,
      ns: relayHost,
      t,
      argv: [BIN, 'relay', '--json', '--host', relayHost.ip, '--port', String(RELAY_PORT), '--data-dir', relayData,
        '--duration-limit', String(DURATION_LIMIT_S), '--data-limit', String(DATA_LIMIT_BYTES)]
    })
    relays.push(proc)
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    const addr = ready.addrs.find(a => a.startsWith(`/ip4/${relayHost.ip}/tcp/${RELAY_PORT}/p2p/`))
    assert.ok(addr != null, `relay listens on ${relayHost.ip}:${RELAY_PORT}: ${ready.addrs.join(' ')}`)
    return { proc, peerId: ready.peerId, addr }
  }

  let relay = await startRelay()
  t.diagnostic(`relay ${relay.addr}`)

  const startNode = async (name: string, host: Host): Promise<Node> => {
    const dataDir = await tempDir(t, `securechat-${name}-`)
    const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t, args: ['--relay', relay.addr] })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { name, host, dataDir, proc, peerId: ready.peerId }
  }
  const [alice, bob] = await Promise.all([startNode('alice', aliceHost), startNode('bob', bobHost)])

  const step = steps(t)

  await step('the LANs cannot reach each other, only the public segment', async () => {
    const reachable = async (from: Host, ip: string): Promise<boolean> =>
      await net.run(from, 'ping', ['-c', '1', '-W', '2', ip]).then(() => true, () => false)
    assert.ok(await reachable(aliceHost, relayHost.ip), 'alice reaches the relay')
    assert.ok(await reachable(bobHost, relayHost.ip), 'bob reaches the relay')
    assert.ok(!await reachable(aliceHost, bobHost.ip), 'alice must not reach bob\'s LAN')
    assert.ok(!await reachable(bobHost, aliceHost.ip), 'bob must not reach alice\'s LAN')
    assert.ok(!await reachable(relayHost, aliceHost.ip), 'the relay must not reach alice\'s LAN')
  })

  await step('both reserve a slot on the relay, from behind their NATs', async () => {
    await Promise.all([alice, bob].map(async n => {
      const reserved = await n.proc.waitFor(relayEvent(relay, 'reserved'), { timeout: RESERVE })
      assert.equal(reserved.addr, relay.addr)
    }))

    const whoami = await alice.proc.request('/whoami', is('whoami'))
    assert.ok(whoami.addrs.some(a => a === `${relay.addr}/p2p-circuit/p2p/${alice.peerId}`), `alice's circuit address: ${whoami.addrs.join(' ')}`)
    assert.deepEqual(whoami.relays?.map(r => ({ peerId: r.peerId, connected: r.connected, reserved: r.reserved })),
      [{ peerId: relay.peerId, connected: true, reserved: true }])

    // masquerading: the relay sees the routers' WAN addresses, never the LAN ones
    const sockets = await net.run(relayHost, 'ss', ['-Htn', 'state', 'established', 'sport', '=', `:${RELAY_PORT}`])
    const peers = sockets.split('\n').filter(l => l.trim() !== '').map(l => l.trim().split(/\s+/).at(-1)?.replace(/:\d+$/, ''))
    assert.ok(peers.includes(natA.wan.ip) && peers.includes(natB.wan.ip), `relay's peers: ${peers.join(' ')}`)
    assert.ok(!peers.includes(aliceHost.ip) && !peers.includes(bobHost.ip), `relay's peers: ${peers.join(' ')}`)
  })

  const exchange: Sent[] = []

  await step('alice and bob chat by peer id, over a relayed connection', async () => {
    const aliceMark = alice.proc.mark()
    exchange.push(await chat(alice, bob, 'hello bob, through the relay'))
    exchange.push(await chat(bob, alice, 'hi alice, relayed back'))

    const connected = await alice.proc.waitFor(is('peer', { peerId: bob.peerId, status: 'connected' }), { since: aliceMark })
    assert.equal(connected.connection, 'relayed')
    const peers = await alice.proc.request('/peers', is('peers'))
    const view = peers.peers.find(p => p.peerId === bob.peerId)
    assert.ok(view != null, `bob in alice's /peers: ${JSON.stringify(peers.peers)}`)
    assert.equal(view.online, true)
    assert.equal(view.connection, 'relayed')
    assert.equal(view.name, 'bob')
  })

  await step(`a burst of ${BURST} x ${BURST_TEXT_BYTES} B passes the ${DATA_LIMIT_BYTES} B data limit: cut, yet every message arrives once, in order`, async (st) => {
    const aliceMark = alice.proc.mark()
    const burst: Array<{ sent: Sent, from: Node, to: Node }> = []
    for (let i = 0; i < BURST; i++) {
      const [from, to] = i % 10 === 9 ? [bob, alice] : [alice, bob]
      const sent = await send(from, to, filler(`burst ${i} from ${from.name}`, BURST_TEXT_BYTES))
      burst.push({ sent, from, to })
      exchange.push(sent)
      await sleep(BURST_GAP_MS)
    }
    for (const { sent, from, to } of burst) {
      await delivered(from, to, sent)
    }
    const cuts = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'disconnected' }), aliceMark).length
    const errors = [alice, bob].flatMap(n => n.proc.all(is('error'), aliceMark).map(e => `${n.name}: ${e.code} ${e.message}`))
    st.diagnostic(`${cuts} cut(s) during the burst; ${errors.length} send error(s) reported meanwhile${errors.length > 0 ? `: ${errors.slice(0, 3).join('; ')}` : ''}`)
    assert.ok(cuts >= 1, 'the relay\'s data limit should have closed the relayed connection at least once')
  })

  await step(`a quiet connection is cut by the ${DURATION_LIMIT_S} s duration limit, and chat goes on`, async (st) => {
    // start on a fresh relayed connection: the burst's last one, if still
    // open, is closed by one of the limits within the duration limit
    const bobEvents = alice.proc.all(where('peer', 'bob connected or disconnected', e => e.peerId === bob.peerId && e.status !== 'discovered'))
    if (bobEvents.at(-1)?.status === 'connected') {
      await alice.proc.waitFor(is('peer', { peerId: bob.peerId, status: 'disconnected' }), { since: alice.proc.events.lastIndexOf(bobEvents.at(-1) as ChatEvent), timeout: DELIVER })
    }
    const aliceMark = alice.proc.mark()
    const cut = alice.proc.waitFor(is('peer', { peerId: bob.peerId, status: 'disconnected' }), { since: aliceMark, timeout: 6 * DURATION_LIMIT_S * 1000 })
    // tiny messages, a few hundred bytes a second: far below the data limit
    let ticks = 0
    // set on a timeout too: `await cut` below then reports it
    let cutDone = false
    void cut.then(() => { cutDone = true }, () => { cutDone = true })
    while (!cutDone) {
      const [from, to] = ticks % 2 === 0 ? [alice, bob] : [bob, alice]
      exchange.push(await chat(from, to, `tick ${ticks++}`))
      await Promise.race([cut.catch(() => {}), sleep(1000)])
    }
    await cut
    const opened = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'connected' }), aliceMark)
    assert.ok(opened.length > 0 && opened.every(e => e.connection === 'relayed'), JSON.stringify(opened))
    st.diagnostic(`the fresh connection was cut after ${ticks} tick messages of a few bytes`)
    exchange.push(await chat(alice, bob, 'still here after the cut'))
    exchange.push(await chat(bob, alice, 'me too'))
  })

  await step('histories hold every message once, in order; one receipt per message', async () => {
    // let late duplicates (resends) surface before counting
    await sleep(3000)
    await assertHistory(bob, alice, exchange)
    await assertHistory(alice, bob, exchange)
    assertReceiptsOnce(alice, exchange)
    assertReceiptsOnce(bob, exchange)
    for (const [node, other] of [[alice, bob], [bob, alice]] as const) {
      const incoming = node.proc.all(is('message', { from: other.peerId })).map(e => e.id)
      assert.equal(new Set(incoming).size, incoming.length, `${node.name} showed a message twice`)
    }
  })

  await step('the relay is killed and restarted with its data dir: both reserve again and chat on', async (st) => {
    const marks = new Map([alice, bob].map(n => [n, n.proc.mark()]))
    const killed = await relay.proc.kill('SIGKILL')
    assert.equal(killed.signal, 'SIGKILL')
    await Promise.all([alice, bob].map(async n => {
      await n.proc.waitFor(relayEvent(relay, 'lost'), { since: marks.get(n), timeout: RESERVE })
    }))

    const before = relay.peerId
    const began = Date.now()
    relay = await startRelay()
    assert.equal(relay.peerId, before, 'same relay peer id after a restart with the same data dir')
    await Promise.all([alice, bob].map(async n => {
      const reserved = await n.proc.waitFor(relayEvent(relay, 'reserved'), { since: marks.get(n), timeout: RESERVE })
      const lost = n.proc.waitFor(relayEvent(relay, 'lost'), { since: marks.get(n), timeout: 1 })
      assert.ok(n.proc.events.indexOf(await lost) < n.proc.events.indexOf(reserved), `${n.name}: 'lost', then 'reserved'`)
    }))
    st.diagnostic(`both reserved again ${((Date.now() - began) / 1000).toFixed(1)} s after the relay restarted`)

    exchange.push(await chat(alice, bob, 'the relay came back'))
    exchange.push(await chat(bob, alice, 'and we never restarted'))
    const connected = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'connected' }), marks.get(alice))
    assert.ok(connected.length > 0 && connected.every(e => e.connection === 'relayed'), JSON.stringify(connected))
    for (const n of [alice, bob]) {
      assert.equal(n.proc.all(is('ready')).length, 1, `${n.name} ran on without a restart`)
    }
    await assertHistory(bob, alice, exchange)
  })

  await step('all stop cleanly', async () => {
    const exits = await Promise.all([alice, bob].map(async n => await n.proc.stop()))
    assert.deepEqual(exits, [{ code: 0, signal: null, forced: false }, { code: 0, signal: null, forced: false }])
    const relayExit = await relay.proc.kill('SIGTERM')
    assert.deepEqual(relayExit, { code: 0, signal: null }, relay.proc.diagnostics())
    await relay.proc.waitFor(is('stopped'), { timeout: 1 })
  })

  // last, so that its failure does not hide the steps above
  await step('the relay printed a `reservation` line for each node, after its restart too', async () => {
    for (const proc of relays) {
      for (const n of [alice, bob]) {
        assert.ok(proc.all(is('reservation', { peerId: n.peerId })).length > 0,
          `relay (pid ${proc.pid}) printed no reservation for ${n.name}:\n${proc.diagnostics()}`)
      }
    }
  })

  // surface every direct connection: there must be none
  for (const [node, other] of [[alice, bob], [bob, alice]] as const) {
    const direct = node.proc.all(where('peer', 'a direct connection', e => e.peerId === other.peerId && e.connection === 'direct'))
    assert.deepEqual(direct, [], `${node.name} must never connect directly to ${other.name}`)
  }
})
