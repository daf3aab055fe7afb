/**
 * One side of the file benchmark (bench/files.ts) in a worker process of its
 * own, driven over node's IPC channel: a bare libp2p node on loopback with
 * the file service and a real store (test/helpers/file-nodes.ts), and a
 * test protocol (BARE_PROTOCOL) that drains whatever it is sent. Both sides
 * run this module; the sender and the receiver each get a core, as on two
 * machines. Every time is on the wall clock both processes share
 * (wallClock()), with this process's CPU time (process.cpuUsage()) beside
 * it, so that bench/files.ts can take intervals across the two.
 *
 * Commands (parent → worker), answered by events (worker → parent):
 * - `loaded` first, unasked, once the worker listens
 * - `start` → `started` {peerId, addrs}
 * - `connect` {peer, addrs} → `connected` {connections}: dials the other side,
 *   the one connection (TCP, Noise, Yamux) both the bare stream and the file
 *   service then use
 * - `make` {bytes} → `made` {path}: a file of random bytes in this side's temp dir
 * - `bare` {peer, bytes, writeBytes} → `bare` {bytes, start, end, cpuMs,
 *   connections}: a new BARE_PROTOCOL stream on the connection, `bytes` sent
 *   in writes of `writeBytes` (waiting for `drain` when the stream says so),
 *   its write end closed; `end` when the other side's one-byte ack arrives,
 *   which it sends once it has read every byte. The other side posts
 *   `sunk` {bytes, first, last, cpuMs}: its first and last byte read
 * - `offer` {peer, path} → `offered` {id, calledAt, resolvedAt}: Files.offer()
 *   (which hashes the file and stores the offer) called and resolved
 * - an offer arriving → `offer` {id, at}
 * - `accept` {id} → `accepted` {id, calledAt, resolvedAt}
 * - a transfer ending, on either side → `file` {id, status, reason?, at, first,
 *   last, gets, via, connections}: its first and last progress event
 *   (bytes, wall clock, CPU) and, on the receiver, how many GET streams the
 *   download took (1 unless it was cut and resumed: the file streams this
 *   side opened between accept() and the end, polled every few ms, as the
 *   service tells nobody); the file landed is then removed, so that the
 *   runs do not fill the disk
 * - `failed` {message} for a command that threw
 * - `stop` → `stopped` {delay: this process's event-loop delay, ms}, then exit
 */
import { randomFillSync } from 'node:crypto'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { FILE_PROTOCOL_ID } from '../src/files/constants.ts'
import { FileNodes } from '../test/helpers/file-nodes.ts'
import { wallClock } from './soak-peers.ts'
import type { FileSide } from '../test/helpers/file-nodes.ts'

/** The bare stream's protocol: registered on both sides, it drains what it is sent and acks the end with one byte */
export const BARE_PROTOCOL = '/securechat-bench/files-bare/1.0.0'

/** A point of a transfer: its bytes so far, when (wall clock, ms), and this process's CPU time then (ms) */
export interface Mark {
  bytes: number
  at: number
  cpuMs: number
}

export type FilesPeerCommand =
  | { cmd: 'start' }
  | { cmd: 'connect', peer: string, addrs: string[] }
  | { cmd: 'make', bytes: number }
  | { cmd: 'bare', peer: string, bytes: number, writeBytes: number }
  | { cmd: 'offer', peer: string, path: string }
  | { cmd: 'accept', id: string }
  | { cmd: 'stop' }

export type FilesPeerEvent =
  | { type: 'loaded' }
  | { type: 'started', peerId: string, addrs: string[] }
  | { type: 'connected', connections: number }
  | { type: 'made', path: string }
  | { type: 'bare', bytes: number, start: number, end: number, cpuMs: number, connections: number }
  | { type: 'sunk', bytes: number, first: number, last: number, cpuMs: number }
  | { type: 'offered', id: string, calledAt: number, resolvedAt: number }
  | { type: 'offer', id: string, at: number }
  | { type: 'accepted', id: string, calledAt: number, resolvedAt: number }
  | { type: 'file', id: string, status: string, reason?: string, at: number, first?: Mark, last?: Mark, gets: number, via?: string, connections: number }
  | { type: 'failed', message: string }
  | { type: 'stopped', delay: { p50: number, p99: number, max: number } }

const ACK = new Uint8Array([1])
/** how often the streams of a download are looked at, ms: a GET stream lives far longer */
const STREAM_POLL_MS = 2
/** random bytes written per call when making the file */
const MAKE_BLOCK_BYTES = 4 * 1024 * 1024

function cpuMs (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

function mark (bytes: number): Mark {
  return { bytes, at: wallClock(), cpuMs: cpuMs() }
}

/** the worker itself: only when run as a process (bench/files.ts imports the types) */
function main (): void {
  if (process.send === undefined) {
    throw new TypeError('bench/files-peer.ts runs as a worker of bench/files.ts (with an IPC channel)')
  }

  function post (event: FilesPeerEvent): void {
    process.send?.(event)
  }

  const nodes = new FileNodes()
  const delay = monitorEventLoopDelay({ resolution: 10 })
  let side: FileSide | undefined
  /** per transfer under way: its first and latest progress */
  const transfers = new Map<string, { first: Mark, last: Mark, via: string }>()
  /** per download under way: the ids of the file streams this side opened (GETs), and the poll that collects them */
  const downloads = new Map<string, { gets: Set<string>, poll: ReturnType<typeof setInterval> }>()

  function me (): FileSide {
    if (side == null) throw new Error('not started')
    return side
  }

  function connections (peer: string): number {
    return me().node.getConnections(peerIdFromString(peer)).length
  }

  async function start (): Promise<void> {
    side = await nodes.side()
    const { node } = side
    const files = node.services.files
    await node.handle(BARE_PROTOCOL, async (stream) => {
      let bytes = 0
      let first: Mark | undefined
      for await (const data of stream) {
        first ??= mark(0)
        bytes += data.byteLength
      }
      // the sender closed its write end: every byte is here
      const last = mark(bytes)
      stream.send(ACK)
      await stream.close()
      post({ type: 'sunk', bytes, first: first?.at ?? last.at, last: last.at, cpuMs: last.cpuMs - (first?.cpuMs ?? last.cpuMs) })
    }, { maxInboundStreams: 1, maxOutboundStreams: 1 })
    files.addEventListener('offer', (evt) => { post({ type: 'offer', id: evt.detail.id, at: wallClock() }) })
    files.addEventListener('progress', (evt) => {
      const { id, bytes, via } = evt.detail
      const now = mark(bytes)
      const t = transfers.get(id)
      if (t == null) {
        transfers.set(id, { first: now, last: now, via })
        return
      }
      t.last = now
      t.via = via
    })
    files.addEventListener('file', (evt) => {
      const at = wallClock()
      const { id, status, reason, path } = evt.detail
      const t = transfers.get(id)
      transfers.delete(id)
      // before the DONE request this side opens next
      const d = downloads.get(id)
      if (d != null) { collectGets(d.gets); clearInterval(d.poll); downloads.delete(id) }
      const peer = node.getConnections()[0]?.remotePeer.toString()
      const event: FilesPeerEvent = {
        type: 'file', id, status, at, gets: d?.gets.size ?? 0, connections: peer == null ? 0 : connections(peer),
        ...(reason == null ? {} : { reason }), ...(t == null ? {} : { first: t.first, last: t.last, via: t.via })
      }
      const removed = path == null ? Promise.resolve() : unlink(path).catch(() => {})
      void removed.then(() => { post(event) })
    })
    delay.enable()
    post({ type: 'started', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })
  }

  async function connect (c: Extract<FilesPeerCommand, { cmd: 'connect' }>): Promise<void> {
    const { node } = me()
    const addrs = c.addrs.map(a => multiaddr(a))
    await node.peerStore.merge(peerIdFromString(c.peer), { multiaddrs: addrs })
    await node.dial(addrs)
    post({ type: 'connected', connections: connections(c.peer) })
  }

  async function make (c: Extract<FilesPeerCommand, { cmd: 'make' }>): Promise<void> {
    const path = join(me().dir.path, 'bench.bin')
    const handle = await open(path, 'w', 0o600)
    try {
      const block = new Uint8Array(MAKE_BLOCK_BYTES)
      for (let written = 0; written < c.bytes;) {
        const n = Math.min(block.byteLength, c.bytes - written)
        randomFillSync(block, 0, n)
        await handle.write(block, 0, n)
        written += n
      }
    } finally {
      await handle.close()
    }
    post({ type: 'made', path })
  }

  async function bare (c: Extract<FilesPeerCommand, { cmd: 'bare' }>): Promise<void> {
    const connection = me().node.getConnections(peerIdFromString(c.peer))[0]
    if (connection == null) throw new Error(`not connected to ${c.peer}`)
    const stream = await connection.newStream(BARE_PROTOCOL)
    const acked = new Promise<void>((resolve, reject) => {
      stream.addEventListener('message', () => { resolve() }, { once: true })
      stream.addEventListener('close', (evt) => { reject(evt.error ?? new Error('bare stream closed before its ack')) }, { once: true })
    })
    const write = new Uint8Array(c.writeBytes)
    randomFillSync(write)
    const begin = mark(0)
    for (let sent = 0; sent < c.bytes;) {
      const n = Math.min(write.byteLength, c.bytes - sent)
      if (!stream.send(n === write.byteLength ? write : write.subarray(0, n))) await stream.onDrain()
      sent += n
    }
    await stream.close()
    await acked
    const end = mark(c.bytes)
    post({ type: 'bare', bytes: c.bytes, start: begin.at, end: end.at, cpuMs: end.cpuMs - begin.cpuMs, connections: connections(c.peer) })
  }

  async function offer (c: Extract<FilesPeerCommand, { cmd: 'offer' }>): Promise<void> {
    const calledAt = wallClock()
    const t = await me().node.services.files.offer(peerIdFromString(c.peer), c.path)
    post({ type: 'offered', id: t.id, calledAt, resolvedAt: wallClock() })
  }

  /** the file-protocol streams this side has open now: on the receiver of a download, its GETs */
  function collectGets (into: Set<string>): void {
    for (const connection of me().node.getConnections()) {
      for (const s of connection.streams) if (s.protocol === FILE_PROTOCOL_ID && s.direction === 'outbound') into.add(`${connection.id}/${s.id}`)
    }
  }

  async function accept (c: Extract<FilesPeerCommand, { cmd: 'accept' }>): Promise<void> {
    const gets = new Set<string>()
    downloads.set(c.id, { gets, poll: setInterval(() => { collectGets(gets) }, STREAM_POLL_MS) })
    const calledAt = wallClock()
    await me().node.services.files.accept(c.id)
    post({ type: 'accepted', id: c.id, calledAt, resolvedAt: wallClock() })
  }

  async function stop (): Promise<void> {
    delay.disable()
    for (const d of downloads.values()) clearInterval(d.poll)
    await nodes.cleanup()
    const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3
    post({ type: 'stopped', delay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } })
    process.disconnect?.()
  }

  async function dispatch (c: FilesPeerCommand): Promise<void> {
    switch (c.cmd) {
      case 'start': return start()
      case 'connect': return connect(c)
      case 'make': return make(c)
      case 'bare': return bare(c)
      case 'offer': return offer(c)
      case 'accept': return accept(c)
      case 'stop': return stop()
    }
  }

  process.on('message', (c: FilesPeerCommand) => {
    dispatch(c).catch((err: unknown) => { post({ type: 'failed', message: (err as Error).stack ?? String(err) }) })
  })
  // the parent is gone (after `stop`, or without it): stop the node, remove its temp dir, leave
  process.on('disconnect', () => {
    void nodes.cleanup().finally(() => { setTimeout(() => { process.exit() }, 2000).unref() })
  })
  post({ type: 'loaded' })
}

if (import.meta.main) main()
