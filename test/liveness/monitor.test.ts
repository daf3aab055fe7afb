/**
 * The liveness policy (PeerMonitor) with scripted ping, dial and hang-up:
 * missed and timed-out pings, a hang-up after three misses in a row, redials
 * with growing backoff until connected, the bound on watched peers, and a
 * stop() that waits for the pings and dials in flight.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { MAX_MISSED_PINGS, PeerMonitor } from '../../src/liveness/monitor.ts'
import { until } from '../helpers/node-events.ts'
import { newPeerId } from '../helpers/peers.ts'
import type { Liveness, PeerMonitorInit } from '../../src/liveness/monitor.ts'
import type { TestContext } from 'node:test'

const log = defaultLogger().forComponent('test:liveness:monitor')
const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

const [A, B, C] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])

/** The network as the monitor sees it, scripted by the test; every call is recorded in order */
class Network {
  readonly connected = new Set<string>()
  readonly calls: Array<{ what: 'ping' | 'dial' | 'hangUp', peer: string, at: number }> = []
  readonly seen: Array<{ peer: string, liveness: Liveness }> = []
  ping: (peer: string, signal: AbortSignal) => Promise<number> = async () => 7
  dial: (peer: string, signal: AbortSignal) => Promise<void> = async (peer) => { this.connected.add(peer) }

  count (what: 'ping' | 'dial' | 'hangUp', peer?: string): number {
    return this.calls.filter(c => c.what === what && (peer == null || c.peer === peer)).length
  }

  init (): Omit<PeerMonitorInit, 'log'> {
    return {
      ping: async (peer, signal) => { this.calls.push({ what: 'ping', peer, at: Date.now() }); return this.ping(peer, signal) },
      dial: async (peer, signal) => { this.calls.push({ what: 'dial', peer, at: Date.now() }); return this.dial(peer, signal) },
      isConnected: (peer) => this.connected.has(peer),
      hangUp: async (peer) => { this.calls.push({ what: 'hangUp', peer, at: Date.now() }); this.connected.delete(peer) },
      onSeen: (peer, liveness) => { this.seen.push({ peer, liveness }) }
    }
  }
}

function monitor (t: TestContext, net: Network, init: Partial<PeerMonitorInit> = {}): PeerMonitor {
  const m = new PeerMonitor({ ...net.init(), log, pingInterval: 10, pingTimeout: 50, redialBase: 10, redialCap: 1_000, ...init })
  t.after(async () => { await m.stop() })
  return m
}

void describe('peer monitor', () => {
  void it(`hangs up after ${MAX_MISSED_PINGS} missed pings in a row, and not before`, async t => {
    const net = new Network()
    net.ping = async () => { throw new Error('stream reset') }
    net.connected.add(A)
    const m = monitor(t, net)
    m.watch(A)
    m.start()
    await until('a hang-up', () => net.count('hangUp') > 0, 2_000)
    assert.deepEqual(net.calls.slice(0, MAX_MISSED_PINGS + 1).map(c => c.what), ['ping', 'ping', 'ping', 'hangUp'])
    assert.equal(net.count('hangUp', A), 1)
    // disconnected now: no more pings, and no redial until the disconnect is reported
    const pings = net.count('ping')
    await sleep(50)
    assert.equal(net.count('ping'), pings)
    assert.equal(net.count('dial'), 0)
    assert.equal(m.liveness(A)?.lastSeen, undefined)
  })

  void it('counts a ping that hangs past pingTimeout as missed', async t => {
    const net = new Network()
    const reasons: unknown[] = []
    net.ping = async (_peer, signal) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reasons.push(signal.reason); reject(signal.reason as Error) }, { once: true })
    })
    net.connected.add(A)
    const m = monitor(t, net, { pingInterval: 5, pingTimeout: 15 })
    m.watch(A)
    m.start()
    await until('a hang-up', () => net.count('hangUp') > 0, 2_000)
    assert.ok(reasons.length >= MAX_MISSED_PINGS)
    assert.ok(reasons.every(r => (r as Error).name === 'TimeoutError'))
  })

  void it('resets the count of missed pings when a ping answers', async t => {
    const net = new Network()
    let n = 0
    // fail, fail, answer, fail, fail, answer...: never three in a row
    net.ping = async () => { if (++n % 3 !== 0) throw new Error('lost'); return 5 }
    net.connected.add(A)
    const m = monitor(t, net)
    m.watch(A)
    m.start()
    await until('nine pings', () => net.count('ping') >= 9, 2_000)
    assert.equal(net.count('hangUp'), 0)
  })

  void it('updates rtt and lastSeen on each answered ping, and reports them', async t => {
    const net = new Network()
    let rtt = 10
    net.ping = async () => rtt++
    net.connected.add(A)
    const m = monitor(t, net)
    m.watch(A)
    assert.deepEqual(m.liveness(A), { rtt: undefined, lastSeen: undefined })
    assert.equal(m.liveness(B), undefined, 'an unwatched peer has no liveness')
    const before = Date.now()
    m.start()
    await until('two answered pings', () => net.seen.length >= 2, 2_000)
    const l = m.liveness(A)
    assert.ok(l?.rtt != null && l.rtt >= 11, `rtt ${l?.rtt}`)
    assert.ok(l.lastSeen != null && l.lastSeen >= before && l.lastSeen <= Date.now())
    assert.deepEqual(net.seen.map(s => s.peer), net.seen.map(() => A))
    assert.equal(net.seen[0]?.liveness.rtt, 10)
  })

  void it('does not ping a watched peer that is not connected, nor an unwatched one', async t => {
    const net = new Network()
    net.connected.add(B)
    const m = monitor(t, net)
    m.watch(A)
    m.start()
    await sleep(60)
    assert.equal(net.count('ping'), 0)
  })

  void it('redials a disconnected peer with growing backoff until connected, then stops', async t => {
    const net = new Network()
    let failures = 3
    net.dial = async (peer) => {
      if (failures-- > 0) throw new Error('connection refused')
      net.connected.add(peer)
    }
    const m = monitor(t, net, { redialBase: 20, pingInterval: 60_000 })
    m.watch(A)
    m.start()
    m.disconnected(A)
    m.disconnected(A) // one redial at a time
    await until('connected again', () => net.connected.has(A), 2_000)
    const dials = net.calls.filter(c => c.what === 'dial').map(c => c.at)
    assert.equal(dials.length, 4)
    const gaps = dials.slice(1).map((a, i) => a - (dials[i] ?? 0))
    // attempt n waits in [20 * 2^n / 2, 20 * 2^n]: the 4th dial waited at least 40 ms, the 2nd at most 40
    assert.ok((gaps[2] ?? 0) >= 39 && (gaps[2] ?? 0) > (gaps[0] ?? 0), `gaps grow: ${gaps.join(', ')}`)
    assert.ok(m.liveness(A)?.lastSeen != null, 'a successful redial counts as seen')
    await sleep(80)
    assert.equal(net.count('dial'), 4, 'no dial once connected')
  })

  void it('a connection that opened meanwhile ends the redials and resets the backoff', async t => {
    const net = new Network()
    net.dial = async () => { throw new Error('connection refused') }
    const m = monitor(t, net, { redialBase: 20, pingInterval: 60_000 })
    m.watch(A)
    m.start()
    m.disconnected(A)
    await until('two dials', () => net.count('dial') >= 2, 2_000)
    net.connected.add(A)
    m.connected(A)
    const dials = net.count('dial')
    await sleep(100)
    assert.equal(net.count('dial'), dials)

    // after the reset the first redial waits the base again (10 to 20 ms), not 80 to 160
    net.connected.delete(A)
    const at = Date.now()
    m.disconnected(A)
    await until('a dial after the reset', () => net.count('dial') > dials, 2_000)
    const waited = (net.calls.filter(c => c.what === 'dial').at(-1)?.at ?? Infinity) - at
    assert.ok(waited < 75, `redialled after ${waited} ms`)
  })

  void it('ignores connects and disconnects of peers it does not watch', async t => {
    const net = new Network()
    const m = monitor(t, net)
    m.start()
    m.disconnected(B)
    m.connected(B)
    await sleep(50)
    assert.deepEqual(net.calls, [])
    assert.deepEqual(net.seen, [])
  })

  void it('watches at most maxPeers, dropping the least recently watched (and its redial)', async t => {
    const net = new Network()
    const m = monitor(t, net, { maxPeers: 2, redialBase: 30, pingInterval: 60_000 })
    m.start()
    m.watch(A)
    m.watch(B)
    m.disconnected(A) // a redial of A is pending
    m.watch(A) // A is the most recent again
    m.watch(C) // B goes
    assert.notEqual(m.liveness(A), undefined)
    assert.equal(m.liveness(B), undefined)
    assert.notEqual(m.liveness(C), undefined)

    m.watch(B) // A goes, with its pending redial
    assert.equal(m.liveness(A), undefined)
    await sleep(80)
    assert.equal(net.count('dial', A), 0)
  })

  void it('stop() aborts and waits for a ping in flight, and reports nothing after it resolved', async t => {
    const net = new Network()
    const answers: Array<(rtt: number) => void> = []
    let pingSignal: AbortSignal | undefined
    // a ping that ignores its signal and answers only when told
    net.ping = async (_peer, signal) => { pingSignal = signal; return new Promise(resolve => { answers.push(resolve) }) }
    net.connected.add(A)
    const m = monitor(t, net, { pingInterval: 10, pingTimeout: 5_000 })
    m.watch(A)
    m.start()
    await until('a ping in flight', () => pingSignal != null, 2_000)

    let stopped = false
    const stopping = m.stop().then(() => { stopped = true })
    await sleep(20)
    assert.equal(pingSignal?.aborted, true)
    assert.equal(stopped, false, 'stop() waits for the ping')
    for (const answer of answers) answer(3)
    await stopping
    const reports = net.seen.length
    const calls = net.calls.length

    m.disconnected(A)
    m.watch(B)
    await sleep(60)
    assert.equal(net.seen.length, reports, 'nothing reported after stop() resolved')
    assert.equal(net.calls.length, calls, 'no ping or dial after stop()')
  })

  void it('stop() waits for a redial in flight and schedules none after it', async t => {
    const net = new Network()
    const fails: Array<() => void> = []
    let dialSignal: AbortSignal | undefined
    net.dial = async (_peer, signal) => { dialSignal = signal; return new Promise((_resolve, reject) => { fails.push(() => { reject(new Error('aborted late')) }) }) }
    const m = monitor(t, net, { redialBase: 10, pingInterval: 60_000 })
    m.watch(A)
    m.start()
    m.disconnected(A)
    await until('a dial in flight', () => dialSignal != null, 2_000)

    let stopped = false
    const stopping = m.stop().then(() => { stopped = true })
    await sleep(20)
    assert.equal(dialSignal?.aborted, true)
    assert.equal(stopped, false)
    for (const fail of fails) fail()
    await stopping
    await sleep(60)
    assert.equal(net.count('dial'), 1)
  })
})
