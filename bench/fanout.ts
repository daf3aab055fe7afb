/**
 * Fan-out (issue 10): one sender posts to a room with `members` other
 * members, against the same sender's direct messages to one of them,
 * measured in the same run on loopback.
 *
 * - The sender is a real securechat node in this process; the members are
 *   real nodes in `workers` processes of ten or so (bench/soak-peers.ts,
 *   driven by bench/soak.ts's PeerWorker), so that 50 receivers, each
 *   syncing every message to disk before its ack, do not share the
 *   sender's event loop. Every node joins the room with a cheap room
 *   secret (scrypt N = 2^10); the sender dials each member, both sides of
 *   every pair prove their membership, and each member accepts the
 *   sender's hello, so the sender is a contact of every member. The
 *   members count what they receive in their worker (`quiet`) and report it
 *   at the end, so that 50 messages a post do not cross IPC into this
 *   process while it is timed.
 * - direct latency: `send()` to its `delivered` event, one message at a
 *   time, to member 0.
 * - fan-out latency: `post()` to the `delivered` event of the last member
 *   (`delivered` fires once per member with `room` and `to`), one post at a
 *   time; the first member's `delivered` is recorded beside it.
 * - throughput: `inFlight` posts at a time (a new one as each is delivered
 *   to every member) for `throughputPosts` posts: posts/s, and member
 *   deliveries/s (posts/s × members); against the same sender's direct
 *   messages to member 0 with as many in flight.
 *
 * Ratios: fan-out latency / direct latency, and / (members × direct
 * latency): below 1 the members are served in parallel rather than one
 * after the other; member deliveries/s / direct msg/s: what one sender's
 * delivery capacity becomes when it is spread over a room (1 would be a
 * room delivery costing what a direct message costs).
 *
 * Verdict (`ok`): every post acknowledged by every member exactly once and
 * stored as `delivered`, every member received every post exactly once,
 * member 0 every direct message, and nothing stalled past `timeout`.
 *
 * Every latency sample goes into an HDR histogram (bench/common.ts); warm-up
 * samples are discarded. The CPU each part used (this process, the members'
 * processes) is read from /proc, as a share of one core.
 *
 * Run: npm run bench -- fanout (FANOUT_MEMBERS, FANOUT_POSTS, ...), or
 * node --experimental-transform-types bench/fanout.ts [--members N --posts N ...]
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { LoopbackNodes } from '../test/helpers/nodes.ts'
import { until } from '../test/helpers/node-events.ts'
import { cell, cliOptions, machineLine, printResult, ratioCell } from './cli.ts'
import { countOptions, loadAverage, percentilesOf, processCpuSeconds, sample, saveResult } from './common.ts'
import { PeerWorker } from './soak.ts'
import type { Machine, Percentiles } from './common.ts'
import type { PeerEvent, PeerTally } from './soak-peers.ts'
import type { ChatNode, ChatNodeEvents } from '../src/types.ts'

export interface FanoutOptions {
  /** room members besides the sender; @default 50 */
  members?: number
  /** posts timed one at a time; @default 200 */
  posts?: number
  /** direct messages timed one at a time; @default 500 */
  messages?: number
  /** samples of each latency part run first and discarded; @default 20 */
  warmup?: number
  /** posts of the throughput part; @default 400 */
  throughputPosts?: number
  /** direct messages of the throughput part; @default 2000 */
  throughputMessages?: number
  /** posts (or direct messages) in flight at once in the throughput parts; @default 16 */
  inFlight?: number
  /** text size in bytes; @default 200 */
  bytes?: number
  /** worker processes the members are spread over; @default one per 10 members */
  workers?: number
  /** seconds a post may take to reach every member before it counts as stalled; also the final drain; @default 30 */
  timeout?: number
  /** where `fanout-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
}

/** A part's CPU, as a share of one core over its wall time (1 = a core busy throughout) */
export interface PartCpu {
  /** this process: the sender */
  sender: number
  /** the members' worker processes together */
  members: number
}

/** One `error` event of the sender, and the part it came in */
export interface ErrorSample {
  part: Part
  /** ms since the parts began (in setup: since the sender started) */
  at: number
  code: string
  message: string
  peer?: string
}

type Part = 'setup' | 'directLatency' | 'fanoutLatency' | 'directThroughput' | 'fanoutThroughput' | 'drain'

/** What was sent and what arrived, counted on both sides */
export interface FanoutDeliveries {
  /** posts made, warm-up included */
  posts: number
  /** posts × members */
  expected: number
  /** distinct (post, member) pairs with a `delivered` event at the sender */
  acked: number
  /** expected and not acknowledged when the drain ended */
  unacked: number
  /** `delivered` events beyond the first of a (post, member) */
  duplicateAcks: number
  /** distinct (post, member) pairs that arrived at the member */
  received: number
  /** expected and not received by the member */
  missing: number
  /** received more than once */
  duplicated: number
  /** the sender's posts not stored as `delivered` once every member acked them */
  notDelivered: number
  /** direct messages sent to member 0, warm-up included, and how many it received and the sender saw acked */
  direct: { sent: number, received: number, acked: number }
  /** posts or direct messages that took longer than `timeout` */
  stalled: number
}

export interface FanoutResult {
  date: string
  machine: Machine
  /** the machine's 1-minute load average at the start and the end (other work skews every figure) */
  load: { start: number, end: number }
  options: Required<Omit<FanoutOptions, 'resultsDir'>>
  parts: {
    /** send() → delivered, one member, one message at a time */
    direct: Percentiles
    /** post() → the first member's delivered */
    fanoutFirst: Percentiles
    /** post() → the last member's delivered: the fan-out latency */
    fanout: Percentiles
  }
  rates: {
    /** direct messages/s to one member, `inFlight` at once */
    direct: number
    /** posts/s, `inFlight` at once, each delivered to every member */
    posts: number
    /** member deliveries/s: posts/s × members */
    memberDeliveries: number
  }
  ratios: {
    /** fan-out p50 / direct p50 */
    latencyP50ToDirect: number
    latencyP99ToDirect: number
    /** fan-out p50 / (members × direct p50): below 1, members are served in parallel */
    latencyP50ToSerial: number
    latencyP99ToSerial: number
    /** member deliveries/s / direct msg/s */
    deliveriesToDirect: number
    /** posts/s / direct msg/s */
    postsToDirect: number
  }
  cpu: { directLatency: PartCpu, fanoutLatency: PartCpu, directThroughput: PartCpu, fanoutThroughput: PartCpu }
  deliveries: FanoutDeliveries
  /** every post reached every member exactly once, acknowledged once; every direct message too; nothing stalled */
  ok: boolean
  /** `error` events by code: the sender's, and the members' together; the sender's first few in full, with the part they came in */
  errors: { sender: Record<string, number>, members: Record<string, number>, samples: ErrorSample[] }
  /** seconds: start, join, connect and prove membership; the four parts */
  timings: { setup: number, run: number }
  /** the JSON file written */
  file: string
}

/** 1 MiB room secrets: joining is cheap, which is all this needs of them */
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 }
const ROOM = 'fanout-bench'
const HELLO = 'fanout hello'
const MEMBERS_PER_WORKER = 10
const START_TIMEOUT = 120_000
const MS_PER_S = 1000
const ERROR_SAMPLES = 10

type Delivered = ChatNodeEvents['delivered']['detail']

/**
 * The sender's `delivered` events, by message id and member: how many of
 * each, when the first came, and promises for "delivered to n members". An
 * event may come before send() or post() has resolved, so every event is
 * kept, and a wait looks at what came before it started.
 */
class Acks {
  private readonly seen = new Map<string, Map<string, number>>()
  private readonly firstAt = new Map<string, number>()
  private readonly waiters = new Map<string, { need: number, done: () => void }>()

  readonly onDelivered = (evt: CustomEvent<Delivered>): void => {
    const { id, to } = evt.detail
    let members = this.seen.get(id)
    if (members == null) {
      members = new Map()
      this.seen.set(id, members)
      this.firstAt.set(id, performance.now())
    }
    members.set(to, (members.get(to) ?? 0) + 1)
    const waiter = this.waiters.get(id)
    if (waiter != null && members.size >= waiter.need) {
      this.waiters.delete(id)
      waiter.done()
    }
  }

  /** distinct members that acknowledged `id` */
  count (id: string): number {
    return this.seen.get(id)?.size ?? 0
  }

  /** when the first member acknowledged `id` (performance.now()), if one has */
  first (id: string): number | undefined {
    return this.firstAt.get(id)
  }

  /** whether `id` was acknowledged by `to` */
  has (id: string, to: string): boolean {
    return (this.seen.get(id)?.get(to) ?? 0) > 0
  }

  /** acknowledgements beyond the first, of `ids` */
  duplicates (ids: Iterable<string>): number {
    let extra = 0
    for (const id of ids) for (const n of this.seen.get(id)?.values() ?? []) extra += n - 1
    return extra
  }

  /** resolves true once `need` members acknowledged `id`, false after `ms` */
  async settled (id: string, need: number, ms: number): Promise<boolean> {
    if (this.count(id) >= need) return true
    const done = Promise.withResolvers<boolean>()
    const timer = setTimeout(() => { this.waiters.delete(id); done.resolve(false) }, ms)
    this.waiters.set(id, { need, done: () => { clearTimeout(timer); done.resolve(true) } })
    return done.promise
  }
}

/** runs `one` `total` times, `inFlight` at a time; ms from the first start to the last end */
async function windowed (total: number, inFlight: number, one: () => Promise<void>): Promise<number> {
  let started = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, async () => {
    while (started < total) {
      started++
      await one()
    }
  }))
  return performance.now() - start
}

/** runs `part`, with the CPU this process and the workers used meanwhile, each as a share of one core */
async function withCpu<T> (workers: PeerWorker[], part: () => Promise<T>): Promise<{ value: T, cpu: PartCpu }> {
  const membersCpu = async (): Promise<number> => {
    const seconds = await Promise.all(workers.map(async w => w.child.pid === undefined ? 0 : processCpuSeconds(w.child.pid).catch(() => 0)))
    return seconds.reduce((s, v) => s + v, 0)
  }
  const members = await membersCpu()
  const sender = process.cpuUsage()
  const start = performance.now()
  const value = await part()
  const wall = (performance.now() - start) / MS_PER_S
  const used = process.cpuUsage(sender)
  return { value, cpu: { sender: (used.user + used.system) / 1e6 / wall, members: (await membersCpu() - members) / wall } }
}

/**
 * The verdict on what was sent and what arrived: `tallies` from the
 * members (member 0 took the direct messages too), the sender's `acked` for
 * each (post, member), its posts' stored statuses
 */
export function countDeliveries (input: {
  postIds: readonly string[]
  members: readonly string[]
  tallies: readonly PeerTally[]
  acked: (id: string, member: string) => boolean
  duplicateAcks: number
  notDelivered: number
  direct: { sent: number, acked: number }
  stalled: number
}): { deliveries: FanoutDeliveries, ok: boolean } {
  const { postIds, members, tallies } = input
  let acked = 0
  for (const id of postIds) for (const m of members) if (input.acked(id, m)) acked++
  let received = 0
  let duplicated = 0
  const posted = new Set(postIds)
  for (let i = 0; i < members.length; i++) {
    const ids = tallies.find(t => t.index === i)?.room ?? []
    const distinct = new Set(ids.filter(id => posted.has(id)))
    received += distinct.size
    duplicated += ids.length - new Set(ids).size
  }
  const expected = postIds.length * members.length
  const directReceived = tallies.find(t => t.index === 0)?.direct ?? 0
  const deliveries: FanoutDeliveries = {
    posts: postIds.length,
    expected,
    acked,
    unacked: expected - acked,
    duplicateAcks: input.duplicateAcks,
    received,
    missing: expected - received,
    duplicated,
    notDelivered: input.notDelivered,
    direct: { sent: input.direct.sent, received: directReceived, acked: input.direct.acked },
    stalled: input.stalled
  }
  const ok = postIds.length > 0 && deliveries.unacked === 0 && deliveries.duplicateAcks === 0 && deliveries.missing === 0 &&
    deliveries.duplicated === 0 && deliveries.notDelivered === 0 && deliveries.stalled === 0 &&
    directReceived === input.direct.sent && input.direct.acked === input.direct.sent
  return { deliveries, ok }
}

function tally (counts: Record<string, number>, code: string): void {
  counts[code] = (counts[code] ?? 0) + 1
}

/** the sender, the members in their workers, and what they said */
class Room {
  readonly acks = new Acks()
  readonly errors = { sender: {} as Record<string, number>, members: {} as Record<string, number>, samples: [] as ErrorSample[] }
  /** the part running now, and when the parts began */
  part: Part = 'setup'
  partsStart = performance.now()
  readonly peers: Array<{ index: number, peerId: string, addr: string, worker: PeerWorker }> = []
  readonly proved = new Set<number>()
  readonly accepted = new Set<number>()
  readonly tallies: PeerTally[] = []
  readonly postIds: string[] = []
  readonly directIds: string[] = []
  stalled = 0
  private failed: Error | undefined

  constructor (readonly sender: ChatNode, readonly text: string, readonly timeout: number) {
    sender.addEventListener('delivered', this.acks.onDelivered)
    sender.addEventListener('error', (evt) => {
      const { code, message, peer } = evt.detail
      tally(this.errors.sender, code)
      if (this.errors.samples.length < ERROR_SAMPLES) {
        this.errors.samples.push({ part: this.part, at: Math.round(performance.now() - this.partsStart), code, message, ...(peer === undefined ? {} : { peer }) })
      }
    })
  }

  onPeerEvent = (e: PeerEvent): void => {
    if (e.type === 'member') this.proved.add(e.index)
    else if (e.type === 'accepted') this.accepted.add(e.index)
    else if (e.type === 'tally') this.tallies.push(...e.peers)
    else if (e.type === 'error') tally(this.errors.members, e.code)
    else if (e.type === 'failed') this.failed = new Error(`a member worker failed: ${e.message}`)
  }

  /** the members in the workers, in the room; the sender dials each, then both sides of every pair have proved membership */
  async start (workers: PeerWorker[], loaded: Array<Promise<unknown>>, members: number): Promise<void> {
    const per = Math.ceil(members / workers.length)
    const started = workers.map(async (worker, w) => {
      await loaded[w]
      const first = w * per
      const ready = worker.next('started', START_TIMEOUT)
      worker.command({ cmd: 'start', first, count: Math.max(0, Math.min(per, members - first)), hubId: this.sender.peerId, hello: HELLO, room: { name: ROOM, scrypt: SCRYPT }, quiet: true })
      return (await ready).peers.map(p => ({ ...p, worker }))
    })
    this.peers.push(...(await Promise.all(started)).flat().sort((a, b) => a.index - b.index))
    for (const p of this.peers) await this.sender.connect(p.addr)
    await until(`all ${members} members proved to the sender and the sender to each`, async () => {
      if (this.failed !== undefined) throw this.failed
      const online = (await this.sender.rooms()).find(r => r.name === ROOM)?.members.filter(m => m.online).length ?? 0
      return online === members && this.proved.size === members
    }, START_TIMEOUT)
  }

  get member0 (): string {
    return this.peers[0]?.peerId ?? ''
  }

  /**
   * Every member accepts the sender's hello, so the sender is a contact of
   * each: a member acks a stranger's direct messages only up to the
   * strangers' bound, and takes a room member's posts past a burst of 200
   * only at 1 a second unless it is a contact (src/delivery/room-quota.ts),
   * which would measure that limit and not the fan-out
   */
  async befriend (): Promise<void> {
    const hellos = await Promise.all(this.peers.map(async p => (await this.sender.send(p.peerId, HELLO)).id))
    await until(`all ${this.peers.length} members accepted the sender`, () => {
      if (this.failed !== undefined) throw this.failed
      return this.accepted.size === this.peers.length
    }, START_TIMEOUT)
    const acked = await Promise.all(hellos.map(async id => this.acks.settled(id, 1, this.timeout)))
    if (acked.includes(false)) throw new Error(`${acked.filter(a => !a).length} hellos were not acknowledged`)
  }

  /** one direct message to member 0, until its `delivered` */
  async direct (): Promise<void> {
    const { id } = await this.sender.send(this.member0, this.text)
    this.directIds.push(id)
    if (!await this.acks.settled(id, 1, this.timeout)) this.stalled++
  }

  /** one post, until every member's `delivered`; ms from post() to the first of them */
  async post (): Promise<number | undefined> {
    const start = performance.now()
    const { id } = await this.sender.post(ROOM, this.text)
    this.postIds.push(id)
    if (!await this.acks.settled(id, this.peers.length, this.timeout)) this.stalled++
    const first = this.acks.first(id)
    return first === undefined ? undefined : first - start
  }

  /** waits (at most `timeout`) for whatever is not yet acknowledged, then asks every worker what its members got */
  async drain (workers: PeerWorker[]): Promise<void> {
    const deadline = Date.now() + this.timeout * MS_PER_S
    const settled = (): boolean => this.postIds.every(id => this.acks.count(id) >= this.peers.length) && this.directIds.every(id => this.acks.count(id) >= 1)
    while (!settled() && Date.now() < deadline) await sleep(100)
    this.tallies.length = 0
    await Promise.all(workers.map(async w => {
      const told = w.next('tally', START_TIMEOUT)
      w.command({ cmd: 'tally' })
      await told
    }))
  }

  /** the posts of the sender not stored as `delivered` */
  async notDelivered (): Promise<number> {
    const mine = new Set(this.postIds)
    const history = await this.sender.roomHistory(ROOM, { limit: this.postIds.length })
    return this.postIds.length - history.filter(m => mine.has(m.id) && m.status === 'delivered').length
  }

  verdict (notDelivered: number): { deliveries: FanoutDeliveries, ok: boolean } {
    return countDeliveries({
      postIds: this.postIds,
      members: this.peers.map(p => p.peerId),
      tallies: this.tallies,
      acked: (id, member) => this.acks.has(id, member),
      duplicateAcks: this.acks.duplicates([...this.postIds, ...this.directIds]),
      notDelivered,
      direct: { sent: this.directIds.length, acked: this.directIds.filter(id => this.acks.count(id) >= 1).length },
      stalled: this.stalled
    })
  }
}

/** runs the four parts and writes `fanout-<ISO date>.json` */
export async function runFanout (init: FanoutOptions = {}): Promise<FanoutResult> {
  const members = init.members ?? 50
  const options = countOptions(init, {
    members,
    posts: 200,
    messages: 500,
    warmup: 20,
    throughputPosts: 400,
    throughputMessages: 2000,
    inFlight: 16,
    bytes: 200,
    workers: Math.ceil(members / MEMBERS_PER_WORKER),
    timeout: 30
  }, ['warmup'])
  if (options.workers > options.members) throw new TypeError(`workers must be at most members (${options.members}), got ${options.workers}`)

  const load = loadAverage()
  const loopback = new LoopbackNodes('securechat-bench-fanout-')
  let room: Room | undefined
  // the workers load their modules while the sender starts
  const workers = Array.from({ length: options.workers }, (_, w) => new PeerWorker(w, (e) => { room?.onPeerEvent(e) }))
  const loaded = workers.map(async w => w.next('loaded', START_TIMEOUT))
  try {
    const setupStart = performance.now()
    const sender = await loopback.start({ name: 'sender', rooms: { scrypt: SCRYPT } })
    await sender.join(ROOM)
    room = new Room(sender, 'x'.repeat(options.bytes), options.timeout * MS_PER_S)
    await room.start(workers, loaded, options.members)
    await room.befriend()
    const setup = (performance.now() - setupStart) / MS_PER_S

    const r = room
    const runStart = performance.now()
    r.partsStart = runStart
    const part = async <T>(name: Part, run: () => Promise<T>): Promise<{ value: T, cpu: PartCpu }> => {
      r.part = name
      return withCpu(workers, run)
    }
    const directLatency = await part('directLatency', async () => sample(options.messages, options.warmup, async () => r.direct()))
    const firsts: number[] = []
    const fanoutLatency = await part('fanoutLatency', async () => sample(options.posts, options.warmup, async (i) => {
      const first = await r.post()
      if (i >= options.warmup && first !== undefined) firsts.push(first)
    }))
    const directThroughput = await part('directThroughput', async () => windowed(options.throughputMessages, options.inFlight, async () => r.direct()))
    const fanoutThroughput = await part('fanoutThroughput', async () => windowed(options.throughputPosts, options.inFlight, async () => { await r.post() }))
    r.part = 'drain'
    await room.drain(workers)
    const run = (performance.now() - runStart) / MS_PER_S
    const { deliveries, ok } = room.verdict(await room.notDelivered())

    const direct = directLatency.value
    const fanout = fanoutLatency.value
    const directRate = options.throughputMessages / (directThroughput.value / MS_PER_S)
    const posts = options.throughputPosts / (fanoutThroughput.value / MS_PER_S)
    const memberDeliveries = posts * options.members
    return await saveResult('fanout', {
      load: { start: load, end: loadAverage() },
      options,
      parts: { direct, fanoutFirst: percentilesOf(firsts), fanout },
      rates: { direct: directRate, posts, memberDeliveries },
      ratios: {
        latencyP50ToDirect: fanout.p50 / direct.p50,
        latencyP99ToDirect: fanout.p99 / direct.p99,
        latencyP50ToSerial: fanout.p50 / (options.members * direct.p50),
        latencyP99ToSerial: fanout.p99 / (options.members * direct.p99),
        deliveriesToDirect: memberDeliveries / directRate,
        postsToDirect: posts / directRate
      },
      cpu: { directLatency: directLatency.cpu, fanoutLatency: fanoutLatency.cpu, directThroughput: directThroughput.cpu, fanoutThroughput: fanoutThroughput.cpu },
      deliveries,
      ok,
      errors: room.errors,
      timings: { setup, run }
    }, init.resultsDir)
  } finally {
    await Promise.all(workers.map(async w => w.stop()))
    for (const w of workers) w.kill()
    await loopback.cleanup()
  }
}

/** the stdout table: latency and throughput against the direct baselines, the ratios, the verdict */
export function formatFanout (r: FanoutResult): string {
  const o = r.options
  const d = r.deliveries
  const ms = (v: number): string => cell(v, 2, 9)
  const pct = (c: PartCpu): string => `${cell(c.sender * 100, 0, 7)} %${cell(c.members * 100, 0, 7)} %`
  const lat = (name: string, p: Percentiles, c?: PartCpu): string => `${name.padEnd(40)}${ms(p.p50)}${ms(p.p99)}${String(p.count).padStart(9)}${c === undefined ? '' : pct(c)}`
  const rate = (name: string, v: number, c: PartCpu): string => `${name.padEnd(40)}${cell(v, 0, 18)}${''.padStart(9)}${pct(c)}`
  const x = (name: string, a: number, b?: number): string => `${name.padEnd(40)}${ratioCell(a, 3, 8)}${b === undefined ? '' : ratioCell(b, 3, 8)}`
  const errors = (e: Record<string, number>): string => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'
  return [
    `fan-out: one sender, a room of ${o.members} other members in ${o.workers} process${o.workers === 1 ? '' : 'es'}, ${o.bytes}-byte messages, loopback`,
    `(${machineLine(r.machine)}; load average ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end)`,
    `${'part'.padEnd(40)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'samples'.padStart(9)}${'sender CPU'.padStart(11)}${'members'.padStart(9)}`,
    lat('direct: send() → delivered, 1 peer', r.parts.direct, r.cpu.directLatency),
    lat(`fan-out: post() → 1st member delivered`, r.parts.fanoutFirst),
    lat(`fan-out: post() → ${o.members}th member delivered`, r.parts.fanout, r.cpu.fanoutLatency),
    x('ratio fan-out / direct', r.ratios.latencyP50ToDirect, r.ratios.latencyP99ToDirect),
    x(`ratio fan-out / (${o.members} × direct)`, r.ratios.latencyP50ToSerial, r.ratios.latencyP99ToSerial),
    `${`throughput, ${o.inFlight} in flight`.padEnd(40)}${'per second'.padStart(18)}${''.padStart(9)}${'sender CPU'.padStart(11)}${'members'.padStart(9)}`,
    rate('direct messages, 1 peer', r.rates.direct, r.cpu.directThroughput),
    rate('room posts', r.rates.posts, r.cpu.fanoutThroughput),
    rate(`member deliveries (posts × ${o.members})`, r.rates.memberDeliveries, r.cpu.fanoutThroughput),
    x('ratio member deliveries / direct msgs', r.ratios.deliveriesToDirect),
    x('ratio posts / direct msgs', r.ratios.postsToDirect),
    r.ok
      ? `every one of ${d.posts} posts reached all ${o.members} members exactly once, acknowledged once, stored as delivered; ${d.direct.sent} direct messages too`
      : `NOT every delivery: of ${d.expected} (post, member) pairs ${d.unacked} unacknowledged, ${d.missing} missing at the member, ${d.duplicated} duplicated, ${d.duplicateAcks} duplicate acks; ${d.notDelivered} posts not stored as delivered; direct ${d.direct.received}/${d.direct.acked}/${d.direct.sent} received/acked/sent; ${d.stalled} stalled past ${o.timeout} s`,
    `errors: sender ${errors(r.errors.sender)}; members ${errors(r.errors.members)}`,
    ...r.errors.samples.map(e => `  ${e.code} in ${e.part} at ${(e.at / MS_PER_S).toFixed(1)} s${e.peer === undefined ? '' : ` (${e.peer.slice(-8)})`}: ${e.message}`),
    `setup ${r.timings.setup.toFixed(1)} s, parts ${r.timings.run.toFixed(1)} s; CPU as a share of one core (the members' processes together)`,
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  await printResult(runFanout(cliOptions({
    members: 'number',
    posts: 'number',
    messages: 'number',
    warmup: 'number',
    throughputPosts: 'number',
    throughputMessages: 'number',
    inFlight: 'number',
    bytes: 'number',
    workers: 'number',
    timeout: 'number'
  }, { env: 'FANOUT' })), formatFanout)
}
