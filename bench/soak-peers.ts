/**
 * The soak's peers (bench/soak.ts): a worker process holding a few real
 * securechat nodes (LoopbackNodes: 127.0.0.1, no mDNS), driven over node's
 * IPC channel. Several of them share the peers, so that no one event loop
 * carries 50 nodes, and the soak's own process stays free to read the hub's
 * stdout at once (a stalled reader would block the hub's writes to its pipe
 * and so the hub itself).
 *
 * Commands (parent → worker), answered by events (worker → parent):
 * - `loaded` first, unasked, once the worker listens (its modules take seconds
 *   to load: the parent starts the workers and the hub at the same time)
 * - `start` {first, count, hubId, hello, room?, quiet?} → `started` {peers: [{index, peerId, addr}]};
 *   with `room` every node joins that room first (rooms init `scrypt`, cheap
 *   for benchmarks) and reports `member` {index} once the hub has proved it
 *   is in it there (the node then takes the hub's room messages)
 * - the hub's `hello` message to a peer → that peer accepts it → `accepted` {index}
 * - `send` {index, text, seq} → the peer sends it to the hub (a peer's sends
 *   in order): `queued` {index, seq} once send() resolved (stored in the
 *   outbox), `acked` {index, seq, ms} on its `delivered` event, `ms` from
 *   send() to then
 * - a message from the hub → `received` {index, text, at} (`at`: wall clock, ms);
 *   `quiet` (bench/fanout.ts): not reported one by one, where thousands a
 *   second would load the parent's event loop, only counted for `tally`
 * - `tally` → `tally` {peers: [{index, room, direct}]}: per node, the ids of
 *   the hub's room messages in the order they arrived, and how many direct
 *   messages from the hub it got (the hello not counted)
 * - `error` {code} for every error event and failed send
 * - `stop` → `stopped` {delay: this process's event-loop delay, ms}, then exit
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { LoopbackNodes } from '../test/helpers/nodes.ts'
import type { ChatNode } from '../src/types.ts'

/** A room every node of a worker joins, and what its secret costs (ChatNodeInit's `rooms.scrypt`) */
export interface PeerRoom {
  name: string
  scrypt: { N: number, r: number, p: number }
}

/** What one node got from the hub, counted in quiet mode */
export interface PeerTally {
  index: number
  /** ids of the hub's room messages, as they arrived */
  room: string[]
  /** direct messages from the hub, the hello not counted */
  direct: number
}

export type PeerCommand =
  | { cmd: 'start', first: number, count: number, hubId: string, hello: string, room?: PeerRoom, quiet?: boolean }
  | { cmd: 'send', index: number, seq: number, text: string }
  | { cmd: 'tally' }
  | { cmd: 'stop' }

export type PeerEvent =
  | { type: 'loaded' }
  | { type: 'started', peers: Array<{ index: number, peerId: string, addr: string }> }
  | { type: 'accepted', index: number }
  | { type: 'member', index: number }
  | { type: 'tally', peers: PeerTally[] }
  | { type: 'queued', index: number, seq: number }
  | { type: 'acked', index: number, seq: number, ms: number }
  | { type: 'received', index: number, text: string, at: number }
  | { type: 'error', code: string }
  | { type: 'stopped', delay: { p50: number, p99: number, max: number } }
  | { type: 'failed', message: string }

/** milliseconds on a clock that other processes on this machine share */
export function wallClock (): number {
  return performance.timeOrigin + performance.now()
}

/** the worker itself: only when run as a process (bench/soak.ts imports the types and wallClock) */
function main (): void {
  if (process.send === undefined) {
    throw new TypeError('bench/soak-peers.ts runs as a worker of bench/soak.ts (with an IPC channel)')
  }

  function post (event: PeerEvent): void {
    process.send?.(event)
  }

  const loopback = new LoopbackNodes('securechat-soak-peer-')
  const nodes = new Map<number, ChatNode>()
  const chains = new Map<number, Promise<void>>()
  /** message id → [sequence, send() started]; `delivered` may come before send() resolves */
  const sending = new Map<string, [number, number]>()
  const early = new Map<string, number>()
  const tallies = new Map<number, PeerTally>()
  const delay = monitorEventLoopDelay({ resolution: 10 })

  async function start (c: Extract<PeerCommand, { cmd: 'start' }>): Promise<void> {
    const started = await Promise.all(Array.from({ length: c.count }, async (_, j) => {
      const index = c.first + j
      const node = await loopback.start({ name: `peer${index}`, ...(c.room === undefined ? {} : { rooms: { scrypt: c.room.scrypt } }) })
      nodes.set(index, node)
      const tally: PeerTally = { index, room: [], direct: 0 }
      tallies.set(index, tally)
      node.addEventListener('message', (evt) => {
        if (evt.detail.from !== c.hubId) return
        if (evt.detail.text === c.hello && evt.detail.room === undefined) {
          node.accept(c.hubId).then(() => { post({ type: 'accepted', index }) }, (err: Error) => { post({ type: 'error', code: err.name }) })
          return
        }
        if (c.quiet !== true) post({ type: 'received', index, text: evt.detail.text, at: wallClock() })
        else if (evt.detail.room !== undefined) tally.room.push(evt.detail.id)
        else tally.direct++
      })
      node.addEventListener('delivered', (evt) => {
        const s = sending.get(evt.detail.id)
        if (s == null) { early.set(evt.detail.id, performance.now()); return }
        post({ type: 'acked', index, seq: s[0], ms: performance.now() - s[1] })
      })
      node.addEventListener('error', (evt) => { post({ type: 'error', code: evt.detail.code }) })
      if (c.room !== undefined) {
        node.addEventListener('room', (evt) => {
          if (evt.detail.status === 'online' && evt.detail.member === c.hubId) post({ type: 'member', index })
        })
        await node.join(c.room.name)
      }
      return { index, peerId: node.peerId, addr: node.addrs()[0] ?? '' }
    }))
    delay.enable()
    post({ type: 'started', peers: started })
  }

  function send (c: Extract<PeerCommand, { cmd: 'send' }>, hubId: string): void {
    const node = nodes.get(c.index)
    if (node == null) { post({ type: 'error', code: 'NoSuchPeer' }); return }
    const chain = (chains.get(c.index) ?? Promise.resolve()).then(async () => {
      const begun = performance.now()
      try {
        const { id } = await node.send(hubId, c.text)
        sending.set(id, [c.seq, begun])
        post({ type: 'queued', index: c.index, seq: c.seq })
        const at = early.get(id)
        if (at !== undefined) {
          early.delete(id)
          post({ type: 'acked', index: c.index, seq: c.seq, ms: at - begun })
        }
      } catch (err) {
        post({ type: 'error', code: (err as Error).name })
      }
    })
    chains.set(c.index, chain)
  }

  async function stop (): Promise<void> {
    delay.disable()
    await Promise.allSettled(chains.values())
    await loopback.cleanup()
    const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3
    post({ type: 'stopped', delay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } })
    process.disconnect?.()
  }

  let hubId = ''
  process.on('message', (c: PeerCommand) => {
    const fail = (err: unknown): void => { post({ type: 'failed', message: (err as Error).stack ?? String(err) }) }
    if (c.cmd === 'start') {
      hubId = c.hubId
      start(c).catch(fail)
    } else if (c.cmd === 'send') {
      send(c, hubId)
    } else if (c.cmd === 'tally') {
      post({ type: 'tally', peers: [...tallies.values()] })
    } else {
      stop().catch(fail)
    }
  })
  // the parent is gone (after `stop`, or without it): stop the nodes, remove their data dirs, leave
  process.on('disconnect', () => {
    void loopback.cleanup().finally(() => { setTimeout(() => { process.exit() }, 2000).unref() })
  })
  post({ type: 'loaded' })
}

if (import.meta.main) main()
