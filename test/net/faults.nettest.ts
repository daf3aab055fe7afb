/**
 * Reliable delivery under faults: no message lost or shown twice across
 * crashes, restarts, disconnects and offline peers. Two real
 * `securechat --json` processes, alice (A) and bob (B), each in its own
 * network namespace on one bridge, finding each other by mDNS; every
 * restart reuses the data dir and the port, so the peer id and the address
 * stay the same.
 *
 * 1. Receiver crashes: A gets a burst of 5,000 `/msg` lines on stdin as fast
 *    as the pipe takes them; B is SIGKILLed three times while the burst is
 *    being delivered and restarted each time, then A is SIGKILLed and
 *    restarted, and sends the part of the burst it had not taken yet.
 * 2. Network cuts: a burst of 1,000 while B's cable is pulled three times.
 * 3. Offline peer: A sends 100 messages, across one restart of its own,
 *    while B is stopped; B comes back later.
 *
 * Every scenario ends with the same check (`verify`): B's store holds every
 * message A stored for it exactly once and in A's order, A's store has every
 * one `delivered` and an empty outbox, `/history` at both ends agrees, and
 * the events of all incarnations never show an id twice. The stores are read
 * after both nodes have quit, through the store's own interface (values are
 * encrypted at rest, and `/history` shows at most the last 1,000).
 *
 * What a SIGKILL may lose is only output, never data: a record synced just
 * before the kill whose event was not printed yet. Each process handles one
 * command, one incoming message and one receipt at a time, so that is at
 * most one `pending` line and one `delivered` line per kill of A and one
 * `message` line per kill of B; the stores must still be complete.
 *
 * Durations and rates are printed as `# ...` lines; nothing asserts on them.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createStore } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'
import { is, where } from '../helpers/events.ts'
import type { ChatEvent, ChatEventType, EventOf, Matcher, ReadyEvent } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, cleanupStale, netnsSkip } from './netns.ts'
import type { Bridge, Host } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  // namespaces (and processes) left by an earlier, killed run
  await cleanupStale()
}

/** Generous bounds: two nodes on two cores, thousands of synced writes */
const START = 90_000
const CONNECT = 90_000
/** for a whole burst to be queued, or delivered, including every recovery */
const DRAIN = 300_000
/** for one step of progress (the next few messages) after a fault */
const PROGRESS = 120_000

/** every node listens on this port in its own namespace, across restarts */
const PORT = 4100

/** `/history` shows at most this many messages (src/cli/commands.ts) */
const HISTORY_MAX = 1000

/** for the `# ...` report lines */
function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function rate (messages: number, ms: number): string {
  return `${ms > 0 ? Math.round(messages * 1000 / ms) : messages} msg/s`
}

function report (line: string): void {
  console.log(`# ${line}`)
}

/** A matcher for the n-th event of a type (counted from `since` of the wait it is used in) */
function nth<K extends ChatEventType> (type: K, n: number, description = `${type} event #${n}`): Matcher<EventOf<K>> {
  let seen = 0
  const matcher: Matcher<EventOf<K>> = (event: ChatEvent): event is EventOf<K> => event.type === type && ++seen >= n
  matcher.description = description
  return matcher
}

/**
 * One chat node across its incarnations: each start spawns a process with
 * the same data dir, address and port, and checks that it kept its peer id.
 */
class Node {
  readonly runs: ChatProcess[] = []
  peerId = ''
  kills = 0

  constructor (
    readonly name: string,
    readonly host: Host,
    readonly dataDir: string,
    private readonly net: Topology,
    private readonly t: TestContext
  ) {}

  static async create (t: TestContext, net: Topology, bridge: Bridge, name: string): Promise<Node> {
    const host = await net.addHost(name, { bridge })
    const dataDir = await tempDir(t, `securechat-faults-${name}-`)
    return new Node(name, host, dataDir, net, t)
  }

  /** Pull (or plug back) the cable between this node's host and the bridge */
  async setLink (state: 'up' | 'down'): Promise<void> {
    await this.net.setLink(this.host, state)
  }

  /** The current (last started) process */
  get proc (): ChatProcess {
    const proc = this.runs.at(-1)
    if (proc == null) {
      throw new TypeError(`${this.name} was never started`)
    }
    return proc
  }

  async start (): Promise<ReadyEvent> {
    const proc = spawnChat({
      name: this.name,
      dataDir: this.dataDir,
      host: this.host.ip,
      ns: this.host,
      args: ['--port', String(PORT)],
      t: this.t
    })
    this.runs.push(proc)
    const ready = await proc.waitFor(is('ready'), { timeout: START })
    assert.ok(ready.addrs.includes(`/ip4/${this.host.ip}/tcp/${PORT}/p2p/${ready.peerId}`), `${this.name} listens on ${this.host.ip}:${PORT}: ${ready.addrs.join(' ')}`)
    if (this.peerId === '') {
      this.peerId = ready.peerId
    }
    assert.equal(ready.peerId, this.peerId, `${this.name} keeps its peer id across restarts`)
    return ready
  }

  /** SIGKILL the current process: no chance to flush, close or say goodbye */
  async crash (): Promise<void> {
    const exit = await this.proc.kill('SIGKILL')
    assert.equal(exit.signal, 'SIGKILL', `${this.name} died of the SIGKILL, not before it`)
    this.proc.assertClean()
    this.kills++
  }

  /** `/quit`, which must exit cleanly */
  async quit (): Promise<void> {
    const exit = await this.proc.stop(60_000)
    assert.deepEqual(exit, { code: 0, signal: null, forced: false }, `${this.name} quits cleanly`)
    this.proc.assertClean()
  }

  /** Events of every incarnation, in order */
  all<T extends ChatEvent> (match: Matcher<T>): T[] {
    return this.runs.flatMap(run => run.all(match))
  }
}

/**
 * Writes one `/msg` line per text to the process's stdin as fast as the pipe
 * takes them (waiting for 'drain' only when the stream asks to). Stops
 * early when the process dies; resolves with the number of lines written.
 */
async function feed (proc: ChatProcess, to: string, texts: readonly string[]): Promise<number> {
  const stdin = proc.child.stdin
  if (stdin == null) {
    throw new TypeError('the process has no stdin pipe')
  }
  let written = 0
  for (const text of texts) {
    if (stdin.destroyed || stdin.writableEnded) {
      break
    }
    written++
    if (!stdin.write(`/msg ${to} ${text}\n`)) {
      const done = new AbortController()
      await Promise.race([
        once(stdin, 'drain', { signal: done.signal }),
        once(stdin, 'close', { signal: done.signal }),
        proc.exited
      ]).catch(() => {}).finally(() => { done.abort() })
    }
  }
  return written
}

/** Messages with numbered texts: `<label> 0001`, ... */
function numbered (label: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${label} ${String(from + i).padStart(5, '0')}`)
}

/** Waits until a connection between the two is reported by `a` */
async function connected (a: Node, b: Node, since = 0): Promise<void> {
  await a.proc.waitFor(is('peer', { peerId: b.peerId, status: 'connected' }), { timeout: CONNECT, since })
}

/**
 * Waits until `a`'s outbox to `b` is empty, judged by the last message `a`
 * stored for `b`: the outbox drains in order, so once that one is
 * `delivered`, all are. Looks at `delivered` events first and at `/history`
 * (the store) too, in case the event was lost with a killed process.
 */
async function drained (a: Node, b: Node, lastId: string, timeout = DRAIN): Promise<void> {
  const deadline = Date.now() + timeout
  while (true) {
    if (a.all(is('delivered', { id: lastId })).length > 0) {
      return
    }
    const history = await a.proc.request(`/history ${b.peerId} 1`, is('history', { peer: b.peerId }), { timeout: 60_000 })
    const last = history.messages.at(-1)
    if (last?.id === lastId && last.status === 'delivered') {
      return
    }
    if (Date.now() > deadline) {
      throw new Error(`${a.name}'s message ${lastId} to ${b.name} not delivered within ${timeout} ms\n${a.proc.diagnostics()}\n${b.proc.diagnostics()}`)
    }
    await a.proc.waitFor(is('delivered', { id: lastId }), { timeout: 2_000 }).catch(() => undefined)
  }
}

/** What a scenario allows a SIGKILL to have taken from the output (see the header) */
interface Allowance {
  /** stored but `pending` not printed: one per kill of A */
  unannounced: number
  /** delivered but `delivered` not printed: one per kill of A */
  lostReceipts: number
  /** stored but `message` not printed: one per kill of B */
  lostMessages: number
}

/** Both stores, read after the nodes have quit */
async function readStore (node: Node, peer: Node): Promise<{ history: ChatMessage[], outbox: ChatMessage[] }> {
  const store = createStore({ dataDir: node.dataDir })
  await store.open()
  try {
    const history = await store.history(peer.peerId, { limit: Number.MAX_SAFE_INTEGER })
    const outbox = await store.pending(peer.peerId, { limit: Number.MAX_SAFE_INTEGER })
    return { history, outbox }
  } finally {
    await store.close()
  }
}

/** `a` sorted by the order of `order`'s ids; throws unless `a` is a subsequence of it */
function assertSubsequence (ids: readonly string[], order: readonly string[], what: string): void {
  const position = new Map(order.map((id, i) => [id, i]))
  let previous = -1
  for (const id of ids) {
    const at = position.get(id)
    assert.ok(at != null, `${what}: ${id} is not among A's messages`)
    assert.ok(at > previous, `${what}: ${id} out of order (position ${at} after ${previous})`)
    previous = at
  }
}

function assertUnique (ids: readonly string[], what: string): void {
  const seen = new Set<string>()
  const twice = ids.filter(id => seen.has(id) || (seen.add(id), false))
  assert.deepEqual(twice, [], `${what}: ids shown twice`)
}

/**
 * The end of every scenario: A's messages to B (`written`, in the order
 * they were typed, across A's incarnations) arrived exactly once, in order,
 * and are all delivered. Quits both nodes.
 */
async function verify (a: Node, b: Node, written: readonly string[], allow: Allowance): Promise<void> {
  // what the CLI shows at both ends, while they still run
  const bShows = await b.proc.request(`/history ${a.peerId} ${HISTORY_MAX}`, is('history', { peer: a.peerId }), { timeout: 60_000 })
  const aShows = await a.proc.request(`/history ${b.peerId} ${HISTORY_MAX}`, is('history', { peer: b.peerId }), { timeout: 60_000 })
  await b.quit()
  await a.quit()

  const aStore = await readStore(a, b)
  const bStore = await readStore(b, a)
  const sent = aStore.history.filter(m => m.direction === 'out')
  const received = bStore.history.filter(m => m.direction === 'in')
  const sentIds = sent.map(m => m.id)

  // A stored what it was told, in that order, and announced all but what a kill swallowed
  const writtenAt = new Map(written.map((text, i) => [text, i]))
  assertUnique(sent.map(m => m.text), 'A\'s store: texts')
  let previous = -1
  for (const m of sent) {
    const at = writtenAt.get(m.text)
    assert.ok(at != null && at > previous, `A's store: "${m.text}" was not typed, or not in this order`)
    previous = at
  }
  const pending = a.all(is('pending', { to: b.peerId }))
  assertUnique(pending.map(e => e.id), 'A\'s pending events')
  assertSubsequence(pending.map(e => e.id), sentIds, 'A\'s pending events')
  const announced = new Set(pending.map(e => e.id))
  const unannounced = sent.filter(m => !announced.has(m.id))
  assert.ok(unannounced.length <= allow.unannounced, `A stored ${unannounced.length} message(s) it never announced: ${unannounced.map(m => m.text).join(', ')}`)

  // A: everything delivered, nothing left to send
  assert.deepEqual(sent.filter(m => m.status !== 'delivered').map(m => `${m.text}: ${m.status}`), [], 'A\'s store: messages not delivered')
  assert.deepEqual(aStore.outbox.map(m => m.text), [], 'A\'s outbox after the drain')

  // B: every one of them, exactly once, in A's order
  assertUnique(received.map(m => m.id), 'B\'s store')
  assert.deepEqual(
    received.map(m => ({ id: m.id, from: m.from, text: m.text })),
    sent.map(m => ({ id: m.id, from: a.peerId, text: m.text })),
    'B\'s store holds A\'s messages exactly once, in A\'s order')

  // the CLI's view: the last (up to) 1,000 at each end
  const bShown = bShows.messages.filter(m => m.direction === 'in')
  assertUnique(bShows.messages.map(m => m.id), 'B\'s /history')
  assert.deepEqual(bShown.map(m => m.id), sentIds.slice(sentIds.length - bShown.length), 'B\'s /history: the newest of A\'s messages, in order')
  assert.equal(bShown.length, Math.min(sent.length, HISTORY_MAX - bShows.messages.filter(m => m.direction === 'out').length), 'B\'s /history is full')
  const aShown = aShows.messages.filter(m => m.direction === 'out')
  assert.deepEqual(aShown.map(m => m.id), sentIds.slice(sentIds.length - aShown.length), 'A\'s /history: its newest messages, in order')
  assert.deepEqual(aShown.filter(m => m.status !== 'delivered').map(m => m.text), [], 'A\'s /history: statuses')

  // B's `message` events of all incarnations: never an id twice, in order, all but what kills swallowed
  const shown = b.all(where('message', `from ${a.name}`, e => e.from === a.peerId))
  assertUnique(shown.map(e => e.id), 'B\'s message events')
  assertSubsequence(shown.map(e => e.id), sentIds, 'B\'s message events')
  const textOf = new Map(sent.map(m => [m.id, m.text]))
  assert.deepEqual(shown.filter(e => e.text !== textOf.get(e.id)).map(e => e.id), [], 'B\'s message events: texts')
  const lostMessages = sent.length - shown.length
  assert.ok(lostMessages <= allow.lostMessages, `B never showed ${lostMessages} message(s) (allowed: ${allow.lostMessages})`)

  // A's receipts of all incarnations: once each, in order, all but what kills swallowed
  const receipts = a.all(is('delivered', { to: b.peerId }))
  assertUnique(receipts.map(e => e.id), 'A\'s delivered events')
  assertSubsequence(receipts.map(e => e.id), sentIds, 'A\'s delivered events')
  const lostReceipts = sent.length - receipts.length
  assert.ok(lostReceipts <= allow.lostReceipts, `A never reported ${lostReceipts} message(s) delivered (allowed: ${allow.lostReceipts})`)

  report(`verified ${sent.length} messages: B stored each once in A's order; A: all delivered, outbox empty; ` +
    `unprinted after kills: ${unannounced.length} pending, ${lostReceipts} delivered, ${lostMessages} message`)
  const errors = [...a.all(is('error')), ...b.all(is('error'))].map(e => e.code)
  report(`error events: ${errors.length === 0 ? 'none' : Object.entries(Object.groupBy(errors, c => c)).map(([c, l]) => `${c} x${l?.length}`).join(', ')}`)
}

/** Starts A and B on one bridge and waits until A is connected to B */
async function pair (t: TestContext): Promise<{ a: Node, b: Node }> {
  const net = Topology.create({ t })
  const lan = await net.addBridge('lan')
  const a = await Node.create(t, net, lan, 'alice')
  const b = await Node.create(t, net, lan, 'bob')
  await Promise.all([a.start(), b.start()])
  await connected(a, b)
  return { a, b }
}

await test('receiver SIGKILLed three times, then sender SIGKILLed, during a 5,000 message burst', { skip, timeout: 600_000 }, async (t) => {
  const BURST = 5000
  /** messages B must receive in each incarnation before the next kill */
  const STRIDE = 250
  const B_KILLS = 3

  const { a, b } = await pair(t)
  const burst = numbered('crash burst', BURST)
  const began = Date.now()
  const feeding = feed(a.proc, b.peerId, burst)

  for (let kill = 1; kill <= B_KILLS; kill++) {
    await b.proc.waitFor(nth('message', STRIDE, `${STRIDE} messages in this run`), { timeout: PROGRESS })
    const killedAt = Date.now()
    const queued = a.proc.all(is('pending')).length
    await b.crash()
    await b.start()
    const up = Date.now()
    await b.proc.waitFor(is('message'), { timeout: PROGRESS })
    report(`B kill ${kill} at ${seconds(killedAt - began)} (A had queued ${queued}): restarted in ${seconds(up - killedAt)}, receiving again ${seconds(Date.now() - up)} later`)
  }

  // A dies while it is still taking the burst (if the burst lasts that long)
  await b.proc.waitFor(nth('message', STRIDE, `${STRIDE} messages in this run`), { timeout: PROGRESS })
  const aKilledAt = Date.now()
  await a.crash()
  const written = await feeding
  const before = a.runs[0]?.all(is('pending')) ?? []
  const announced = before.length
  assert.deepEqual(before.map(e => e.text), burst.slice(0, announced), 'A took the burst in order, every line')
  const receipts = a.all(is('delivered')).length
  report(`A kill at ${seconds(aKilledAt - began)}: it had queued ${announced} (${rate(announced, aKilledAt - began)}), ` +
    `${receipts} delivered, ${written - announced} line(s) written to its stdin not taken` +
    (announced === BURST ? ' (note: the whole burst was queued before the kill)' : ''))

  await a.start()
  const aUp = Date.now()
  // its outbox resumes from the store: the receipts go on without any new command
  if (receipts < announced) {
    await a.proc.waitFor(is('delivered'), { timeout: PROGRESS })
    report(`A restarted in ${seconds(aUp - aKilledAt)}, first receipt ${seconds(Date.now() - aUp)} later`)
  }

  // the rest of the burst, which A never took, goes in the new run
  const rest = numbered('crash after-restart', BURST - announced, announced + 1)
  const restStarted = Date.now()
  assert.equal(await feed(a.proc, b.peerId, rest), rest.length)
  if (rest.length > 0) {
    await a.proc.waitFor(nth('pending', rest.length, `all ${rest.length} pending after the restart`), { timeout: DRAIN })
    report(`A queued the ${rest.length} remaining after its restart in ${seconds(Date.now() - restStarted)}`)
  }

  // the last message A stored for B: once it is delivered, all are
  const newest = await a.proc.request(`/history ${b.peerId} 1`, is('history', { peer: b.peerId }), { timeout: 60_000 })
  const lastId = newest.messages.at(-1)?.id
  assert.ok(lastId != null, 'A has messages for B')
  await drained(a, b, lastId)
  const total = Date.now() - began
  const count = announced + rest.length
  report(`crash scenario: ${count} messages delivered in ${seconds(total)} from the first /msg, ${rate(count, total)} overall, through ${b.kills} kills of B and ${a.kills} of A`)

  await verify(a, b, [...burst, ...rest], { unannounced: a.kills, lostReceipts: a.kills, lostMessages: b.kills })
})

await test('receiver\'s cable pulled three times during a 1,000 message burst', { skip, timeout: 600_000 }, async (t) => {
  const BURST = 1000
  const STRIDE = 150
  /** how long each cut lasts: shorter and longer than the 15 s send timeout */
  const CUTS_MS = [3_000, 20_000, 8_000]

  const { a, b } = await pair(t)
  const burst = numbered('cut burst', BURST)
  const began = Date.now()
  const feeding = feed(a.proc, b.peerId, burst)

  for (const [i, ms] of CUTS_MS.entries()) {
    await b.proc.waitFor(nth('message', STRIDE, `${STRIDE} more messages`), { timeout: PROGRESS, since: b.proc.mark() })
    const cutAt = Date.now()
    const received = b.proc.all(is('message')).length
    await b.setLink('down')
    await sleep(ms)
    const mark = b.proc.mark()
    await b.setLink('up')
    const up = Date.now()
    await b.proc.waitFor(is('message'), { timeout: PROGRESS, since: mark })
    report(`cut ${i + 1} at ${seconds(cutAt - began)} (B had ${received}) for ${seconds(ms)}: receiving again ${seconds(Date.now() - up)} after the cable was back`)
  }

  assert.equal(await feeding, BURST)
  const last = await a.proc.waitFor(nth('pending', BURST, `all ${BURST} pending`), { timeout: DRAIN })
  await drained(a, b, last.id)
  const total = Date.now() - began
  report(`cut scenario: ${BURST} messages delivered in ${seconds(total)} from the first /msg, ${rate(BURST, total)} overall, cables out for ${seconds(CUTS_MS.reduce((s, x) => s + x, 0))}`)

  await verify(a, b, burst, { unannounced: 0, lostReceipts: 0, lostMessages: 0 })
})

await test('an offline receiver gets what was sent while it was away, across a restart of the sender', { skip, timeout: 600_000 }, async (t) => {
  const COUNT = 100
  const { a, b } = await pair(t)

  // they have met: each knows the other's peer id, name and address
  const hello = await a.proc.request(`/msg ${b.peerId} offline hello`, is('pending', { text: 'offline hello' }))
  await a.proc.waitFor(is('delivered', { id: hello.id }), { timeout: PROGRESS })
  const hi = await b.proc.request(`/msg ${a.peerId} offline hi`, is('pending', { text: 'offline hi' }))
  await b.proc.waitFor(is('delivered', { id: hi.id }), { timeout: PROGRESS })
  await b.quit()
  await a.quit()

  // A, in a new session, sends half while B is away, restarts, sends the other half
  const texts = numbered('offline', COUNT)
  const halves = [texts.slice(0, COUNT / 2), texts.slice(COUNT / 2)]
  for (const half of halves) {
    await a.start()
    assert.equal(await feed(a.proc, b.peerId, half), half.length)
    await a.proc.waitFor(nth('pending', half.length, `all ${half.length} pending`), { timeout: PROGRESS })
    // a delivery attempt failed: B is really away
    await a.proc.waitFor(is('error', { peer: b.peerId }), { timeout: PROGRESS })
    assert.equal(a.proc.all(is('delivered')).length, 0, 'nothing delivered while B is away')
    if (half !== halves.at(-1)) {
      await a.quit()
    }
  }

  await b.start()
  const up = Date.now()
  const last = a.all(is('pending')).at(-1)
  assert.ok(last != null)
  await drained(a, b, last.id, PROGRESS)
  const took = Date.now() - up
  report(`offline scenario: ${COUNT} queued messages delivered ${seconds(took)} after B started (${rate(COUNT, took)}, including discovery)`)

  await verify(a, b, ['offline hello', ...texts], { unannounced: 0, lostReceipts: 0, lostMessages: 0 })
  // B's last run showed exactly the 100, in order
  assert.deepEqual(b.proc.all(is('message')).map(e => e.text), texts)
})
