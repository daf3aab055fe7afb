/**
 * The securechat relay is a plain circuit relay v2: unmodified upstream
 * js-libp2p nodes (no securechat code at all) reserve on it and reach each
 * other through it, while securechat nodes use it for their chat at the same
 * time.
 *
 *   lana: alice (securechat), listener (plain libp2p) ── nata ─┐
 *                                                              ├── wan: relay
 *   lanb: bob (securechat), dialer (plain libp2p) ────── natb ─┘
 *
 * The plain nodes are a few lines of stock libp2p (TCP, Noise, Yamux,
 * identify, ping, circuitRelayTransport), run in their own processes inside
 * the namespaces; they speak JSON lines like `securechat --json` so the same
 * process helper drives them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { is } from '../helpers/events.ts'
import type { ChatEvent, Matcher } from '../helpers/events.ts'
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

const START = 90_000
const RESERVE = 90_000
const DELIVER = 60_000
const RELAY_PORT = 4001

/** A custom protocol of the plain nodes: the listener echoes what it reads */
const ECHO_PROTOCOL = '/interop-echo/1.0.0'

/**
 * The plain libp2p node, run with `node --input-type=module -e`. Stock
 * upstream modules only. Env: PLAIN_LISTEN (a listen multiaddr, optional).
 * Commands on stdin: `ping <multiaddr>`, `echo <multiaddr> <text>`.
 * Prints `ready`, `addrs` (on every address change), `pong`, `echo`,
 * `echoed` (listener side), `error`.
 */
const PLAIN_NODE = `
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const print = (type, fields = {}) => { process.stdout.write(JSON.stringify({ type, ...fields }) + '\\n') }
const describe = (connection) => ({ remoteAddr: connection.remoteAddr.toString(), limited: connection.limits != null })

const node = await createLibp2p({
  addresses: { listen: process.env.PLAIN_LISTEN ? [process.env.PLAIN_LISTEN] : [] },
  transports: [tcp(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
})

await node.handle('${ECHO_PROTOCOL}', async (stream, connection) => {
  const chunks = []
  for await (const chunk of stream) {
    chunks.push(chunk.subarray())
    stream.send(chunk)
  }
  await stream.close()
  print('echoed', { from: connection.remotePeer.toString(), text: Buffer.concat(chunks).toString('utf8'), ...describe(connection) })
}, { runOnLimitedConnection: true })

node.addEventListener('self:peer:update', () => {
  print('addrs', { addrs: node.getMultiaddrs().map(String) })
})

print('ready', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

for await (const line of createInterface({ input: process.stdin })) {
  const [command, addr, ...rest] = line.trim().split(' ')
  try {
    const signal = AbortSignal.timeout(30_000)
    if (command === 'ping') {
      const rtt = await node.services.ping.ping(multiaddr(addr), { signal })
      const connection = node.getConnections().find(c => c.remoteAddr.toString() === addr)
      print('pong', { rtt, ...(connection ? describe(connection) : {}) })
    } else if (command === 'echo') {
      const stream = await node.dialProtocol(multiaddr(addr), '${ECHO_PROTOCOL}', { runOnLimitedConnection: true, signal })
      stream.send(new TextEncoder().encode(rest.join(' ')))
      await stream.close({ signal })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk.subarray())
      const connection = node.getConnections().find(c => c.streams.includes(stream)) ?? node.getConnections().find(c => c.remoteAddr.toString() === addr)
      print('echo', { text: Buffer.concat(chunks).toString('utf8'), ...(connection ? describe(connection) : {}) })
    } else if (command === 'quit') {
      break
    }
  } catch (err) {
    print('error', { code: err.name, message: err.message })
  }
}
await node.stop()
`

/** What the plain nodes print, besides `ready` */
interface PlainAddrs { type: 'addrs', addrs: string[] }
interface PlainPong { type: 'pong', rtt: number, remoteAddr?: string, limited?: boolean }
interface PlainEcho { type: 'echo' | 'echoed', text: string, from?: string, remoteAddr?: string, limited?: boolean }

/** A matcher for a plain node's own event types, which ChatEvent does not list */
function plain<T> (type: string, description: string, test: (event: T) => boolean = () => true): Matcher {
  const matcher: Matcher = (event: ChatEvent): event is ChatEvent =>
    (event as { type: string }).type === type && test(event as unknown as T)
  matcher.description = `${type} event: ${description}`
  return matcher
}

async function waitPlain<T> (proc: ChatProcess, match: Matcher, options: { since?: number, timeout?: number } = {}): Promise<T> {
  return await proc.waitFor(match, options) as unknown as T
}

interface Node {
  name: string
  proc: ChatProcess
  peerId: string
}

await test('upstream js-libp2p nodes and securechat nodes share the securechat relay', { skip, timeout: 600_000 }, async (t) => {
  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const lanA = await net.addBridge('lana')
  const lanB = await net.addBridge('lanb')
  const relayHost = await net.addHost('relay', { bridge: wan })
  const natA = await net.addRouter('nata', { lan: lanA, wan })
  const natB = await net.addRouter('natb', { lan: lanB, wan })
  const hosts = {
    alice: await net.addHost('alice', { bridge: lanA, gateway: natA.lan.ip }),
    listener: await net.addHost('listener', { bridge: lanA, gateway: natA.lan.ip }),
    bob: await net.addHost('bob', { bridge: lanB, gateway: natB.lan.ip }),
    dialer: await net.addHost('dialer', { bridge: lanB, gateway: natB.lan.ip })
  }

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

  const startPlain = async (name: string, host: Host, env: Record<string, string>): Promise<Node> => {
    const proc = spawnChat({ name, dataDir: '', ns: host, t, env, argv: ['--input-type=module', '-e', PLAIN_NODE] })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { name, proc, peerId: ready.peerId }
  }
  const startChat = async (name: string, host: Host): Promise<Node> => {
    const dataDir = await tempDir(t, `securechat-${name}-`)
    const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t, args: ['--relay', relayAddr] })
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    return { name, proc, peerId: ready.peerId }
  }

  // all four at once: the relay serves both kinds of client side by side
  const [listener, dialer, alice, bob] = await Promise.all([
    startPlain('listener', hosts.listener, { PLAIN_LISTEN: `${relayAddr}/p2p-circuit` }),
    startPlain('dialer', hosts.dialer, {}),
    startChat('alice', hosts.alice),
    startChat('bob', hosts.bob)
  ])

  const step = steps(t)

  const listenerCircuit = `${relayAddr}/p2p-circuit/p2p/${listener.peerId}`

  await step('the plain listener reserves a slot: its addresses include the circuit through the relay', async () => {
    const ready = listener.proc.all(is('ready'))[0]
    const hasCircuit = (addrs: string[]): boolean => addrs.includes(listenerCircuit)
    if (ready == null || !hasCircuit(ready.addrs)) {
      await waitPlain<PlainAddrs>(listener.proc, plain<PlainAddrs>('addrs', `includes ${listenerCircuit}`, e => hasCircuit(e.addrs)), { timeout: RESERVE })
    }
  })

  await step('the securechat nodes reserve on the same relay', async () => {
    for (const n of [alice, bob]) {
      await n.proc.waitFor(is('relay', { status: 'reserved', addr: relayAddr }), { timeout: RESERVE })
    }
  })

  await step('at the same time: the plain dialer pings and echoes through the relay, and alice and bob chat through it', async () => {
    const plainSide = async (): Promise<void> => {
      const pong = await waitPlain<PlainPong>(dialer.proc, plain('pong', 'from the listener'),
        { since: dialer.proc.send(`ping ${listenerCircuit}`), timeout: DELIVER })
      assert.ok(pong.rtt >= 0)
      assert.equal(pong.limited, true, `the dialer's connection is a limited (relayed) one: ${JSON.stringify(pong)}`)

      const text = 'hello from stock js-libp2p, through a securechat relay'
      const echo = await waitPlain<PlainEcho>(dialer.proc, plain('echo', 'the echoed text'),
        { since: dialer.proc.send(`echo ${listenerCircuit} ${text}`), timeout: DELIVER })
      assert.equal(echo.text, text)
      assert.equal(echo.limited, true)
      assert.match(echo.remoteAddr ?? '', /\/p2p-circuit\//)

      const echoed = await waitPlain<PlainEcho>(listener.proc, plain('echoed', 'the dialer\'s text'), { timeout: DELIVER })
      assert.equal(echoed.text, text)
      assert.equal(echoed.from, dialer.peerId)
      assert.equal(echoed.limited, true, 'the listener got it over a relayed connection')
      assert.match(echoed.remoteAddr ?? '', new RegExp(`/p2p-circuit/p2p/${dialer.peerId}$`))
    }

    const chatSide = async (): Promise<void> => {
      for (const [from, to, text] of [[alice, bob, 'hello bob, the relay is shared'], [bob, alice, 'hi alice, so it seems']] as const) {
        const pending = await from.proc.request(`/msg ${to.peerId} ${text}`, is('pending', { to: to.peerId, text }))
        const received = await to.proc.waitFor(is('message', { id: pending.id }), { timeout: DELIVER })
        assert.equal(received.text, text)
        assert.equal(received.from, from.peerId)
        await from.proc.waitFor(is('delivered', { id: pending.id }), { timeout: DELIVER })
      }
      const connected = alice.proc.all(is('peer', { peerId: bob.peerId, status: 'connected' }))
      assert.ok(connected.length > 0 && connected.every(e => e.connection === 'relayed'), JSON.stringify(connected))
    }

    await Promise.all([plainSide(), chatSide()])
  })

  await step('all stop cleanly', async () => {
    const exits = await Promise.all([alice, bob, listener, dialer].map(async n => await n.proc.stop()))
    assert.deepEqual(exits, [alice, bob, listener, dialer].map(() => ({ code: 0, signal: null, forced: false })))
    assert.deepEqual(await relayProc.kill('SIGTERM'), { code: 0, signal: null })
    for (const n of [listener, dialer]) {
      assert.deepEqual(n.proc.all(plain('error', 'any')), [], `${n.name} reported errors`)
    }
  })
})
