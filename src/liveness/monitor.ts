/**
 * Liveness of the peers we chat with: pings them while connected (libp2p
 * ping) to learn their round-trip time and when they were last seen, closes
 * a connection that stops answering, and redials a peer that went away with
 * backoff, for as long as the node runs. The peer set is bounded.
 *
 * The network is reached only through the functions given to it, so the
 * policy is testable without one.
 */
import { Backoff } from '../util/backoff.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import type { Logger } from '@libp2p/interface'

export const PING_INTERVAL_MS = 15_000
export const PING_TIMEOUT_MS = 5_000
/** one redial of a peer that went away */
export const DIAL_TIMEOUT_MS = 10_000
/** consecutive failed pings before the connection is considered dead */
export const MAX_MISSED_PINGS = 3
export const REDIAL_BASE_MS = 2_000
export const REDIAL_CAP_MS = 60_000
export const MAX_WATCHED_PEERS = 64

export interface Liveness {
  /** last round-trip time, ms */
  rtt?: number
  /** last time the peer answered, ms since epoch */
  lastSeen?: number
}

export interface PeerMonitorInit {
  ping: (peer: string, signal: AbortSignal) => Promise<number>
  dial: (peer: string, signal: AbortSignal) => Promise<void>
  isConnected: (peer: string) => boolean
  /** close every connection to the peer (it stopped answering) */
  hangUp: (peer: string) => Promise<void>
  onSeen?: (peer: string, liveness: Liveness) => void
  log: Logger
  pingInterval?: number
  pingTimeout?: number
  dialTimeout?: number
  redialBase?: number
  redialCap?: number
  maxPeers?: number
}

interface Watched extends Liveness {
  missed: number
  backoff: Backoff
  timer?: ReturnType<typeof setTimeout>
  dialing: boolean
}

export class PeerMonitor {
  private readonly init: PeerMonitorInit
  private readonly peers = new Map<string, Watched>()
  /** pings and redials in flight: stop() waits for them */
  private readonly tasks: BackgroundTasks
  private interval?: ReturnType<typeof setInterval>
  private running = false

  constructor (init: PeerMonitorInit) {
    this.init = init
    this.tasks = new BackgroundTasks(init.log)
  }

  start (): void {
    this.running = true
    this.tasks.start()
    this.interval = setInterval(() => { this.tasks.run('ping', async (signal) => this.pingAll(signal)) }, this.init.pingInterval ?? PING_INTERVAL_MS)
    this.interval.unref?.()
  }

  /** Stops pinging and redialling; resolves once the pings and dials in flight have ended */
  async stop (): Promise<void> {
    this.running = false
    clearInterval(this.interval)

    for (const w of this.peers.values()) {
      clearTimeout(w.timer)
      w.timer = undefined
    }

    await this.tasks.stop()
  }

  /** Watch a peer we chat with; the least recently added is dropped past the bound */
  watch (peer: string): void {
    const existing = this.peers.get(peer)

    if (existing != null) {
      // refresh its place as most recent
      this.peers.delete(peer)
      this.peers.set(peer, existing)
      return
    }

    this.peers.set(peer, { missed: 0, backoff: new Backoff({ base: this.init.redialBase ?? REDIAL_BASE_MS, cap: this.init.redialCap ?? REDIAL_CAP_MS }), dialing: false })

    if (this.peers.size > (this.init.maxPeers ?? MAX_WATCHED_PEERS)) {
      const oldest = this.peers.keys().next().value

      if (oldest != null) {
        clearTimeout(this.peers.get(oldest)?.timer)
        this.peers.delete(oldest)
      }
    }
  }

  liveness (peer: string): Liveness | undefined {
    const w = this.peers.get(peer)
    return w == null ? undefined : { rtt: w.rtt, lastSeen: w.lastSeen }
  }

  /** A connection to the peer opened: it is alive, reset its backoff */
  connected (peer: string): void {
    const w = this.peers.get(peer)

    if (w != null) {
      clearTimeout(w.timer)
      w.timer = undefined
      w.backoff.reset()
      w.missed = 0
      this.seen(peer, w)
    }
  }

  /** The last connection to the peer closed: redial it with backoff */
  disconnected (peer: string): void {
    const w = this.peers.get(peer)

    if (w != null) {
      this.scheduleRedial(peer, w)
    }
  }

  private seen (peer: string, w: Watched, rtt?: number): void {
    w.lastSeen = Date.now()

    if (rtt != null) {
      w.rtt = rtt
    }

    this.init.onSeen?.(peer, { rtt: w.rtt, lastSeen: w.lastSeen })
  }

  private async pingAll (stopping: AbortSignal): Promise<void> {
    await Promise.all([...this.peers.entries()].map(async ([peer, w]) => {
      if (!this.running || !this.init.isConnected(peer)) {
        return
      }

      try {
        const signal = signalWithTimeout(this.init.pingTimeout ?? PING_TIMEOUT_MS, stopping)
        const rtt = await this.init.ping(peer, signal)
        w.missed = 0
        this.seen(peer, w, rtt)
      } catch (err) {
        w.missed++
        this.init.log('ping %s failed (%d in a row) - %e', peer, w.missed, err)

        if (w.missed >= MAX_MISSED_PINGS && this.running) {
          w.missed = 0
          // a dead connection: drop it, the disconnect schedules the redial
          await this.init.hangUp(peer).catch(() => {})
        }
      }
    }))
  }

  private scheduleRedial (peer: string, w: Watched): void {
    if (!this.running || w.timer != null) {
      return
    }

    const delay = w.backoff.next()
    w.timer = setTimeout(() => {
      w.timer = undefined
      this.tasks.run('redial', async (signal) => this.redial(peer, w, signal))
    }, delay)
    w.timer.unref?.()
  }

  private async redial (peer: string, w: Watched, stopping: AbortSignal): Promise<void> {
    if (!this.running || w.dialing || this.init.isConnected(peer) || this.peers.get(peer) !== w) {
      return
    }

    w.dialing = true

    try {
      await this.init.dial(peer, signalWithTimeout(this.init.dialTimeout ?? DIAL_TIMEOUT_MS, stopping))
      this.connected(peer)
    } catch (err) {
      this.init.log('redial %s failed - %e', peer, err)
      this.scheduleRedial(peer, w)
    } finally {
      w.dialing = false
    }
  }
}
