/**
 * Inbound connections in their handshake, counted per source. libp2p holds
 * one of its pending slots (MAX_PENDING_INBOUND_UPGRADES) for each from the
 * moment it accepts the socket, before it knows the peer, until the upgrade
 * ends or times out: a source that keeps many open at once (idle sockets
 * that never begin Noise) holds the slots everyone else needs, contacts
 * included. The gater (gater.ts) admits a few per source at once and
 * refuses the rest, which frees their libp2p slot at once.
 *
 * A handshake is released when it completes (the gater's next gate for the
 * same connection), when its connection closes (a v3 MultiaddrConnection
 * dispatches `close` however it ends: closed, aborted, reset), or at the
 * latest after `timeout`: a safety net, since libp2p aborts the connection
 * at its upgrade timeout anyway.
 */
import { INBOUND_UPGRADE_TIMEOUT_MS, MAX_TRACKED_HANDSHAKES } from './constants.ts'
import { realClock } from '../util/clock.ts'
import type { Clock } from '../util/clock.ts'
import type { MultiaddrConnection } from '@libp2p/interface'

export interface PendingHandshakesInit {
  /** ms after which a handshake is released whatever became of it @default 3000 (INBOUND_UPGRADE_TIMEOUT_MS) */
  timeout?: number
  /** handshakes tracked at once; past it the oldest is forgotten @default 256 (MAX_TRACKED_HANDSHAKES) */
  maxTracked?: number
  clock?: Clock
}

interface Tracked {
  source: string
  timer: unknown
  onClose: () => void
}

export class PendingHandshakes {
  private readonly timeout: number
  private readonly maxTracked: number
  private readonly clock: Clock
  /** handshakes in progress per source */
  private readonly counts = new Map<string, number>()
  /** the connections in their handshake, oldest first (a Map keeps insertion order) */
  private readonly tracked = new Map<MultiaddrConnection, Tracked>()

  constructor (init: PendingHandshakesInit = {}) {
    this.timeout = init.timeout ?? INBOUND_UPGRADE_TIMEOUT_MS
    this.maxTracked = init.maxTracked ?? MAX_TRACKED_HANDSHAKES
    this.clock = init.clock ?? realClock

    if (!(this.timeout > 0) || !Number.isInteger(this.maxTracked) || this.maxTracked < 1) {
      throw new TypeError('pending handshakes need timeout > 0 and maxTracked >= 1')
    }
  }

  /** handshakes of `source` in progress */
  count (source: string): number {
    return this.counts.get(source) ?? 0
  }

  /** connections tracked, all sources */
  get size (): number {
    return this.tracked.size
  }

  /**
   * Counts `conn` as a handshake of `source`, unless `source` already has
   * `max` in progress: then false, and nothing is counted. A connection
   * already closed, or already counted, is admitted without counting it again.
   */
  admit (source: string, conn: MultiaddrConnection, max: number): boolean {
    if (this.tracked.has(conn) || conn.status !== 'open') {
      return true
    }

    const count = this.count(source)

    if (count >= max) {
      return false
    }

    for (const [oldest] of this.tracked) {
      if (this.tracked.size < this.maxTracked) {
        break
      }

      this.release(oldest)
    }

    const onClose = (): void => { this.release(conn) }
    conn.addEventListener('close', onClose, { once: true })
    this.tracked.set(conn, { source, timer: this.clock.setTimeout(onClose, this.timeout), onClose })
    this.counts.set(source, count + 1)
    return true
  }

  /** the handshake of `conn` is over (completed, failed or closed); a connection not counted is ignored */
  release (conn: MultiaddrConnection): void {
    const t = this.tracked.get(conn)

    if (t == null) {
      return
    }

    this.tracked.delete(conn)
    this.clock.clearTimeout(t.timer)
    conn.removeEventListener('close', t.onClose)
    const left = this.count(t.source) - 1

    if (left > 0) {
      this.counts.set(t.source, left)
    } else {
      this.counts.delete(t.source)
    }
  }
}
