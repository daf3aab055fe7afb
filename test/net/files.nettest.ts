/**
 * File transfer (issue 12) with real `securechat --json` processes in
 * network namespaces:
 *
 *   lan: alice, bob                              (the first two tests)
 *
 * 1. alice sends bob a 200 MiB file of random bytes: it lands in bob's
 *    downloads folder under its name with the SHA-256 computed here, and no
 *    partial file is left.
 * 2. The same, with bob SIGKILLed once he has 45 % of it and restarted on his
 *    data dir: the download resumes by itself from his synced offset (his
 *    first progress line after the restart is close to where he was
 *    killed), completes with equal hashes, and alice's interface sends
 *    well under twice the file (counted by the kernel: her veth's tx_bytes).
 *
 *   lana: alice ── nata ─┐
 *                        ├── wan: relay (default limits: 16 MiB per relayed connection)
 *   lanb: bob ──── natb ─┘
 *
 * 3. alice sends bob a 40 MiB file through the relay, past its per-connection
 *    data limit more than twice: the relay cuts the relayed connection, bob
 *    resumes over a new one each time, and the file completes with equal
 *    hashes. The LANs cannot reach each other (checked by ping) and dcutr
 *    never tries a direct connection here (js-libp2p's dcutr only punches
 *    towards public addresses, these are all 10.x: see nat.nettest.ts), and
 *    the relay's own packet counters prove it carried the file.
 *
 * The file events (offer, offered, progress, file, and the `transfer`
 * result line) are typed here from docs/API.md, as test/helpers/events.ts
 * types the others.
 */
import assert from 'node:assert/strict'
import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { RELAY_DATA_LIMIT_BYTES } from '../../src/relay/constants.ts'
import { is, where } from '../helpers/events.ts'
import type { ChatEvent, Matcher } from '../helpers/events.ts'
import { BIN, spawnChat } from '../helpers/process.ts'
import type { ChatProcess, WaitOptions } from '../helpers/process.ts'
import { steps } from '../helpers/steps.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Host } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  await cleanupStale()
}

const MiB = 1024 * 1024
/** Generous: three processes start on two cores */
const START = 90_000
const RESERVE = 90_000
const DISCOVER = 60_000
const DELIVER = 60_000
/** a whole file, resumes included (10 to 25 s for 200 MiB over veth on two cores; a stall fails sooner, see STALL) */
const TRANSFER = 180_000
/** no new byte at the receiver for this long is a stall: longer than a chunk's timeout (30 s) and a retry */
const STALL = 45_000
const RELAY_PORT = 4001

const LAN_FILE_BYTES = 200 * MiB
const RELAY_FILE_BYTES = 40 * MiB
/** the relay's default data limit per relayed connection (not set here: the relay runs with its defaults) */
const RELAY_DATA_LIMIT = Number(RELAY_DATA_LIMIT_BYTES)
/** kill the receiver once it has this share of the file */
const KILL_AT = 0.45
/**
 * The receiver syncs its partial file and stored offset every 4 MiB
 * (docs/PROTOCOL.md, "Pull and resume"): after a kill it resumes at most
 * that far behind the last byte it had, plus a store write in flight
 */
const SYNC_SLACK = 2 * 4 * MiB
/** all the bytes the sender's interface may send for a file killed half way and resumed */
const RESUME_BUDGET = 1.5

interface Node {
  name: string
  host: Host
  dataDir: string
  downloads: string
  proc: ChatProcess
  peerId: string
}

interface Relay {
  proc: ChatProcess
  peerId: string
  addr: string
}

interface Payload {
  path: string
  name: string
  size: number
  sha256: string
}

/* the file lines of `--json` (docs/API.md, "Events" and "sendFile") */
type TransferState = 'offered' | 'accepted' | 'complete' | 'failed' | 'declined'
interface TransferLine { type: 'transfer', id: string, peer: string, direction: 'in' | 'out', name: string, size: number, sha256: string, state: TransferState, bytes: number, path?: string, request?: true, stranger?: true }
interface OfferLine { type: 'offer', id: string, from: string, name: string, size: number, sha256: string, request?: true }
interface OfferedLine { type: 'offered', id: string, to: string, name: string, size: number, sha256: string }
/** `via`: the connection the bytes take */
interface ProgressLine { type: 'progress', id: string, bytes: number, size: number, rate: number, via: 'direct' | 'relay' }
interface FileLine { type: 'file', id: string, status: 'complete' | 'failed' | 'declined', path?: string, reason?: string }
type FilesLine = TransferLine | OfferLine | OfferedLine | ProgressLine | FileLine

/** A matcher of one file line type (ChatEvent does not list them) */
interface LineMatcher<T extends FilesLine> extends Matcher {
  readonly line?: T
}

function line<T extends FilesLine> (type: T['type'], description: string, test: (e: T) => boolean = () => true): LineMatcher<T> {
  const matcher: LineMatcher<T> = (e: ChatEvent): e is ChatEvent => (e.type as string) === type && test(e as unknown as T)
  matcher.description = `${type} line: ${description}`
  return matcher
}

async function waitLine<T extends FilesLine> (proc: ChatProcess, matcher: LineMatcher<T>, options: WaitOptions = {}): Promise<T> {
  return await proc.waitFor(matcher, options) as unknown as T
}

function allLines<T extends FilesLine> (proc: ChatProcess, matcher: LineMatcher<T>, since = 0): T[] {
  return proc.all(matcher, since) as unknown as T[]
}

const progressOf = (id: string): LineMatcher<ProgressLine> => line<ProgressLine>('progress', `of ${id}`, e => e.id === id)
const fileOf = (id: string): LineMatcher<FileLine> => line<FileLine>('file', `end of ${id}`, e => e.id === id)

/** `size` random bytes (1 MiB blocks) in a new file `name` under `dir`, hashed as written */
async function makePayload (dir: string, name: string, size: number): Promise<Payload> {
  const path = join(dir, name)
  const hash = createHash('sha256')
  const block = Buffer.alloc(MiB)
  const handle = await open(path, 'wx', 0o600)
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(MiB, size - written)
      randomFillSync(block, 0, n)
      const bytes = block.subarray(0, n)
      hash.update(bytes)
      await handle.write(bytes, 0, n)
      written += n
    }
  } finally {
    await handle.close()
  }
  return { path, name, size, sha256: hash.digest('hex') }
}

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) {
    hash.update(chunk as Buffer)
  }
  return hash.digest('hex')
}

/** Bytes an interface of a namespace has sent, by the kernel's count */
async function txBytes (net: Topology, host: Host): Promise<number> {
  const out = JSON.parse(await net.run(host, 'ip', ['-s', '-j', 'link', 'show', 'dev', host.iface])) as Array<{ stats64?: { tx?: { bytes?: number } } }>
  const bytes = out[0]?.stats64?.tx?.bytes
  assert.equal(typeof bytes, 'number', `tx_bytes of ${host.iface} in ${host.ns}`)
  return bytes as number
}

/** iptables' byte counter of the rule tagged `comment` in `host`'s namespace */
async function ruleBytes (net: Topology, host: Host, comment: string): Promise<number> {
  const saved = await net.run(host, 'iptables-save', ['-c'])
  const rule = saved.split('\n').find(l => l.includes(`--comment ${comment}`))
  const bytes = /^\[\d+:(\d+)\]/.exec(rule ?? '')?.[1]
  assert.ok(bytes != null, `no counter for ${comment}:\n${saved}`)
  return Number(bytes)
}

function mb (bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`
}

async function reachable (net: Topology, from: Host, ip: string): Promise<boolean> {
  return net.run(from, 'ping', ['-c', '1', '-W', '2', ip]).then(() => true, () => false)
}

/** `securechat relay` on `host` with its default limits, ready */
async function startRelay (t: { after: (fn: () => unknown) => void }, host: Host): Promise<Relay> {
  const dataDir = await tempDir(t, 'securechat-relay-')
  const proc = spawnChat({
    name: 'relay',
    dataDir,
    ns: host,
    t,
    argv: [BIN, 'relay', '--json', '--host', host.ip, '--port', String(RELAY_PORT), '--data-dir', dataDir]
  })
  const ready = await proc.waitFor(is('ready'), { timeout: START, what: 'relay ready' })
  const addr = ready.addrs.find(a => a.startsWith(`/ip4/${host.ip}/tcp/${RELAY_PORT}/p2p/`))
  assert.ok(addr != null, ready.addrs.join(' '))
  return { proc, peerId: ready.peerId, addr }
}

interface NodeOptions {
  relays?: readonly Relay[]
  /** restart on this node's data dir and downloads folder */
  again?: Node
}

/** A chat node on `host`, ready (and reserved on each relay) */
async function startNode (t: { after: (fn: () => unknown) => void }, name: string, host: Host, options: NodeOptions = {}): Promise<Node> {
  const relays = options.relays ?? []
  const dataDir = options.again?.dataDir ?? await tempDir(t, `securechat-${name}-`)
  const downloads = options.again?.downloads ?? await tempDir(t, `securechat-${name}-downloads-`)
  const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t, args: ['--downloads', downloads, ...relays.flatMap(r => ['--relay', r.addr])] })
  const ready = await proc.waitFor(is('ready'), { timeout: START, what: `${name} ready` })
  await Promise.all(relays.map(async r => proc.waitFor(is('relay', { status: 'reserved', peerId: r.peerId }), { timeout: RESERVE, what: `${name}'s reservation` })))
  return { name, host, dataDir, downloads, proc, peerId: ready.peerId }
}

/**
 * `from` writes to `to` (so `to` is `from`'s contact) and `to` accepts the
 * message request: each is the other's contact, and `from`'s offers are no
 * requests at `to`
 */
async function makeContacts (from: Node, to: Node): Promise<void> {
  const pending = await from.proc.request(`/msg ${to.peerId} hello ${to.name}, a file is coming`, is('pending', { to: to.peerId }))
  const got = await to.proc.waitFor(is('message', { id: pending.id, from: from.peerId }), { timeout: DELIVER })
  assert.equal(got.request, true, `${from.name}'s first message is a request at ${to.name}`)
  await to.proc.request(`/accept ${from.peerId}`, is('accepted', { peerId: from.peerId }))
  await from.proc.waitFor(is('delivered', { id: pending.id, to: to.peerId }), { timeout: DELIVER })
}

/** `from` offers `payload` to `to`, who sees the offer (from a contact) and accepts it; resolves with the transfer id */
async function offerAndAccept (from: Node, to: Node, payload: Payload): Promise<string> {
  const sent = await waitLine(from.proc, line<TransferLine>('transfer', `offer of ${payload.name}`), {
    since: from.proc.send(`/send ${to.peerId} ${payload.path}`)
  })
  assert.deepEqual(
    { direction: sent.direction, peer: sent.peer, name: sent.name, size: sent.size, sha256: sent.sha256, state: sent.state, path: sent.path },
    { direction: 'out', peer: to.peerId, name: payload.name, size: payload.size, sha256: payload.sha256, state: 'offered', path: payload.path },
    `${from.name}'s transfer line`)
  const { id } = sent
  const offer = await waitLine(to.proc, line<OfferLine>('offer', `of ${id}`, e => e.id === id), { timeout: DELIVER })
  assert.deepEqual(
    { from: offer.from, name: offer.name, size: offer.size, sha256: offer.sha256, request: offer.request },
    { from: from.peerId, name: payload.name, size: payload.size, sha256: payload.sha256, request: undefined },
    `${to.name}'s offer line (from a contact: no request)`)
  await waitLine(from.proc, line<OfferedLine>('offered', `of ${id}`, e => e.id === id && e.to === to.peerId), { timeout: DELIVER })
  const accepted = await waitLine(to.proc, line<TransferLine>('transfer', `acceptance of ${id}`, e => e.id === id), {
    since: to.proc.send(`/accept-file ${id}`)
  })
  assert.equal(accepted.state, 'accepted', JSON.stringify(accepted))
  assert.equal(accepted.direction, 'in')
  return id
}

interface StallWatch {
  /** aborted, with a message saying so, once `to` has got no new byte for STALL ms */
  signal: AbortSignal
  stop: () => void
}

/** Watches the download `id` at `to` (from `from`, for the diagnostics) */
function watchStall (from: Node, to: Node, id: string): StallWatch {
  const stalled = new AbortController()
  let most = -1
  let movedAt = Date.now()
  const timer = setInterval(() => {
    const bytes = Math.max(0, ...allLines(to.proc, progressOf(id)).map(p => p.bytes))
    if (bytes > most) {
      most = bytes
      movedAt = Date.now()
    } else if (Date.now() - movedAt > STALL) {
      clearInterval(timer)
      stalled.abort(new Error(`${to.name}'s download of ${id} stalled: no byte past ${bytes} B for ${STALL / 1000} s\n${to.proc.diagnostics()}\n${from.proc.diagnostics()}`))
    }
  }, 1000)
  return { signal: stalled.signal, stop: () => { clearInterval(timer) } }
}

/** Both ends report `complete`; resolves with the receiver's path. Fails early on a stall. */
async function bothComplete (from: Node, to: Node, id: string, since: { from?: number, to?: number } = {}): Promise<string> {
  const stall = watchStall(from, to, id)
  try {
    const [received, sent] = await Promise.all([
      waitLine(to.proc, fileOf(id), { timeout: TRANSFER, since: since.to, signal: stall.signal, what: `the end of ${id} at ${to.name}` }),
      waitLine(from.proc, fileOf(id), { timeout: TRANSFER, since: since.from, signal: stall.signal, what: `the end of ${id} at ${from.name}` })
    ])
    assert.equal(received.status, 'complete', `${to.name}: ${JSON.stringify(received)}`)
    assert.equal(sent.status, 'complete', `${from.name}: ${JSON.stringify(sent)}`)
    assert.ok(received.path != null, `${to.name}'s file line has the path`)
    return received.path
  } finally {
    stall.stop()
  }
}

/** The file is in the downloads folder under its own name, whole, and nothing partial is left */
async function assertLanded (to: Node, path: string, payload: Payload): Promise<void> {
  assert.equal(path, join(to.downloads, payload.name), 'landed under its own name in the downloads folder')
  assert.equal((await stat(path)).size, payload.size)
  assert.equal(await sha256Of(path), payload.sha256, 'the SHA-256 of the file received equals the one computed of the source')
  const entries = (await readdir(to.downloads)).filter(e => e !== '.partial')
  assert.deepEqual(entries, [payload.name], `${to.name}'s downloads folder holds the file alone`)
  const partial = await readdir(join(to.downloads, '.partial')).catch(() => [])
  assert.deepEqual(partial, [], 'no partial file left')
}

/** Every progress line of `id` says the bytes took the kind of connection expected */
function assertVia (proc: ChatProcess, id: string, via: 'direct' | 'relay'): void {
  const lines = allLines(proc, progressOf(id))
  assert.ok(lines.length > 0, `${proc.name} printed progress lines`)
  const other = lines.filter(p => p.via !== via)
  assert.deepEqual(other, [], `${proc.name}'s progress lines not via ${via}`)
}

/**
 * Each time `proc` lost its connection to `peer` during the download `id`
 * (events from `since`) before it had all `size` bytes: the last byte it
 * had reported, and its first progress after that, where the download took
 * up again
 */
function resumes (proc: ChatProcess, peer: string, id: string, size: number, since: number): Array<{ cut: number, resumed?: number }> {
  const out: Array<{ cut: number, resumed?: number }> = []
  let bytes = 0
  let cut: { cut: number, resumed?: number } | undefined
  for (const e of proc.events.slice(since)) {
    if (e.type === 'peer' && e.peerId === peer && e.status === 'disconnected') {
      cut = { cut: bytes }
      out.push(cut)
    } else if (progressOf(id)(e)) {
      bytes = (e as unknown as ProgressLine).bytes
      if (cut != null && cut.resumed == null) cut.resumed = bytes
    }
  }
  // a connection closed once every byte was there cut no download
  return out.filter(c => c.cut < size)
}

/** alice and bob on one bridge (mDNS on), each the other's contact */
async function lanPair (t: { after: (fn: () => unknown) => void }): Promise<{ net: Topology, alice: Node, bob: Node }> {
  const net = Topology.create({ t })
  const lan = await net.addBridge('lan')
  const [aliceHost, bobHost] = await Promise.all([net.addHost('alice', { bridge: lan }), net.addHost('bob', { bridge: lan })])
  const [alice, bob] = await Promise.all([startNode(t, 'alice', aliceHost), startNode(t, 'bob', bobHost)])
  await alice.proc.waitFor(is('peer', { peerId: bob.peerId, status: 'connected' }), { timeout: DISCOVER, what: 'alice finds bob by mDNS' })
  await makeContacts(alice, bob)
  return { net, alice, bob }
}

await test(`a ${mb(LAN_FILE_BYTES)} file between two nodes on a LAN arrives whole, under its name`, { skip, timeout: 600_000 }, async (t) => {
  const source = await tempDir(t, 'securechat-payload-')
  const payload = await makePayload(source, 'payload-200MiB.bin', LAN_FILE_BYTES)
  const { net, alice, bob } = await lanPair(t)

  const before = await txBytes(net, alice.host)
  const began = Date.now()
  const id = await offerAndAccept(alice, bob, payload)
  const path = await bothComplete(alice, bob, id)
  const seconds = (Date.now() - began) / 1000
  const sent = await txBytes(net, alice.host) - before

  await assertLanded(bob, path, payload)
  const last = allLines(bob.proc, progressOf(id)).at(-1)
  assert.equal(last?.bytes, payload.size, `bob's last progress line is the whole file: ${JSON.stringify(last)}`)
  for (const n of [alice, bob]) assertVia(n.proc, id, 'direct')
  assert.ok(sent >= payload.size, `alice's interface sent ${sent} B, less than the file`)
  t.diagnostic(`${mb(payload.size)} in ${seconds.toFixed(1)} s (offer to both complete): ${mb(payload.size / seconds)}/s; alice's eth0 sent ${sent} B = ${(sent / payload.size).toFixed(3)} x the file`)

  const exits = await Promise.all([alice, bob].map(async n => n.proc.stop()))
  assert.deepEqual(exits, [alice, bob].map(() => ({ code: 0, signal: null, forced: false })))
})

await test(`a ${mb(LAN_FILE_BYTES)} file whose receiver is SIGKILLed half way resumes from its offset after the restart, sending well under twice the file`, { skip, timeout: 600_000 }, async (t) => {
  const source = await tempDir(t, 'securechat-payload-')
  const payload = await makePayload(source, 'payload-200MiB-resumed.bin', LAN_FILE_BYTES)
  const { net, alice, bob } = await lanPair(t)
  const step = steps(t)

  const before = await txBytes(net, alice.host)
  const began = Date.now()
  let id = ''
  let killedAt = 0

  await step(`bob accepts, and is SIGKILLed once he has ${KILL_AT * 100} %`, async (st) => {
    id = await offerAndAccept(alice, bob, payload)
    const stall = watchStall(alice, bob, id)
    const trigger = await waitLine(bob.proc, line<ProgressLine>('progress', `${id} at ${KILL_AT * 100} %`, e => e.id === id && e.bytes >= KILL_AT * payload.size), { timeout: TRANSFER, signal: stall.signal })
      .finally(stall.stop)
    assert.deepEqual(await bob.proc.kill('SIGKILL'), { code: null, signal: 'SIGKILL' })
    killedAt = allLines(bob.proc, progressOf(id)).at(-1)?.bytes ?? trigger.bytes
    assert.ok(killedAt < payload.size, 'killed before the end')
    assert.equal(allLines(bob.proc, fileOf(id)).length, 0, 'bob had not finished')
    const partial = await stat(join(bob.downloads, '.partial', `${id}.part`))
    st.diagnostic(`killed at ${mb(killedAt)} (${(100 * killedAt / payload.size).toFixed(1)} %), ${((Date.now() - began) / 1000).toFixed(1)} s after the offer; partial file ${mb(partial.size)}`)
    assert.equal(allLines(alice.proc, fileOf(id)).length, 0, 'alice does not take the transfer for finished')
  })

  await step('bob restarts on his data dir: the download resumes by itself from his synced offset and completes, hashes equal', async (st) => {
    const aliceMark = alice.proc.mark()
    const restarted = Date.now()
    const back = await startNode(t, 'bob', bob.host, { again: bob })
    assert.equal(back.peerId, bob.peerId)
    bob.proc = back.proc
    const first = await waitLine(bob.proc, progressOf(id), { timeout: TRANSFER, what: `bob's first progress line of ${id} after the restart` })
    st.diagnostic(`first progress after the restart: ${mb(first.bytes)} (${(100 * first.bytes / payload.size).toFixed(1)} %), ${((Date.now() - restarted) / 1000).toFixed(1)} s after it; ${mb(killedAt - first.bytes)} fetched again`)
    assert.ok(first.bytes >= killedAt - SYNC_SLACK, `resumed at ${first.bytes} B, more than ${SYNC_SLACK} B behind the ${killedAt} B bob had when killed`)
    assert.ok(first.bytes >= (KILL_AT / 2) * payload.size, `resumed at ${first.bytes} B: not from its offset`)
    const resumedFrom = allLines(alice.proc, progressOf(id), aliceMark)[0]
    assert.ok(resumedFrom != null && resumedFrom.bytes >= killedAt - SYNC_SLACK, `alice's first progress line after the restart: ${JSON.stringify(resumedFrom)}`)

    const path = await bothComplete(alice, bob, id, { from: aliceMark })
    await assertLanded(bob, path, payload)
    for (const n of [alice, bob]) assertVia(n.proc, id, 'direct')
  })

  await step(`alice's interface sent less than ${RESUME_BUDGET} x the file in all`, async (st) => {
    const sent = await txBytes(net, alice.host) - before
    const seconds = (Date.now() - began) / 1000
    st.diagnostic(`alice's eth0 sent ${sent} B for a ${payload.size} B file: ${(sent / payload.size).toFixed(3)} x; ${seconds.toFixed(1)} s from the offer to the end, restart included`)
    assert.ok(sent >= payload.size, `alice's interface sent ${sent} B, less than the file`)
    assert.ok(sent < RESUME_BUDGET * payload.size, `alice's interface sent ${sent} B, ${(sent / payload.size).toFixed(3)} x the file`)
  })

  await step('both stop cleanly', async () => {
    const exits = await Promise.all([alice, bob].map(async n => n.proc.stop()))
    assert.deepEqual(exits, [alice, bob].map(() => ({ code: 0, signal: null, forced: false })))
  })
})

await test(`a ${mb(RELAY_FILE_BYTES)} file between two NATed nodes goes through the relay, past its ${mb(RELAY_DATA_LIMIT)} per-connection data limit`, { skip, timeout: 600_000 }, async (t) => {
  assert.ok(RELAY_FILE_BYTES > 2 * RELAY_DATA_LIMIT, `the file must be past the relay's data limit (${RELAY_DATA_LIMIT} B) twice`)
  const source = await tempDir(t, 'securechat-payload-')
  const payload = await makePayload(source, 'payload-40MiB-relayed.bin', RELAY_FILE_BYTES)

  const net = Topology.create({ t })
  const wan = await net.addBridge('wan')
  const [lanA, lanB] = await Promise.all([net.addBridge('lana'), net.addBridge('lanb')])
  const relayHost = await net.addHost('relay', { bridge: wan })
  const natA = await net.addRouter('nata', { lan: lanA, wan })
  const natB = await net.addRouter('natb', { lan: lanB, wan })
  const [aliceHost, bobHost] = await Promise.all([
    net.addHost('alice', { bridge: lanA, gateway: natA.lan.ip }),
    net.addHost('bob', { bridge: lanB, gateway: natB.lan.ip })
  ])
  // the relay's count of what it takes from alice's NAT and gives to bob's
  await net.run(relayHost, 'iptables', ['-A', 'INPUT', '-s', natA.wan.ip, '-p', 'tcp', '-m', 'comment', '--comment', 'from-alice'])
  await net.run(relayHost, 'iptables', ['-A', 'OUTPUT', '-d', natB.wan.ip, '-p', 'tcp', '-m', 'comment', '--comment', 'to-bob'])

  const step = steps(t)

  await step('the LANs reach the relay and not each other', async () => {
    assert.ok(await reachable(net, aliceHost, relayHost.ip), 'alice reaches the relay')
    assert.ok(await reachable(net, bobHost, relayHost.ip), 'bob reaches the relay')
    assert.ok(!await reachable(net, aliceHost, bobHost.ip), 'alice must not reach bob\'s LAN')
    assert.ok(!await reachable(net, bobHost, aliceHost.ip), 'bob must not reach alice\'s LAN')
  })

  const relay = await startRelay(t, relayHost)
  const [alice, bob] = await Promise.all([startNode(t, 'alice', aliceHost, { relays: [relay] }), startNode(t, 'bob', bobHost, { relays: [relay] })])
  await makeContacts(alice, bob)

  await step('the file arrives whole through the relay, over several relayed connections', async (st) => {
    const marks = { alice: alice.proc.mark(), bob: bob.proc.mark() }
    const counted = { in: await ruleBytes(net, relayHost, 'from-alice'), out: await ruleBytes(net, relayHost, 'to-bob') }
    const began = Date.now()
    const id = await offerAndAccept(alice, bob, payload)
    const path = await bothComplete(alice, bob, id, { from: marks.alice, to: marks.bob })
    const seconds = (Date.now() - began) / 1000
    await assertLanded(bob, path, payload)
    for (const n of [alice, bob]) assertVia(n.proc, id, 'relay')

    const relayed = { in: await ruleBytes(net, relayHost, 'from-alice') - counted.in, out: await ruleBytes(net, relayHost, 'to-bob') - counted.out }
    const connected = bob.proc.all(is('peer', { peerId: alice.peerId, status: 'connected' }), marks.bob)
    const cuts = resumes(bob.proc, alice.peerId, id, payload.size, marks.bob)
    st.diagnostic(`${mb(payload.size)} in ${seconds.toFixed(1)} s (${mb(payload.size / seconds)}/s); the relay took ${relayed.in} B from alice's NAT and gave ${relayed.out} B to bob's (${(relayed.out / payload.size).toFixed(3)} x the file)`)
    st.diagnostic(`${cuts.length} cut(s) of the relayed connection, ${connected.length} new relayed connection(s): ${cuts.map(c => `cut after ${mb(c.cut)} reported, resumed at ${c.resumed == null ? '?' : mb(c.resumed)}`).join('; ')}`)

    assert.ok(cuts.length >= 2, `the relay's data limit cut the relayed connection at least twice (${cuts.length})`)
    assert.ok(connected.length >= 2 && connected.every(e => e.connection === 'relayed'), JSON.stringify(connected))
    for (const c of cuts) {
      assert.ok(c.resumed != null && c.resumed >= c.cut - SYNC_SLACK, `after a cut at ${c.cut} B bob resumed at ${c.resumed} B: not from his offset`)
    }
    assert.ok(relayed.in >= payload.size && relayed.out >= payload.size, `the relay carried the file: ${JSON.stringify(relayed)}`)
    assert.ok(relayed.out > 2 * RELAY_DATA_LIMIT, 'more than two data limits\' worth went through the relay')
  })

  await step('all stop cleanly; nobody ever connected directly', async () => {
    for (const [node, other] of [[alice, bob], [bob, alice]] as const) {
      const direct = node.proc.all(where('peer', 'a direct connection', e => e.peerId === other.peerId && e.connection === 'direct'))
      assert.deepEqual(direct, [], `${node.name} must never connect directly to ${other.name}`)
    }
    const exits = await Promise.all([alice, bob].map(async n => n.proc.stop()))
    assert.deepEqual(exits, [alice, bob].map(() => ({ code: 0, signal: null, forced: false })))
    assert.deepEqual(await relay.proc.kill('SIGTERM'), { code: 0, signal: null }, relay.proc.diagnostics())
  })
})
