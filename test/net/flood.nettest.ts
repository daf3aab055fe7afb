/**
 * A stranger's connection flood, direct and through a relay, leaves a
 * contact able to connect and chat. Real `securechat --json` processes and
 * a flooder of plain js-libp2p identities (fixtures/flooder.ts), in network
 * namespaces:
 *
 *   lana: alice, carol, dflood ── nata ─┐
 *                                       ├── wan: relay (:4001), rflood
 *   lanb: bob ───────────────────── natb ─┘
 *
 * alice and bob run with `--relay` and reach each other only through the
 * relay; carol shares alice's LAN and dials her directly. alice writes to
 * both and they answer, so each is a contact of alice's (and she of theirs).
 *
 * 1. Direct flood: dflood, on alice's LAN with eight addresses (so alice's
 *    per-IP rate of 5 a second does not cap it at one address's share), runs
 *    40 identities that each keep asking for 6 connections to alice's LAN
 *    address. Once it holds every stranger slot, carol and bob (both
 *    stopped before the flood) come back, connect, and chat both ways.
 * 2. Relayed flood: rflood, on the public segment with two addresses, runs
 *    32 identities (16 per address: the relay's per-IP connection limit) that
 *    each keep asking for 6 connections to alice through the relay. Once it
 *    holds every stranger slot, bob quits and starts again with his data dir,
 *    connects to alice through the same relay and chats both ways.
 *
 * Both times the flooder's own count must stay within the stranger budget
 * (96) and the per-peer cap (4), counting a connection once it has stayed
 * open a second and alice has answered on it (see fixtures/flooder.ts: on a
 * loaded machine alice may take over a second to close one she refused);
 * and so must what it still holds when the flood is over.
 *
 * A contact's `/connect` during the direct flood may be refused once: libp2p
 * refuses inbound connections past 10 handshakes in flight before it knows
 * who is calling, the flood's and a contact's alike. The test tries again a
 * second later, as a user (or the node's own redial) would, and prints the
 * failures; the contact must be connected and have chatted both ways within
 * RECONNECT of being up again (for bob: of his new reservation).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { MAX_CONNECTIONS_PER_PEER, MAX_STRANGER_CONNECTIONS } from '../../src/net/constants.ts'
import { RELAY_MAX_CONNECTIONS_PER_IP } from '../../src/relay/constants.ts'
import { is } from '../helpers/events.ts'
import type { ChatEvent, ConnectedEvent, ErrorEvent, Matcher } from '../helpers/events.ts'
import { BIN, spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { steps } from '../helpers/steps.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'
import type { FloodStats } from './fixtures/flooder.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

const FLOODER = fileURLToPath(new URL('./fixtures/flooder.ts', import.meta.url))

/** five processes start on two cores */
const START = 45_000
const RESERVE = 45_000
/** one message, to a peer already connected */
const DELIVER = 20_000
/** the flood takes every stranger slot within this */
const FILL = 40_000
/** a contact, back during a flood, is connected and has chatted both ways within this of being up (ready; for bob, reserved) */
const RECONNECT = 30_000
/** a /connect that failed is tried again after this */
const CONNECT_RETRY_MS = 1_000
const RELAY_PORT = 4001

const DIRECT_IDENTITIES = 40
const DIRECT_SOURCES = 8
const RELAYED_SOURCES = 2
const RELAYED_IDENTITIES = RELAYED_SOURCES * RELAY_MAX_CONNECTIONS_PER_IP
/** each identity asks for more than the per-peer cap */
const WANTS = MAX_CONNECTIONS_PER_PEER + 2

interface Node {
  name: string
  host: Host
  dataDir: string
  args: string[]
  proc: ChatProcess
  peerId: string
}

interface Relay {
  proc: ChatProcess
  peerId: string
  addr: string
}

/** A flooder's `held` or `done` line (fixtures/flooder.ts) */
type FloodLine = FloodStats & { type: 'held' | 'done', endOpen?: number, endHeld?: number, endMostPerIdentity?: number, endSettledMs?: number }

function floodLine (type: FloodLine['type'], description: string, test: (line: FloodLine) => boolean = () => true): Matcher {
  const matcher: Matcher = (event: ChatEvent): event is ChatEvent =>
    (event as { type: string }).type === type && test(event as unknown as FloodLine)
  matcher.description = `flooder ${type}: ${description}`
  return matcher
}

function connectedOrError (peerId: string): Matcher<ConnectedEvent | ErrorEvent> {
  const matcher: Matcher<ConnectedEvent | ErrorEvent> = (event: ChatEvent): event is ConnectedEvent | ErrorEvent =>
    (event.type === 'connected' && event.peerId === peerId) || event.type === 'error'
  matcher.description = `connected to ${peerId}, or an error`
  return matcher
}

/** `/connect addr` until `connected` (a user trying again), at most until `deadline`; resolves with the failures seen */
async function connect (node: Node, addr: string, peerId: string, deadline: number): Promise<string[]> {
  const failed: string[] = []

  for (;;) {
    const answer = await node.proc.request(`/connect ${addr}`, connectedOrError(peerId), { timeout: Math.max(1, deadline - Date.now()) })

    if (answer.type === 'connected') {
      return failed
    }

    failed.push(`${answer.code}: ${answer.message}`)
    assert.ok(Date.now() + CONNECT_RETRY_MS < deadline, `${node.name} could not connect to ${addr}: ${failed.join('; ')}`)
    await new Promise(resolve => setTimeout(resolve, CONNECT_RETRY_MS))
  }
}

/** `/msg` from one node to another by peer id: it arrives, and its sender gets a receipt */
async function chat (from: Node, to: Node, text: string): Promise<void> {
  const pending = await from.proc.request(`/msg ${to.peerId} ${text}`, is('pending', { to: to.peerId, text }))
  const received = await to.proc.waitFor(is('message', { id: pending.id }), { timeout: DELIVER })
  assert.equal(received.from, from.peerId)
  assert.equal(received.text, text)
  await from.proc.waitFor(is('delivered', { id: pending.id, to: to.peerId }), { timeout: DELIVER })
}

async function chatBothWays (a: Node, b: Node, label: string): Promise<void> {
  await chat(a, b, `${label}: ${a.name} to ${b.name}`)
  await chat(b, a, `${label}: ${b.name} to ${a.name}`)
}

/** The flood's bounds, from the flooder's own count, during the flood and after it */
function assertBounds (done: FloodLine, held: FloodLine[]): void {
  const most = Math.max(done.mostHeld, ...held.map(h => h.held))
  assert.ok(most <= MAX_STRANGER_CONNECTIONS, `the flooder held ${most} > ${MAX_STRANGER_CONNECTIONS} connections`)
  assert.ok(done.mostPerIdentity <= MAX_CONNECTIONS_PER_PEER, `one identity held ${done.mostPerIdentity} > ${MAX_CONNECTIONS_PER_PEER}`)
  assert.ok((done.endHeld ?? Infinity) <= MAX_STRANGER_CONNECTIONS, `the flooder still holds ${done.endHeld}`)
  assert.ok((done.endMostPerIdentity ?? Infinity) <= MAX_CONNECTIONS_PER_PEER, `one identity still holds ${done.endMostPerIdentity}`)
  assert.ok(done.attempts > done.opened, 'the flood was refused some connections')
}

function describeFlood (line: FloodLine): string {
  const failures = Object.entries(line.failures).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`).join(', ')
  return `held ${line.held} (most ${line.mostHeld}, most per identity ${line.mostPerIdentity}, ${line.identitiesHolding} identities; ` +
    `most open over a second, answered on or not: ${line.mostSettled}), ${line.attempts} dials, ${line.opened} opened, ` +
    `closed by alice: ${line.closedEarly} within a second (${line.closedEarlyAnswered} of them answered on), ${line.closedLate} later; ` +
    `failures: ${failures === '' ? 'none' : failures}`
}

function describeEnd (line: FloodLine): string {
  return `${line.endSettledMs} ms after the flood: ${line.endHeld} held, ${line.endOpen} open, at most ${line.endMostPerIdentity} per identity`
}

await test('a stranger\'s connection flood, direct and through a relay, leaves a contact able to connect and chat', { skip, timeout: 175_000 }, async (t) => {
  const began = Date.now()
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const lanA = await net.addBridge('lana')
  const lanB = await net.addBridge('lanb')
  const relayHost = await net.addHost('relay', { bridge: wan })
  const natA = await net.addRouter('nata', { lan: lanA, wan })
  const natB = await net.addRouter('natb', { lan: lanB, wan })
  const rfloodHost = await net.addHost('rflood', { bridge: wan })
  const aliceHost = await net.addHost('alice', { bridge: lanA, gateway: natA.lan.ip })
  const carolHost = await net.addHost('carol', { bridge: lanA, gateway: natA.lan.ip })
  const dfloodHost = await net.addHost('dflood', { bridge: lanA })
  const bobHost = await net.addHost('bob', { bridge: lanB, gateway: natB.lan.ip })

  /** `host`'s own address and `count - 1` more on the same interface, from .100 of its subnet */
  const sources = async (host: Host, count: number): Promise<string[]> => {
    const prefix = host.ip.split('.').slice(0, 3).join('.')
    const extra = Array.from({ length: count - 1 }, (_, i) => `${prefix}.${100 + i}`)
    for (const ip of extra) {
      await net.run(host, 'ip', ['addr', 'add', `${ip}/${host.prefixLength}`, 'dev', host.iface])
    }
    return [host.ip, ...extra]
  }
  const dfloodSources = await sources(dfloodHost, DIRECT_SOURCES)
  const rfloodSources = await sources(rfloodHost, RELAYED_SOURCES)

  const relayData = await tempDir(t, 'securechat-relay-')
  const relayProc = spawnChat({
    name: 'relay',
    dataDir: relayData,
    ns: relayHost,
    t,
    argv: [BIN, 'relay', '--json', '--host', relayHost.ip, '--port', String(RELAY_PORT), '--data-dir', relayData]
  })
  const relayReady = await relayProc.waitFor(is('ready'), { timeout: START })
  const relayAddr = relayReady.addrs.find(a => a.startsWith(`/ip4/${relayHost.ip}/tcp/${RELAY_PORT}/p2p/`))
  assert.ok(relayAddr != null, relayReady.addrs.join(' '))
  const relay: Relay = { proc: relayProc, peerId: relayReady.peerId, addr: relayAddr }

  const start = async (name: string, host: Host, args: string[], dataDir?: string): Promise<Node> => {
    const dir = dataDir ?? await tempDir(t, `securechat-${name}-`)
    const proc = spawnChat({ name, dataDir: dir, host: host.ip, ns: host, t, args })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { name, host, dataDir: dir, args, proc, peerId: ready.peerId }
  }
  /** the same node again, from its data dir: same peer id */
  const restart = async (node: Node): Promise<Node> => {
    const again = await start(node.name, node.host, node.args, node.dataDir)
    assert.equal(again.peerId, node.peerId, `${node.name} has the same peer id after a restart`)
    return again
  }
  const withRelay = ['--relay', relay.addr]
  const [alice, firstBob, firstCarol] = await Promise.all([
    start('alice', aliceHost, withRelay),
    start('bob', bobHost, withRelay),
    start('carol', carolHost, [])
  ])
  // restarted during the floods
  let bob = firstBob
  let carol = firstCarol
  const aliceLan = alice.proc.all(is('ready'))[0]?.addrs.find(a => a.startsWith(`/ip4/${aliceHost.ip}/tcp/`))
  assert.ok(aliceLan != null, `alice listens on her LAN address: ${alice.proc.all(is('ready'))[0]?.addrs.join(' ')}`)
  const aliceCircuit = `${relay.addr}/p2p-circuit/p2p/${alice.peerId}`
  t.diagnostic(`relay ${relay.addr}; alice ${aliceLan}; up after ${Date.now() - began} ms`)

  const step = steps(t)

  const startFlooder = async (name: string, host: Host, env: Record<string, string>): Promise<ChatProcess> => {
    const proc = spawnChat({ name, dataDir: '', ns: host, t, env, argv: [FLOODER] })
    await proc.waitFor(is('ready'), { timeout: START })
    return proc
  }
  /** ends the flood and resolves with the flooder's last count and every count before it */
  const stopFlooder = async (proc: ChatProcess): Promise<{ done: FloodLine, held: FloodLine[] }> => {
    const done = await proc.request('stop', floodLine('done', 'the final count'), { timeout: 30_000 }) as unknown as FloodLine
    assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.diagnostics())
    return { done, held: proc.all(floodLine('held', 'any')) as unknown as FloodLine[] }
  }
  /**
   * A contact started again at `back` and up now (`state`: ready, or for bob
   * reserved) connects to alice at `addr` and chats with her both ways, within
   * RECONNECT; resolves with a description of how that went.
   */
  const comeBack = async (node: Node, state: string, addr: string, back: number, label: string): Promise<string> => {
    const up = Date.now()
    const failed = await connect(node, addr, alice.peerId, up + RECONNECT)
    const connected = Date.now()
    await chatBothWays(alice, node, label)
    const chatted = Date.now()
    assert.ok(chatted - up < RECONNECT, `${node.name} connected and chatted both ways within ${RECONNECT} ms of being ${state}: ${chatted - up} ms`)
    return `${state} after ${up - back} ms, connected ${connected - up} ms later (${failed.length} failed /connect${failed.length > 0 ? `: ${failed.join('; ')}` : ''}), chatted both ways ${chatted - connected} ms after that`
  }
  /** the flood holds every stranger slot; resolves with how long that took */
  const filled = async (proc: ChatProcess, since: number): Promise<number> => {
    await proc.waitFor(floodLine('held', `${MAX_STRANGER_CONNECTIONS} held`, h => h.held >= MAX_STRANGER_CONNECTIONS), { timeout: FILL })
    return Date.now() - since
  }

  await step('alice and bob reserve on the relay; alice, bob and carol become contacts and chat', async () => {
    await Promise.all([alice, bob].map(async n => n.proc.waitFor(is('relay', { peerId: relay.peerId, status: 'reserved' }), { timeout: RESERVE })))
    await connect(carol, aliceLan, alice.peerId, Date.now() + DELIVER)
    // writing to a peer makes it a contact: alice first, so that neither is a request at her end
    await chatBothWays(alice, bob, 'before the floods')
    await chatBothWays(alice, carol, 'before the floods')
    const connected = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'connected' }))
    assert.ok(connected.length > 0 && connected.every(e => e.connection === 'relayed'), `alice and bob only relayed: ${JSON.stringify(connected)}`)
  })

  await step(`direct flood: ${DIRECT_IDENTITIES} identities from ${DIRECT_SOURCES} addresses on alice's LAN; carol and bob come back and chat`, async (st) => {
    await Promise.all([bob, carol].map(async n => {
      assert.deepEqual(await n.proc.stop(), { code: 0, signal: null, forced: false })
    }))

    const floodStart = Date.now()
    const flooder = await startFlooder('dflood', dfloodHost, {
      FLOOD_TARGET: aliceLan,
      FLOOD_IDENTITIES: String(DIRECT_IDENTITIES),
      FLOOD_WANTS: String(WANTS),
      FLOOD_SOURCES: dfloodSources.join(',')
    })
    let ended = false

    try {
      st.diagnostic(`the flood held ${MAX_STRANGER_CONNECTIONS} connections ${await filled(flooder, floodStart)} ms after the flooder started`)

      // what alice's kernel sees of the flood: accepted sockets, in handshake or held
      const port = aliceLan.split('/')[4] ?? ''
      const sockets = await net.run(aliceHost, 'ss', ['-Htn', 'state', 'established', 'sport', '=', `:${port}`])
      const fromFlood = sockets.split('\n').filter(l => dfloodSources.some(ip => l.includes(` ${ip}:`))).length
      st.diagnostic(`alice's kernel: ${fromFlood} established sockets from the flooder's addresses`)

      const back = Date.now()
      const [carolBack, bobBack] = await Promise.all([
        (async () => {
          carol = await restart(carol)
          return comeBack(carol, 'ready', aliceLan, back, 'during the direct flood')
        })(),
        (async () => {
          bob = await restart(bob)
          await bob.proc.waitFor(is('relay', { peerId: relay.peerId, status: 'reserved' }), { timeout: RESERVE })
          return comeBack(bob, 'reserved', aliceCircuit, back, 'during the direct flood')
        })()
      ])
      st.diagnostic(`carol started again: ${carolBack}`)
      st.diagnostic(`bob started again: ${bobBack}`)
      st.diagnostic(`flood meanwhile: ${describeFlood(flooder.all(floodLine('held', 'any')).at(-1) as unknown as FloodLine)}`)

      const { done, held } = await stopFlooder(flooder)
      ended = true
      st.diagnostic(`direct flood over after ${Date.now() - floodStart} ms: ${describeFlood(done)}`)
      st.diagnostic(describeEnd(done))
      assertBounds(done, held)
    } finally {
      if (!ended) {
        await flooder.kill('SIGKILL')
      }
    }
  })

  await step(`relayed flood: ${RELAYED_IDENTITIES} identities through the relay; bob restarts and chats through the same relay`, async (st) => {
    const floodStart = Date.now()
    const flooder = await startFlooder('rflood', rfloodHost, {
      FLOOD_TARGET: aliceCircuit,
      FLOOD_IDENTITIES: String(RELAYED_IDENTITIES),
      FLOOD_WANTS: String(WANTS),
      FLOOD_SOURCES: rfloodSources.join(','),
      FLOOD_REDIAL_MS: '250'
    })
    let ended = false

    try {
      st.diagnostic(`the flood held ${MAX_STRANGER_CONNECTIONS} relayed connections ${await filled(flooder, floodStart)} ms after the flooder started`)

      assert.deepEqual(await bob.proc.stop(), { code: 0, signal: null, forced: false })
      const back = Date.now()
      bob = await restart(bob)
      await bob.proc.waitFor(is('relay', { peerId: relay.peerId, status: 'reserved' }), { timeout: RESERVE })
      st.diagnostic(`bob started again: ${await comeBack(bob, 'reserved', aliceCircuit, back, 'during the relayed flood')}`)
      const connected = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'connected' }))
      assert.ok(connected.every(e => e.connection === 'relayed'), `alice and bob only relayed: ${JSON.stringify(connected)}`)
      st.diagnostic(`flood meanwhile: ${describeFlood(flooder.all(floodLine('held', 'any')).at(-1) as unknown as FloodLine)}`)

      const { done, held } = await stopFlooder(flooder)
      ended = true
      st.diagnostic(`relayed flood over after ${Date.now() - floodStart} ms: ${describeFlood(done)}; connections to the relay ${done.others}`)
      st.diagnostic(describeEnd(done))
      assertBounds(done, held)
    } finally {
      if (!ended) {
        await flooder.kill('SIGKILL')
      }
    }
  })

  await step('carol and bob still chat with alice after the floods; all stop cleanly', async (st) => {
    await chatBothWays(alice, carol, 'after the floods')
    await chatBothWays(alice, bob, 'after the floods')
    const exits = await Promise.all([alice, bob, carol].map(async n => n.proc.stop()))
    assert.deepEqual(exits, [alice, bob, carol].map(() => ({ code: 0, signal: null, forced: false })))
    assert.deepEqual(await relay.proc.kill('SIGTERM'), { code: 0, signal: null }, relay.proc.diagnostics())
    st.diagnostic(`the whole scenario took ${Date.now() - began} ms`)
  })
})
