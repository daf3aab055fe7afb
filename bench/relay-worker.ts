/**
 * The relay benchmark's clients (bench/relay.ts): bare libp2p nodes on
 * securechat's client stack (TCP, Noise, Yamux, identify, circuit relay v2
 * transport listening on `/p2p-circuit` as securechat's node does), each
 * holding one reservation on the relay and answering an echo protocol over
 * relayed connections.
 *
 * Run as a worker process, several at once, so the clients' memory and CPU
 * stay out of the benchmark process and apart from the relay's:
 *
 *   node bench/relay-worker.ts
 *
 * It reads one JSON command per line on stdin and answers each with one JSON
 * line on stdout (nothing else is written there): `ready` when it starts,
 * then `added`, `status`, `stopped` or `error`, carrying the command's `id`
 * (`add` and `stop` run in turn; `status` answers at once).
 * It stops its nodes and exits on `stop`, at the end of stdin, or on
 * SIGTERM. `RelayWorker` below is the parent's side of that.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { onExit } from '../test/helpers/cleanup.ts'
import { NODE_BIN, NODE_FLAGS, REPO_ROOT } from '../test/helpers/process.ts'
import { processMemory } from './common.ts'
import type { Identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { ChildProcess } from 'node:child_process'

/** One lp-framed message and its echo, as often as the dialer sends one, on relayed connections too */
export const ECHO_PROTOCOL = '/securechat-bench/relay-echo/1.0.0'
/** the largest echo frame; the benchmark sends 200 bytes */
export const ECHO_MAX_BYTES = 64 * 1024
/** an echo stream (many round trips of a baseline) lasts at most this long */
const ECHO_TIMEOUT_MS = 120_000

/**
 * Inbound connections per second from one IP address a bench node accepts
 * (libp2p's default is 5). Every dialer here is 127.0.0.1, relayed ones
 * included: the direct set-up baseline and the relayed dials to a client
 * must not be paced by the limit that bench/relay.ts has to respect toward
 * the relay.
 */
const BENCH_INBOUND_THRESHOLD = 100_000

/** one dial of the relay, a refusal included */
const DIAL_TIMEOUT_MS = 10_000
/** dials per connection: the relay refuses connections past its per-IP rate */
const DIAL_TRIES = 10
const DIAL_BACKOFF_MS = 1_000
/**
 * Connected, but no reservation this long after: hang up and connect again,
 * as securechat's keeper does (RELAY_RESERVE_GRACE_MS). libp2p asks for a
 * reservation once per connection, and gives up on it after 5 s, which a
 * loaded relay can exceed.
 */
const RESERVE_GRACE_MS = 15_000
/** connections per client before it gives up */
const RESERVE_TRIES = 3
/** how long the parent waits for a worker to start, and to stop */
const WORKER_START_TIMEOUT_MS = 30_000
const WORKER_STOP_TIMEOUT_MS = 15_000

export type ClientNode = Libp2p<{ identify: Identify }>

export interface ClientNodeInit {
  /** listen addresses; @default ['/p2p-circuit'] (a reservation on whichever relay it connects to) */
  listen?: string[]
}

/** A bare libp2p node on securechat's client stack, echoing ECHO_PROTOCOL */
export async function clientNode (init: ClientNodeInit = {}): Promise<ClientNode> {
  const node = await createLibp2p({
    addresses: { listen: init.listen ?? ['/p2p-circuit'] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // one immediate redial of a lost relay (libp2p's default: 5, with backoff): the
    // worker's keep() below paces the rest. Unpaced, hundreds of clients from one
    // IP that lose the relay together retry faster than its 5 new connections per
    // second per IP admit, and every refused try counts against that rate (seen
    // in a run: reservations stuck for minutes)
    connectionManager: { inboundConnectionThreshold: BENCH_INBOUND_THRESHOLD, reconnectRetries: 0 },
    services: { identify: identify() }
  })
  await node.handle(ECHO_PROTOCOL, echoHandler, { runOnLimitedConnection: true })
  return node
}

/** ECHO_PROTOCOL's handler: echo each frame until the dialer closes the stream */
export async function echoHandler (stream: Stream): Promise<void> {
  const signal = AbortSignal.timeout(ECHO_TIMEOUT_MS)
  const lp = lpStream(stream, { maxDataLength: ECHO_MAX_BYTES })
  try {
    for (;;) {
      let frame
      try {
        frame = await lp.read({ signal })
      } catch (err) {
        if ((err as Error).name === 'UnexpectedEOFError') break
        throw err
      }
      await lp.write(frame, { signal })
    }
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err as Error)
  }
}

/** The address other nodes dial this one at through `relay`, once it holds a reservation there */
export function circuitAddr (node: Libp2p, relayPeerId: string): string | undefined {
  return node.getMultiaddrs().map(ma => ma.toString()).find(a => a.includes(`/p2p/${relayPeerId}/p2p-circuit/p2p/`))
}

/** `node`'s circuit address on the relay once it has one, `undefined` after `ms` */
async function untilReserved (node: ClientNode, relayPeerId: string, ms: number): Promise<string | undefined> {
  return new Promise(resolve => {
    const done = (addr: string | undefined): void => {
      clearTimeout(timer)
      node.removeEventListener('self:peer:update', check)
      resolve(addr)
    }
    const check = (): void => {
      const addr = circuitAddr(node, relayPeerId)
      if (addr != null) done(addr)
    }
    const timer = setTimeout(() => { done(undefined) }, ms)
    node.addEventListener('self:peer:update', check)
    check()
  })
}

/** What it took one client to hold a reservation */
export interface Reserved {
  addr: string
  /** dials the relay refused */
  refused: number
  /** connections hung up for want of a reservation (RESERVE_GRACE_MS) */
  reconnects: number
}

/** Connect to `relay` (retrying refusals) until this node holds a reservation on it */
async function reserve (node: ClientNode, relay: Multiaddr, relayPeerId: string): Promise<Reserved> {
  let refused = 0
  for (let reconnects = 0; ; reconnects++) {
    for (let tries = 1; ; tries++) {
      try {
        await node.dial(relay, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        break
      } catch (err) {
        if (tries >= DIAL_TRIES) throw new Error(`could not connect to the relay in ${DIAL_TRIES} tries`, { cause: err })
        refused++
        await sleep(DIAL_BACKOFF_MS * (1 + Math.random()))
      }
    }
    const addr = await untilReserved(node, relayPeerId, RESERVE_GRACE_MS)
    if (addr != null) return { addr, refused, reconnects }
    if (reconnects + 1 >= RESERVE_TRIES) throw new Error(`no reservation on the relay in ${RESERVE_TRIES} connections of ${RESERVE_GRACE_MS} ms each`)
    await node.hangUp(relay, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  }
}

/* the JSON lines between bench/relay.ts and a worker */

export type WorkerCommand =
  /** start `count` clients, one each `intervalMs` from `delayMs` on (never faster), each once reserved on `relay` */
  | { id: number, cmd: 'add', relay: string, count: number, delayMs: number, intervalMs: number }
  | { id: number, cmd: 'status' }
  | { id: number, cmd: 'stop' }

export interface AddedReply { type: 'added', id: number, addrs: string[], refused: number, reconnects: number }
/** reserved: clients that hold a reservation now; lost: connections to the relay they lost so far (each then reserves again) */
export interface StatusReply { type: 'status', id: number, nodes: number, reserved: number, lost: number, rssKiB: number }
export interface StoppedReply { type: 'stopped', id: number }
export interface ErrorReply { type: 'error', id?: number, name: string, message: string }
export type WorkerReply = { type: 'ready', pid: number } | AddedReply | StatusReply | StoppedReply | ErrorReply

type Command<C extends WorkerCommand['cmd']> = Omit<Extract<WorkerCommand, { cmd: C }>, 'id' | 'cmd'>
type ReplyTo<C extends WorkerCommand['cmd']> = C extends 'add' ? AddedReply : C extends 'status' ? StatusReply : StoppedReply

const WORKER_SCRIPT = fileURLToPath(import.meta.url)
/** how much of a worker's stderr to keep for an error message */
const STDERR_KEEP = 16 * 1024

/** The parent's handle on one worker process: a command, its reply; SIGKILLed if the parent dies */
export class RelayWorker {
  readonly child: ChildProcess
  readonly ready: Promise<number>
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void, reject: (err: Error) => void }>()
  private readonly exited: Promise<void>
  private readonly unregister: () => void
  private nextId = 1
  private stderr = ''
  private exit: string | undefined

  constructor () {
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.NODE_TEST_CONTEXT
    this.child = spawn(NODE_BIN, [...NODE_FLAGS, WORKER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env, cwd: REPO_ROOT })
    this.unregister = onExit(() => { this.child.kill('SIGKILL') })
    this.child.stdin?.on('error', () => {}) // a dead worker: reported by its exit
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP) })

    let started: (pid: number) => void = () => {}
    let failed: (err: Error) => void = () => {}
    this.ready = new Promise<number>((resolve, reject) => { started = resolve; failed = reject })
    this.ready.catch(() => {}) // awaited by the caller; a later failure is also reported to every call
    const timer = setTimeout(() => { failed(this.failure(`did not start within ${WORKER_START_TIMEOUT_MS} ms`)) }, WORKER_START_TIMEOUT_MS)

    this.exited = new Promise<void>(resolve => {
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = `exited (code ${code}, signal ${signal})`
        this.unregister()
        clearTimeout(timer)
        const err = this.failure(this.exit)
        failed(err)
        for (const p of this.pending.values()) p.reject(err)
        this.pending.clear()
        resolve()
      })
    })
    this.child.once('error', err => { this.stderr += `\n[spawn error] ${err.message}` })

    if (this.child.stdout != null) {
      createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', line => {
        let reply: WorkerReply
        try {
          reply = JSON.parse(line) as WorkerReply
        } catch {
          this.stderr += `\n[non-JSON stdout] ${line.slice(0, 200)}`
          return
        }
        if (reply.type === 'ready') {
          clearTimeout(timer)
          started(reply.pid)
          return
        }
        const id = reply.id
        const waiter = id == null ? undefined : this.pending.get(id)
        if (waiter == null || id == null) {
          this.stderr += `\n[unexpected reply] ${line.slice(0, 200)}`
          return
        }
        this.pending.delete(id)
        if (reply.type === 'error') waiter.reject(this.failure(`${reply.name}: ${reply.message}`))
        else waiter.resolve(reply)
      })
    }
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** Send one command; resolves with its reply */
  async call<C extends WorkerCommand['cmd']> (cmd: C, args: Command<C>): Promise<ReplyTo<C>> {
    if (this.exit != null) throw this.failure(this.exit)
    const id = this.nextId++
    const reply = new Promise<WorkerReply>((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
    this.child.stdin?.write(JSON.stringify({ ...args, id, cmd }) + '\n')
    return await reply as ReplyTo<C>
  }

  /** Ask the worker to stop its nodes and exit; SIGKILL it if it has not within 15 s */
  async stop (): Promise<void> {
    if (this.exit == null) {
      const killed = setTimeout(() => { this.child.kill('SIGKILL') }, WORKER_STOP_TIMEOUT_MS)
      void this.call('stop', {}).catch(() => {}) // its reply, or its exit
      await this.exited
      clearTimeout(killed)
    }
  }

  private failure (reason: string): Error {
    const stderr = this.stderr.trim() === '' ? '(empty)' : this.stderr.slice(-4000)
    return new Error(`relay worker (pid ${this.child.pid}): ${reason}\n  stderr (tail):\n${stderr.replace(/^/gm, '    ')}`)
  }
}

/* the worker process */

/** `relay`'s address and peer id */
function relayOf (addr: string): { ma: Multiaddr, peerId: string } {
  const ma = multiaddr(addr)
  const peerId = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  if (peerId == null) throw new TypeError(`a relay address must end in /p2p/<relay peer id>, got ${addr}`)
  return { ma, peerId }
}

async function runWorker (): Promise<void> {
  const nodes: Array<{ node: ClientNode, relayPeerId: string }> = []
  const write = (reply: WorkerReply): void => { process.stdout.write(JSON.stringify(reply) + '\n') }

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.allSettled(nodes.map(async n => n.node.stop()))
    })()
    return stopping
  }
  process.once('SIGTERM', () => { void stop().finally(() => process.exit(0)) })

  // A client that loses its relay connection (a ping timeout on a loaded
  // machine, say) reserves again, as securechat's keeper would, after a
  // random delay of up to the time this worker took to add its clients: if
  // all of them lost it at once they come back at about the rate they came.
  let lost = 0
  let intervalMs = 1000
  const keep = (node: ClientNode, relay: { ma: Multiaddr, peerId: string }): void => {
    let again: Promise<void> | undefined
    node.addEventListener('peer:disconnect', (evt) => {
      if (evt.detail.toString() !== relay.peerId || stopping != null) return
      lost++
      if (again != null) return
      again = sleep(Math.random() * nodes.length * intervalMs)
        .then(async () => { if (stopping == null && circuitAddr(node, relay.peerId) == null) await reserve(node, relay.ma, relay.peerId) })
        .catch(() => {}) // still without a reservation: `status` counts it
        .finally(() => { again = undefined })
    })
  }

  const add = async (relayAddr: string, count: number, delayMs: number, interval: number): Promise<Omit<AddedReply, 'id' | 'type'>> => {
    const relay = relayOf(relayAddr)
    intervalMs = interval
    const addrs: string[] = []
    let refused = 0
    let reconnects = 0
    // a client late (refused, reconnected) delays the next ones: no burst to catch up
    let next = performance.now() + delayMs
    for (let k = 0; k < count; k++) {
      const wait = next - performance.now()
      if (wait > 0) await sleep(wait)
      next = Math.max(next, performance.now()) + intervalMs
      const node = await clientNode()
      nodes.push({ node, relayPeerId: relay.peerId })
      let reserved
      try {
        reserved = await reserve(node, relay.ma, relay.peerId)
      } catch (err) {
        throw new Error(`client ${k + 1} of ${count} (${nodes.length} in this worker): ${(err as Error).message}`, { cause: (err as Error).cause })
      }
      keep(node, relay)
      addrs.push(reserved.addr)
      refused += reserved.refused
      reconnects += reserved.reconnects
    }
    return { addrs, refused, reconnects }
  }

  const handle = async (command: WorkerCommand): Promise<WorkerReply> => {
    switch (command.cmd) {
      case 'add':
        return { type: 'added', id: command.id, ...await add(command.relay, command.count, command.delayMs, command.intervalMs) }
      case 'status': {
        const reserved = nodes.filter(n => circuitAddr(n.node, n.relayPeerId) != null).length
        return { type: 'status', id: command.id, nodes: nodes.length, reserved, lost, rssKiB: (await processMemory()).rssKiB }
      }
      case 'stop':
        await stop()
        return { type: 'stopped', id: command.id }
    }
  }

  write({ type: 'ready', pid: process.pid })
  const reply = async (command: WorkerCommand): Promise<void> => {
    try {
      write(await handle(command))
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      const cause = e.cause instanceof Error ? `: ${e.cause.message}` : ''
      write({ type: 'error', id: command.id, name: e.name, message: e.message + cause })
    }
  }
  // `add` and `stop` one at a time, in order; `status` at once, even during an `add`
  let queue = Promise.resolve()
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === '') continue
    let command: WorkerCommand
    try {
      command = JSON.parse(line) as WorkerCommand
    } catch (err) {
      write({ type: 'error', name: 'SyntaxError', message: `not a command: ${(err as Error).message}` })
      continue
    }
    if (command.cmd === 'status') {
      void reply(command)
    } else {
      queue = queue.then(async () => reply(command))
    }
    if (command.cmd === 'stop') break
  }
  await queue
  await stop()
}

if (import.meta.main) {
  parseArgs({ strict: true, options: {} }) // no options: commands come on stdin
  await runWorker()
  process.exit(0)
}
