/**
 * Reliable delivery under faults: no message lost or shown twice across
 * crashes, restarts, disconnects and offline peers. Two real
 * `securechat --json` processes, alice (A) and bob (B), each in its own
 * network namespace on one bridge, finding each other by mDNS; every
 * restart reuses the data dir and the port, so the peer id and the address
 * stay the same. Read receipts are on (the default): B's CLI acknowledges
 * every message it shows, so B sends too.
 *
 * 1. Crashes (`crashScenario`): A gets a burst of `/msg` lines on stdin as
 *    fast as the pipe takes them; B is SIGKILLed `kills` times while the
 *    burst is being delivered and restarted each time, then A is SIGKILLed
 *    and restarted, and sends the part of the burst it had not taken yet.
 * 2. Network cuts (`cutScenario`): a burst while B's cable is pulled, once
 *    per entry of `cuts`: for a number of milliseconds, or ('timeout') until
 *    A reports that its sends to B failed, which is when it found the link
 *    dead (libp2p's connection monitor, or the 15 s send timeout of
 *    src/protocol/constants.ts, whichever comes first): it then gives up on
 *    messages B may already have stored, and must resend them, once.
 * 3. Offline peer (`offlineScenario`): A sends messages, across one restart
 *    of its own, while B is stopped; B comes back later.
 *
 * Every scenario ends with the same check (`verify`): B's store holds every
 * message A stored for it exactly once and in A's order, A's store has every
 * one delivered (or read) and an empty outbox, `/history` at both ends
 * agrees, and the events of all incarnations never show an id twice. The
 * stores are read after both nodes have quit, through the store's own
 * interface (values are encrypted at rest, and `/history` shows at most the
 * last 1,000). Its findings are the scenario's verdict; a node that crashes
 * on its own, a timeout or a kill that misfires throws instead.
 *
 * What a SIGKILL may lose is only output, never data: a record synced just
 * before the kill whose event was not printed yet. Each process takes one
 * command, stores one incoming message and one receipt at a time, so that is
 * at most one `pending` line and one `delivered` line per kill of A and one
 * `message` line per kill of B; the stores must still be complete.
 *
 * Two users: `runFaults()` (the soak of `npm run bench`, through bench/run.ts,
 * or alone: `node --experimental-transform-types bench/faults.ts`) runs the
 * crash and the cut scenario at full size, 5,000 and 1,000 messages, and
 * writes `faults-<ISO date>.json` under bench/results/; and
 * test/net/faults.nettest.ts, which runs each scenario short in `npm test`.
 * Needs root (network namespaces), like the test. Durations and rates are
 * reported; nothing asserts on them.
 */
import assert, { AssertionError } from 'node:assert/strict'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { MAX_IN_FLIGHT } from '../src/protocol/constants.ts'
import { createStore } from '../src/store/index.ts'
import { is, where } from '../test/helpers/events.ts'
import { spawnChat } from '../test/helpers/process.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { Topology, cleanupStale, netnsAvailable } from '../test/net/netns.ts'
import { cliOptions, machineLine, printResult, toStderr } from './cli.ts'
import { countOptions, saveResult } from './common.ts'
import type { ChatMessage } from '../src/types.ts'
import type { ChatEvent, ChatEventType, EventOf, HistoryEvent, Matcher, ReadEvent, ReadyEvent } from '../test/helpers/events.ts'
import type { ChatProcess, WaitOptions } from '../test/helpers/process.ts'
import type { Bridge, Host } from '../test/net/netns.ts'
import type { Machine } from './common.ts'

/** Generous bounds: two nodes on two cores, thousands of synced writes */
const START = 90_000
const CONNECT = 90_000
/** for a whole burst to be queued, or delivered, including every recovery */
const DRAIN = 300_000
/** for one step of progress (the next few messages) after a fault */
const PROGRESS = 120_000
/** for one `/history` answer */
const ANSWER = 60_000

/** every node listens on this port in its own namespace, across restarts */
const PORT = 4100

/** `/history` shows at most this many messages (src/cli/chat/commands.ts) */
const HISTORY_MAX = 1000

/** statuses of a message the peer has stored */
const DELIVERED = new Set(['delivered', 'read'])

/** Where a scenario registers its cleanup: a node:test TestContext, or runFaults' own list */
export interface Cleanup {
  after: (fn: () => unknown) => void
}

export interface ScenarioContext {
  t: Cleanup
  /** progress lines, for humans and CI logs; default none */
  log?: (line: string) => void
}

export interface CrashOptions {
  /** messages in the burst; @default 5000 */
  messages?: number
  /** SIGKILLs of the receiver during the burst (the sender is SIGKILLed once after them); @default 3 */
  kills?: number
  /** messages the receiver takes in each run before it (or, after its last run, the sender) is killed; @default 250 */
  stride?: number
}

/** How long one cut lasts: milliseconds, or until the sender reports its sends to the receiver failed */
export type Cut = number | 'timeout'

export interface CutOptions {
  /** messages in the burst; @default 1000 */
  messages?: number
  /** one cable cut each, in turn; the default's are shorter and longer than the 15 s send timeout; @default [3000, 20000, 8000] */
  cuts?: Cut[]
  /** messages the receiver takes before each cut; @default 150 */
  stride?: number
}

export interface OfflineOptions {
  /** messages sent while the receiver is away, half before and half after a restart of the sender; @default 100 */
  messages?: number
}

/** The end-of-scenario check: everything delivered, stored once, in order */
export interface Verdict {
  ok: boolean
  /** each failed check, with its assertion message; empty when ok */
  problems: string[]
}

export interface ScenarioResult {
  scenario: 'crash' | 'cut' | 'offline'
  /** messages A stored for B, all of which had to arrive */
  messages: number
  kills: { sender: number, receiver: number }
  /** each cut's real length in ms, in turn */
  cuts: number[]
  /** from the first `/msg` of the burst (offline: B's start) to the last message delivered */
  durationMs: number
  /** messages per second over durationMs */
  rate: number
  /** output a SIGKILL swallowed (allowed, see the header): `pending`, `delivered` and `message` lines never printed */
  unprinted: { pending: number, delivered: number, message: number }
  verdict: Verdict
  /** the progress lines of the run, also given to `log` */
  notes: string[]
}

export interface FaultsOptions {
  crash?: CrashOptions
  cut?: CutOptions
  /** where `faults-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
  /** progress lines; default none */
  log?: (line: string) => void
}

export interface FaultsResult {
  date: string
  machine: Machine
  options: { crash: Required<CrashOptions>, cut: Required<CutOptions> }
  crash: ScenarioResult
  cut: ScenarioResult
  /** both verdicts ok */
  ok: boolean
  /** the JSON file written */
  file: string
}

function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function perSecond (messages: number, ms: number): number {
  return ms > 0 ? messages * 1000 / ms : messages
}

function rate (messages: number, ms: number): string {
  return `${Math.round(perSecond(messages, ms))} msg/s`
}

/** Matches the n-th event of a type, counting from the `since` of the wait it is given to */
function nth<K extends ChatEventType> (type: K, n: number, description = `${type} event #${n}`): Matcher<EventOf<K>> {
  let seen = 0
  const matcher: Matcher<EventOf<K>> = (event: ChatEvent): event is EventOf<K> => event.type === type && ++seen >= n
  matcher.description = description
  return matcher
}

/** Messages with numbered texts: `<label> 00001`, ... */
function numbered (label: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${label} ${String(from + i).padStart(5, '0')}`)
}

/** Assertions that do not stop the run: each failure becomes one problem of the verdict */
class Checks {
  readonly problems: string[] = []

  check (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      if (!(err instanceof AssertionError)) throw err
      this.problems.push(err.message)
    }
  }

  verdict (): Verdict {
    return { ok: this.problems.length === 0, problems: [...this.problems] }
  }
}

/**
 * The nodes of one scenario. A process that exits while nobody is stopping
 * it fails whatever the scenario is waiting for, at once, with its stderr.
 */
class Scenario {
  readonly nodes: Node[] = []
  readonly notes: string[] = []
  readonly checks = new Checks()
  private readonly crashed: Promise<never>
  private readonly reject: (err: Error) => void

  constructor (readonly ctx: ScenarioContext, readonly net: Topology) {
    const { promise, reject } = Promise.withResolvers<never>()
    promise.catch(() => {})
    this.crashed = promise
    this.reject = reject
  }

  /** A and B on one bridge, started, A connected to B, contacts of each other */
  static async pair (ctx: ScenarioContext): Promise<{ a: Node, b: Node, scenario: Scenario }> {
    const scenario = new Scenario(ctx, Topology.create({ t: ctx.t }))
    const lan = await scenario.net.addBridge('lan')
    const a = await scenario.add(lan, 'alice')
    const b = await scenario.add(lan, 'bob')
    await Promise.all([a.start(), b.start()])
    await a.waitFor(is('peer', { peerId: b.peerId, status: 'connected' }), { timeout: CONNECT })
    // contacts of each other: thousands of messages are no message requests (those stop at the quarantine's bound)
    await a.proc.request(`/accept ${b.peerId}`, is('accepted', { peerId: b.peerId }))
    await b.proc.request(`/accept ${a.peerId}`, is('accepted', { peerId: a.peerId }))
    return { a, b, scenario }
  }

  async add (bridge: Bridge, name: string): Promise<Node> {
    const host = await this.net.addHost(name, { bridge })
    const dataDir = await tempDir(this.ctx.t, `securechat-faults-${name}-`)
    const node = new Node(this, name, host, dataDir)
    this.nodes.push(node)
    return node
  }

  /** One line of the report */
  report (line: string): void {
    this.notes.push(line)
    this.ctx.log?.(line)
  }

  crash (err: Error): void {
    this.reject(err)
  }

  /** `promise`, unless a node crashes first; a failure also shows the other nodes */
  async guard<T> (promise: Promise<T>): Promise<T> {
    try {
      return await Promise.race([promise, this.crashed])
    } catch (err) {
      if (err instanceof Error && !err.message.includes('\n  other nodes:')) {
        err.message += `\n  other nodes:\n${this.nodes.map(n => n.runs.at(-1)?.diagnostics(5, 1500) ?? '').join('\n')}`
      }
      throw err
    }
  }
}

/**
 * One chat node across its incarnations: each start spawns a process with
 * the same data dir, address and port, and checks that it kept its peer id.
 */
class Node {
  readonly runs: ChatProcess[] = []
  peerId = ''
  kills = 0
  private stopping = false

  constructor (
    private readonly scenario: Scenario,
    readonly name: string,
    readonly host: Host,
    readonly dataDir: string
  ) {}

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
      t: this.scenario.ctx.t
    })
    this.runs.push(proc)
    this.stopping = false
    void proc.exited.then(exit => {
      if (!this.stopping && this.runs.at(-1) === proc) {
        this.scenario.crash(new Error(`${this.name} exited on its own (code ${exit.code}, signal ${exit.signal})\n${proc.diagnostics(10, 8000)}`))
      }
    })
    const ready = await this.waitFor(is('ready'), { timeout: START })
    assert.ok(ready.addrs.includes(`/ip4/${this.host.ip}/tcp/${PORT}/p2p/${ready.peerId}`), `${this.name} listens on ${this.host.ip}:${PORT}: ${ready.addrs.join(' ')}`)
    if (this.peerId === '') {
      this.peerId = ready.peerId
    }
    assert.equal(ready.peerId, this.peerId, `${this.name} keeps its peer id across restarts`)
    return ready
  }

  /** SIGKILL the current process: no chance to flush, close or say goodbye */
  async crash (): Promise<void> {
    this.stopping = true
    const exit = await this.proc.kill('SIGKILL')
    assert.equal(exit.signal, 'SIGKILL', `${this.name} died of the SIGKILL, not before it`)
    this.proc.assertClean()
    this.kills++
  }

  /** `/quit`, which must exit cleanly */
  async quit (): Promise<void> {
    this.stopping = true
    const exit = await this.proc.stop(60_000)
    assert.deepEqual(exit, { code: 0, signal: null, forced: false }, `${this.name} quits cleanly\n${this.proc.diagnostics(5, 8000)}`)
    this.proc.assertClean()
  }

  /** An event of the current process (see ChatProcess.waitFor), unless a node crashes first */
  async waitFor<T extends ChatEvent> (match: Matcher<T>, options: WaitOptions = {}): Promise<T> {
    return this.scenario.guard(this.proc.waitFor(match, options))
  }

  /** Send a command to the current process and wait for its answer, unless a node crashes first */
  async request<T extends ChatEvent> (line: string, match: Matcher<T>, options: Omit<WaitOptions, 'since'> = {}): Promise<T> {
    return this.scenario.guard(this.proc.request(line, match, options))
  }

  async history (peer: Node, limit: number): Promise<HistoryEvent> {
    return this.request(`/history ${peer.peerId} ${limit}`, is('history', { peer: peer.peerId }), { timeout: ANSWER })
  }

  /** Pull (or plug back) the cable between this node's host and the bridge */
  async setLink (state: 'up' | 'down'): Promise<void> {
    await this.scenario.net.setLink(this.host, state)
  }

  /** Events of every incarnation, in order */
  all<T extends ChatEvent> (match: Matcher<T>): T[] {
    return this.runs.flatMap(run => run.all(match))
  }

  /**
   * Writes one `/msg` line per text to stdin as fast as the pipe takes them
   * (waiting for 'drain' only when the stream asks to). Stops early when the
   * process dies; resolves with the number of lines written.
   */
  async feed (to: Node, texts: readonly string[]): Promise<number> {
    const proc = this.proc
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
      if (!stdin.write(`/msg ${to.peerId} ${text}\n`)) {
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

  /**
   * Waits until the outbox to `peer` is empty. The queue drains it in order,
   * but a read receipt may mark one of the newest messages (those of the
   * batch in flight) before the acks of the ones before it are processed;
   * so first the last message stored for `peer` must be delivered (seen in
   * a `delivered` event, or in `/history` in case the event went down with
   * a killed process), then all of the newest 1,000, far more than a batch.
   */
  async drained (peer: Node, lastId: string, timeout = DRAIN): Promise<void> {
    const deadline = Date.now() + timeout
    const expire = async (): Promise<void> => {
      if (Date.now() > deadline) {
        await this.scenario.guard(Promise.reject(new Error(`${this.name}'s messages to ${peer.name} not all delivered within ${timeout} ms`)))
      }
    }
    while (this.all(is('delivered', { id: lastId })).length === 0) {
      const last = (await this.history(peer, 1)).messages.at(-1)
      if (last?.id === lastId && DELIVERED.has(last.status ?? '')) {
        break
      }
      await expire()
      await this.waitFor(is('delivered', { id: lastId }), { timeout: 2_000 }).catch((err: Error) => {
        if (!/timed out/.test(err.message)) throw err
      })
    }
    while (true) {
      const outgoing = (await this.history(peer, HISTORY_MAX)).messages.filter(m => m.direction === 'out')
      assert.equal(outgoing.at(-1)?.id, lastId, `${this.name}'s last message to ${peer.name}`)
      if (outgoing.every(m => DELIVERED.has(m.status ?? ''))) {
        return
      }
      await expire()
      await sleep(500)
    }
  }

  /** The last message stored with `peer` */
  async newest (peer: Node): Promise<string> {
    const id = (await this.history(peer, 1)).messages.at(-1)?.id
    assert.ok(id != null, `${this.name} has messages with ${peer.name}`)
    return id
  }
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

/** Throws unless `ids` appear in `order`, in that order */
function assertSubsequence (ids: readonly string[], order: readonly string[], what: string): void {
  const position = new Map(order.map((id, i) => [id, i]))
  let previous = -1
  for (const id of ids) {
    const at = position.get(id)
    assert.ok(at != null, `${what}: ${id} is not one of A's messages`)
    assert.ok(at > previous, `${what}: ${id} out of order (position ${at} after ${previous})`)
    previous = at
  }
}

function assertUnique (ids: readonly string[], what: string): void {
  const seen = new Set<string>()
  const twice = ids.filter(id => seen.has(id) || (seen.add(id), false))
  assert.deepEqual(twice, [], `${what}: ids shown twice`)
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

interface Verified {
  /** A's messages to B in its store */
  messages: number
  unprinted: ScenarioResult['unprinted']
}

/**
 * The end of every scenario: A's messages to B (`typed`: every text A was
 * given, in order, across its incarnations) arrived exactly once, in order,
 * and are all delivered. Quits both nodes; what fails goes into the
 * scenario's checks.
 */
async function verify (scenario: Scenario, a: Node, b: Node, typed: readonly string[], allow: Allowance): Promise<Verified> {
  const { checks } = scenario
  // what the CLI shows at both ends, while they still run
  const bShows = await b.history(a, HISTORY_MAX)
  const aShows = await a.history(b, HISTORY_MAX)
  await b.quit()
  await a.quit()

  const aStore = await readStore(a, b)
  const bStore = await readStore(b, a)
  const sent = aStore.history.filter(m => m.direction === 'out')
  const received = bStore.history.filter(m => m.direction === 'in')
  const sentIds = sent.map(m => m.id)

  // A stored what it was given, in that order, and announced all but what a kill swallowed
  checks.check(() => {
    const typedAt = new Map(typed.map((text, i) => [text, i]))
    let previous = -1
    for (const m of sent) {
      const at = typedAt.get(m.text)
      assert.ok(at != null && at > previous, `A's store: "${m.text}" was not typed, or not in this order, or twice`)
      previous = at
    }
  })
  const pending = a.all(is('pending', { to: b.peerId }))
  checks.check(() => { assertUnique(pending.map(e => e.id), 'A\'s pending events') })
  checks.check(() => { assertSubsequence(pending.map(e => e.id), sentIds, 'A\'s pending events') })
  const announced = new Set(pending.map(e => e.id))
  const unannounced = sent.filter(m => !announced.has(m.id))
  checks.check(() => {
    assert.ok(unannounced.length <= allow.unannounced, `A stored ${unannounced.length} message(s) it never announced: ${unannounced.map(m => m.text).join(', ')}`)
  })

  // A: everything delivered, nothing left to send
  checks.check(() => {
    assert.deepEqual(sent.filter(m => !DELIVERED.has(m.status ?? '')).map(m => `${m.text}: ${m.status}`), [], 'A\'s store: messages not delivered')
  })
  checks.check(() => { assert.deepEqual(aStore.outbox.map(m => m.text), [], 'A\'s outbox after the drain') })

  // B: every one of them, exactly once, in A's order
  checks.check(() => { assertUnique(received.map(m => m.id), 'B\'s store') })
  checks.check(() => {
    assert.deepEqual(
      received.map(m => ({ id: m.id, from: m.from, text: m.text })),
      sent.map(m => ({ id: m.id, from: a.peerId, text: m.text })),
      'B\'s store holds A\'s messages exactly once, in A\'s order')
  })

  // the CLI's view: the newest (up to) 1,000 at each end
  checks.check(() => { assertUnique(bShows.messages.map(m => m.id), 'B\'s /history') })
  const bShown = bShows.messages.filter(m => m.direction === 'in')
  checks.check(() => {
    assert.equal(bShown.length, Math.min(sent.length, HISTORY_MAX - (bShows.messages.length - bShown.length)), 'B\'s /history is full')
  })
  checks.check(() => {
    assert.deepEqual(bShown.map(m => m.id), sentIds.slice(sentIds.length - bShown.length), 'B\'s /history: the newest of A\'s messages, in order')
  })
  const aShown = aShows.messages.filter(m => m.direction === 'out')
  checks.check(() => {
    assert.deepEqual(aShown.map(m => m.id), sentIds.slice(sentIds.length - aShown.length), 'A\'s /history: its newest messages, in order')
  })
  checks.check(() => {
    assert.deepEqual(aShown.filter(m => !DELIVERED.has(m.status ?? '')).map(m => `${m.text}: ${m.status}`), [], 'A\'s /history: statuses')
  })

  // B's `message` events of all incarnations: never an id twice, in order, all but what kills swallowed
  const shown = b.all(where('message', `from ${a.name}`, e => e.from === a.peerId))
  checks.check(() => { assertUnique(shown.map(e => e.id), 'B\'s message events') })
  checks.check(() => { assertSubsequence(shown.map(e => e.id), sentIds, 'B\'s message events') })
  const textOf = new Map(sent.map(m => [m.id, m.text]))
  checks.check(() => {
    assert.deepEqual(shown.filter(e => e.text !== textOf.get(e.id)).map(e => e.id), [], 'B\'s message events: texts')
  })
  const lostMessages = sent.length - shown.length
  checks.check(() => {
    assert.ok(lostMessages <= allow.lostMessages, `B never showed ${lostMessages} message(s) (allowed: ${allow.lostMessages})`)
  })

  // A's receipts of all incarnations: once each, all but what kills swallowed
  const receipts = a.all(is('delivered', { to: b.peerId }))
  checks.check(() => { assertUnique(receipts.map(e => e.id), 'A\'s delivered events') })
  const lostReceipts = sent.length - receipts.length
  checks.check(() => {
    assert.ok(lostReceipts <= allow.lostReceipts, `A never reported ${lostReceipts} message(s) delivered (allowed: ${allow.lostReceipts})`)
  })
  const reads = a.all(is('read')).filter((e: ReadEvent) => e.by === b.peerId)
  checks.check(() => { assertUnique(reads.map(e => e.id), 'A\'s read events') })

  scenario.report(`verified ${sent.length} messages: B stored each once, in A's order; A has all delivered (${sent.filter(m => m.status === 'read').length} read), its outbox empty; ` +
    `not printed because of kills: ${unannounced.length} pending, ${lostReceipts} delivered, ${lostMessages} message`)
  for (const node of [a, b]) {
    const errors = Object.entries(Object.groupBy(node.all(is('error')), e => String(e.code)))
    scenario.report(`${node.name}'s error events: ${errors.length === 0 ? 'none' : errors.map(([code, list = []]) => `${code} x${list.length} (first: ${JSON.stringify(list[0]?.message ?? '').slice(0, 160)})`).join(', ')}`)
  }
  return { messages: sent.length, unprinted: { pending: unannounced.length, delivered: lostReceipts, message: lostMessages } }
}

function result (scenario: Scenario, name: ScenarioResult['scenario'], a: Node, b: Node, cuts: number[], durationMs: number, verified: Verified): ScenarioResult {
  return {
    scenario: name,
    messages: verified.messages,
    kills: { sender: a.kills, receiver: b.kills },
    cuts,
    durationMs,
    rate: perSecond(verified.messages, durationMs),
    unprinted: verified.unprinted,
    verdict: scenario.checks.verdict(),
    notes: [...scenario.notes]
  }
}

function crashDefaults (options: CrashOptions): Required<CrashOptions> {
  return countOptions(options, { messages: 5000, kills: 3, stride: 250 })
}

function cutDefaults (options: CutOptions): Required<CutOptions> {
  const { messages, stride } = countOptions(options, { messages: 1000, stride: 150 })
  const resolved = { messages, cuts: options.cuts ?? [3_000, 20_000, 8_000], stride }
  for (const cut of resolved.cuts) {
    if (cut !== 'timeout' && !(Number.isSafeInteger(cut) && cut > 0)) {
      throw new TypeError(`a cut lasts a positive number of milliseconds or 'timeout', got ${String(cut)}`)
    }
  }
  if (resolved.cuts.length === 0) {
    throw new TypeError('the cut scenario needs at least one cut')
  }
  return resolved
}

/**
 * Scenario 1: B SIGKILLed `kills` times during the burst, each time after it
 * took `stride` messages in its run, then A SIGKILLed (still taking the
 * burst if the burst lasts that long) and restarted; the lines A never took
 * are typed again into its new run.
 */
export async function crashScenario (ctx: ScenarioContext, options: CrashOptions = {}): Promise<ScenarioResult> {
  const { messages, kills, stride } = crashDefaults(options)
  const { a, b, scenario } = await Scenario.pair(ctx)
  const burst = numbered('crash burst', messages)
  const began = Date.now()
  const feeding = a.feed(b, burst)

  for (let kill = 1; kill <= kills; kill++) {
    await b.waitFor(nth('message', stride, `${stride} messages in this run`), { timeout: PROGRESS })
    const killedAt = Date.now()
    const queued = a.proc.all(is('pending')).length
    await b.crash()
    await b.start()
    const up = Date.now()
    await b.waitFor(is('message'), { timeout: PROGRESS })
    scenario.report(`B kill ${kill} at ${seconds(killedAt - began)} (A had queued ${queued}): restarted in ${seconds(up - killedAt)}, receiving again ${seconds(Date.now() - up)} later`)
  }

  // then A dies, while still taking the burst if the burst lasts that long
  await b.waitFor(nth('message', stride, `${stride} messages in this run`), { timeout: PROGRESS })
  const aKilledAt = Date.now()
  await a.crash()
  const written = await feeding
  const before = a.proc.all(is('pending'))
  const announced = before.length
  scenario.checks.check(() => { assert.deepEqual(before.map(e => e.text), burst.slice(0, announced), 'A took the burst in order, every line') })
  const receipts = a.proc.all(is('delivered')).length
  scenario.report(`A kill at ${seconds(aKilledAt - began)}: it had queued ${announced} (${rate(announced, aKilledAt - began)}) and seen ${receipts} delivered; ` +
    `${written - announced} line(s) written to its stdin were never taken` +
    (announced === messages ? ' (note: the whole burst was queued before the kill)' : ''))

  await a.start()
  const aUp = Date.now()
  // its outbox resumes from the store, without any new command
  if (receipts < announced) {
    await a.waitFor(is('delivered'), { timeout: PROGRESS })
    scenario.report(`A restarted in ${seconds(aUp - aKilledAt)}, first delivered ${seconds(Date.now() - aUp)} later`)
  }

  // the rest of the burst, which A never took, goes to the new run
  const rest = numbered('crash after-restart', messages - announced, announced + 1)
  const restStarted = Date.now()
  assert.equal(await a.feed(b, rest), rest.length)
  if (rest.length > 0) {
    await a.waitFor(nth('pending', rest.length, `all ${rest.length} pending after the restart`), { timeout: DRAIN })
    scenario.report(`A queued the remaining ${rest.length} after its restart in ${seconds(Date.now() - restStarted)}`)
  }

  await a.drained(b, await a.newest(b))
  const total = Date.now() - began
  const count = announced + rest.length
  scenario.report(`crash scenario: ${count} messages delivered ${seconds(total)} after the first /msg, ${rate(count, total)} overall, through ${b.kills} kills of B and ${a.kills} of A`)

  // a kill of B can swallow the `message` lines of the run it had just stored (group commit:
  // at most one session's window); those messages are in B's store, checked, not lost
  const verified = await verify(scenario, a, b, [...burst, ...rest], { unannounced: a.kills, lostReceipts: a.kills, lostMessages: b.kills * MAX_IN_FLIGHT })
  return result(scenario, 'crash', a, b, [], total, verified)
}

/**
 * Scenario 2: B's cable pulled once per entry of `cuts` during the burst,
 * each time after B took `stride` more messages.
 */
export async function cutScenario (ctx: ScenarioContext, options: CutOptions = {}): Promise<ScenarioResult> {
  const { messages, cuts, stride } = cutDefaults(options)
  const { a, b, scenario } = await Scenario.pair(ctx)
  const burst = numbered('cut burst', messages)
  const began = Date.now()
  const feeding = a.feed(b, burst)
  const lengths: number[] = []

  for (const [i, cut] of cuts.entries()) {
    await b.waitFor(nth('message', stride, `${stride} more messages`), { timeout: PROGRESS, since: b.proc.mark() })
    const cutAt = Date.now()
    const received = b.proc.all(is('message')).length
    const aMark = a.proc.mark()
    await b.setLink('down')
    if (cut === 'timeout') {
      // as long as it takes A to find the link dead and fail its sends to B
      await a.waitFor(is('error', { peer: b.peerId }), { timeout: PROGRESS, since: aMark })
    } else {
      await sleep(cut)
    }
    const mark = b.proc.mark()
    await b.setLink('up')
    const up = Date.now()
    lengths.push(up - cutAt)
    await b.waitFor(is('message'), { timeout: PROGRESS, since: mark })
    scenario.report(`cut ${i + 1} at ${seconds(cutAt - began)} (B had ${received}) for ${seconds(up - cutAt)}${cut === 'timeout' ? ', until A reported its sends failed' : ''}: ` +
      `receiving again ${seconds(Date.now() - up)} after the cable was back`)
  }

  assert.equal(await feeding, messages)
  await a.waitFor(nth('pending', messages, `all ${messages} pending`), { timeout: DRAIN })
  await a.drained(b, await a.newest(b))
  const total = Date.now() - began
  scenario.report(`cut scenario: ${messages} messages delivered ${seconds(total)} after the first /msg, ${rate(messages, total)} overall, cable out for ${seconds(lengths.reduce((s, x) => s + x, 0))} of it`)

  const verified = await verify(scenario, a, b, burst, { unannounced: 0, lostReceipts: 0, lostMessages: 0 })
  return result(scenario, 'cut', a, b, lengths, total, verified)
}

/**
 * Scenario 3: A and B meet, then quit; A sends `messages` while B is away,
 * half of them before and half after a restart of its own; B comes back and
 * gets them all, in order.
 */
export async function offlineScenario (ctx: ScenarioContext, options: OfflineOptions = {}): Promise<ScenarioResult> {
  const { messages: count } = countOptions(options, { messages: 100 })
  const { a, b, scenario } = await Scenario.pair(ctx)

  // they have met: each knows the other's peer id, name and address
  const hello = await a.request(`/msg ${b.peerId} offline hello`, is('pending', { text: 'offline hello' }))
  await a.waitFor(is('delivered', { id: hello.id }), { timeout: PROGRESS })
  const hi = await b.request(`/msg ${a.peerId} offline hi`, is('pending', { text: 'offline hi' }))
  await b.waitFor(is('delivered', { id: hi.id }), { timeout: PROGRESS })
  await b.quit()
  await a.quit()

  // A, in a new session, sends half while B is away, restarts, sends the other half
  const texts = numbered('offline', count)
  const half = Math.ceil(count / 2)
  const halves = [texts.slice(0, half), texts.slice(half)].filter(h => h.length > 0)
  for (const [i, part] of halves.entries()) {
    await a.start()
    assert.equal(await a.feed(b, part), part.length)
    await a.waitFor(nth('pending', part.length, `all ${part.length} pending`), { timeout: PROGRESS })
    // a delivery attempt failed: B is really away
    await a.waitFor(is('error', { peer: b.peerId }), { timeout: PROGRESS })
    scenario.checks.check(() => { assert.equal(a.proc.all(is('delivered')).length, 0, 'nothing delivered while B is away') })
    if (i < halves.length - 1) {
      await a.quit()
    }
  }

  await b.start()
  const up = Date.now()
  await a.drained(b, await a.newest(b), PROGRESS)
  const took = Date.now() - up
  scenario.report(`offline scenario: ${count} queued messages delivered ${seconds(took)} after B started (${rate(count, took)}, discovery included)`)

  const verified = await verify(scenario, a, b, ['offline hello', ...texts], { unannounced: 0, lostReceipts: 0, lostMessages: 0 })
  // B's last run showed exactly these, in order
  scenario.checks.check(() => { assert.deepEqual(b.proc.all(is('message')).map(e => e.text), texts, 'B\'s last run showed the queued messages, in order') })
  return result(scenario, 'offline', a, b, [], took, verified)
}

/** Runs one scenario with its own cleanup list, emptied (processes killed, dirs removed, namespaces deleted) before it returns */
async function isolated (log: ((line: string) => void) | undefined, run: (ctx: ScenarioContext) => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const hooks: Array<() => unknown> = []
  const ctx: ScenarioContext = { t: { after: fn => { hooks.push(fn) } }, ...(log != null ? { log } : {}) }
  const cleanup = async (): Promise<unknown[]> => {
    const errors: unknown[] = []
    // last registered first: processes before their dirs, everything before the namespaces
    for (const hook of hooks.reverse()) {
      try {
        await hook()
      } catch (err) {
        errors.push(err)
      }
    }
    return errors
  }
  let outcome: ScenarioResult
  try {
    outcome = await run(ctx)
  } catch (err) {
    await cleanup()
    throw err
  }
  const errors = await cleanup()
  if (errors.length > 0) {
    throw new AggregateError(errors, `cleanup after the ${outcome.scenario} scenario failed`)
  }
  return outcome
}

/** The soak: the crash and the cut scenario at full size, one after the other; writes `faults-<ISO date>.json` */
export async function runFaults (init: FaultsOptions = {}): Promise<FaultsResult> {
  const options = { crash: crashDefaults(init.crash ?? {}), cut: cutDefaults(init.cut ?? {}) }
  const netns = await netnsAvailable()
  if (!netns.available) {
    throw new Error(`the faults benchmark needs network namespaces: ${netns.reason}`)
  }
  // namespaces (and processes) left by an earlier, killed run
  await cleanupStale()
  const crash = await isolated(init.log, async ctx => crashScenario(ctx, options.crash))
  const cut = await isolated(init.log, async ctx => cutScenario(ctx, options.cut))
  return saveResult('faults', {
    options,
    crash,
    cut,
    ok: crash.verdict.ok && cut.verdict.ok,
  }, init.resultsDir)
}

/** The stdout table: one row per scenario, then every problem found */
export function formatFaults (r: FaultsResult): string {
  const row = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(10) : c.padStart(i === cells.length - 1 ? 26 : 11)).join('')
  const line = (s: ScenarioResult): string => row([
    s.scenario,
    String(s.messages),
    `${s.kills.receiver} + ${s.kills.sender}`,
    s.cuts.length === 0 ? '-' : s.cuts.map(ms => (ms / 1000).toFixed(0)).join('+') + ' s',
    (s.durationMs / 1000).toFixed(1),
    s.rate.toFixed(0),
    s.verdict.ok ? 'once, in order, delivered' : `FAILED (${s.verdict.problems.length})`
  ])
  return [
    `faults: two securechat processes in network namespaces (${machineLine(r.machine)})`,
    row(['scenario', 'messages', 'kills B+A', 'cuts', 'seconds', 'msg/s', 'verdict']),
    line(r.crash),
    line(r.cut),
    ...[r.crash, r.cut].flatMap(s => s.verdict.problems.map(p => `${s.scenario}: ${p}`)),
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  const options = cliOptions({ crashMessages: 'number', kills: 'number', cutMessages: 'number', cuts: 'list' })
  const result = await printResult(runFaults({
    crash: { messages: options.crashMessages, kills: options.kills },
    cut: { messages: options.cutMessages, cuts: options.cuts?.map(c => c === 'timeout' ? c : Number(c)) },
    log: line => { toStderr(`# ${line}`) }
  }), formatFaults)
  process.exitCode = result.ok ? 0 : 1
}
