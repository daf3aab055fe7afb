/**
 * The delivery queue: drains each peer's outbox (the store's undelivered
 * outgoing messages) in order, one batch at a time per peer, and retries
 * with backoff until every message is acknowledged.
 *
 * Guarantees, together with the store and the protocol:
 * - nothing is lost: a message is in the outbox (synced) before anything is
 *   sent and leaves it only when the peer acked it after its own synced write
 *   (the leaving is not synced: lost in a power cut, it only means one more
 *   send, which the receiver deduplicates);
 * - nothing is shown twice: retries reuse the message id and the receiver
 *   deduplicates by (peer, id), across its restarts;
 * - order: a batch goes out on one session in outbox order and a failed batch
 *   is retried from its first unacknowledged message, so the receiver stores
 *   (and shows) messages in the sender's order.
 */
import { Backoff } from '../util/backoff.ts'
import type { ChatMessage } from '../types.ts'
import type { Logger } from '@libp2p/interface'

/** Messages sent per batch (and so at most in flight per peer) */
export const DELIVERY_WINDOW = 32
export const RETRY_BASE_MS = 1_000
export const RETRY_CAP_MS = 60_000
/**
 * A message whose frame went out but whose ack has not come this long after
 * is stored as `sent`. Most acks come within milliseconds: the message goes
 * from `pending` to `delivered` in one write, not two (issue 10).
 */
export const SENT_STATUS_DELAY_MS = 250

export interface DeliveryStore {
  pending(peer: string, options?: { limit?: number, signal?: AbortSignal }): Promise<ChatMessage[]>
  pendingPeers(options?: { signal?: AbortSignal }): Promise<string[]>
  /** resolves with a truthy value only for the call that changed the status */
  setStatus(peer: string, id: string, status: 'sent' | 'delivered', options?: { sync?: boolean }): Promise<object | undefined>
  /** a room message (its `peer` is the room's conversation) reached `member`: truthy only for the call that settled it */
  deliveredTo(member: string, message: ChatMessage): Promise<object | undefined>
}

export interface SendBatch {
  (peer: string, messages: ChatMessage[], options: {
    signal: AbortSignal
    onWritten: (id: string) => void
    onAck: (id: string) => Promise<void>
  }): Promise<void>
}

export interface DeliveryQueueInit {
  store: DeliveryStore
  sendBatch: SendBatch
  /** a message was acknowledged by `to`: fires once per message, and for a room message once per member */
  onDelivered: (message: ChatMessage, to: string) => void
  /** a message's frame went out to `to` (a direct message is `sent` then) */
  onSent?: (message: ChatMessage, to: string) => void
  /**
   * An attempt to deliver to `peer` failed. `firstFailure` is true for the
   * first failure since delivery to that peer last worked (or started), so
   * the user can be told once, not at every retry.
   */
  onFailed?: (peer: string, err: Error, firstFailure: boolean, retryIn: number) => void
  log: Logger
  window?: number
  /** @default SENT_STATUS_DELAY_MS */
  sentDelay?: number
  retryBase?: number
  retryCap?: number
}

interface PeerState {
  running: boolean
  /** the last attempt failed */
  failing: boolean
  /** more work arrived while running: go round again */
  again: boolean
  backoff: Backoff
  timer?: ReturnType<typeof setTimeout>
}

export class DeliveryQueue {
  private readonly init: DeliveryQueueInit
  private readonly window: number
  private readonly sentDelay: number
  private readonly peers = new Map<string, PeerState>()
  private readonly controller = new AbortController()
  private readonly pumps = new Set<Promise<void>>()
  private stopped = false

  constructor (init: DeliveryQueueInit) {
    this.init = init
    this.window = init.window ?? DELIVERY_WINDOW
    this.sentDelay = init.sentDelay ?? SENT_STATUS_DELAY_MS
  }

  /** Resume every outbox left from an earlier run */
  async start (): Promise<void> {
    for (const peer of await this.init.store.pendingPeers()) {
      this.kick(peer)
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.controller.abort()

    for (const state of this.peers.values()) {
      clearTimeout(state.timer)
    }

    await Promise.allSettled([...this.pumps])
  }

  /**
   * Deliver `peer`'s outbox now: a new message was queued, or the peer just
   * became reachable (connected, discovered, seen through a relay). Resets
   * the backoff.
   */
  kick (peer: string): void {
    if (this.stopped) {
      return
    }

    const state = this.state(peer)
    clearTimeout(state.timer)
    state.timer = undefined
    state.backoff.reset()

    if (state.running) {
      state.again = true
      return
    }

    this.run(peer, state)
  }

  /** kick every peer that has messages waiting */
  async kickAll (): Promise<void> {
    for (const peer of await this.init.store.pendingPeers()) {
      this.kick(peer)
    }
  }

  private state (peer: string): PeerState {
    let state = this.peers.get(peer)

    if (state == null) {
      state = {
        running: false,
        failing: false,
        again: false,
        backoff: new Backoff({ base: this.init.retryBase ?? RETRY_BASE_MS, cap: this.init.retryCap ?? RETRY_CAP_MS })
      }
      this.peers.set(peer, state)
    }

    return state
  }

  private run (peer: string, state: PeerState): void {
    state.running = true
    const pump = this.pump(peer, state)
      .catch((err: Error) => { this.init.log.error('delivery to %s failed unexpectedly - %e', peer, err) })
      .finally(() => {
        state.running = false
        this.pumps.delete(pump)
      })
    this.pumps.add(pump)
  }

  private async pump (peer: string, state: PeerState): Promise<void> {
    const signal = this.controller.signal

    while (!this.stopped) {
      state.again = false
      const batch = await this.init.store.pending(peer, { limit: this.window, signal })

      if (batch.length === 0) {
        if (state.again) {
          continue
        }

        this.peers.delete(peer)
        return
      }

      const byId = new Map(batch.map(m => [m.id, m]))
      const sent = new SentMarks(peer, byId, this.init, this.sentDelay)

      try {
        await this.init.sendBatch(peer, batch, {
          signal,
          onWritten: (id) => { sent.written(id) },
          onAck: async (id) => {
            sent.acked(id)
            const message = byId.get(id)
            if (message == null) {
              return
            }
            // not synced on its own (it shares the next synced batch, if any): after a power
            // loss the message is pending again, is sent again and the receiver's dedup acks it
            const settled = message.peer === peer
              ? await this.init.store.setStatus(peer, id, 'delivered', { sync: false })
              : await this.init.store.deliveredTo(peer, message)
            if (settled != null) {
              this.init.onDelivered(message.peer === peer ? { ...message, status: 'delivered' } : message, peer)
            }
          }
        })
        await sent.end()
        state.backoff.reset()
        state.failing = false
      } catch (err) {
        // what went out and was not acknowledged is `sent` now (also when stopping),
        // stored before the retry reads the outbox again
        await sent.end()

        if (this.stopped) {
          return
        }

        const delay = state.backoff.next()
        this.init.onFailed?.(peer, err as Error, !state.failing, delay)
        state.failing = true
        this.init.log('delivery to %s failed, retrying in %dms - %e', peer, delay, err)
        state.timer = setTimeout(() => {
          state.timer = undefined
          if (!state.running) this.run(peer, state)
        }, delay)
        state.timer.unref?.()
        return
      }
    }
  }
}

/**
 * The `sent` marks of one batch. The `sent` event fires as each frame goes
 * out, once per message (not again for a message already stored as `sent`);
 * the status is written only for what is still unacknowledged after the
 * delay or when the batch ends (advisory, not synced: a crash only makes it
 * `pending` again). One timer per batch, not per message.
 */
class SentMarks {
  private readonly peer: string
  private readonly byId: Map<string, ChatMessage>
  private readonly init: Pick<DeliveryQueueInit, 'store' | 'onSent'>
  private readonly delay: number
  /** written, not yet acknowledged nor stored as `sent` */
  private readonly unacked = new Set<string>()
  private timer?: ReturnType<typeof setTimeout>

  /** `byId`: the batch's messages to `peer` by id */
  constructor (peer: string, byId: Map<string, ChatMessage>, init: Pick<DeliveryQueueInit, 'store' | 'onSent'>, delay: number) {
    this.peer = peer
    this.byId = byId
    this.init = init
    this.delay = delay
  }

  written (id: string): void {
    const message = this.byId.get(id)

    if (message == null || message.status !== 'pending') {
      return
    }

    this.init.onSent?.(message, this.peer)

    // a room message has no `sent` status of its own: it waits for several members
    if (message.peer !== this.peer) {
      return
    }

    this.unacked.add(id)

    if (this.timer == null) {
      this.timer = setTimeout(() => { void this.flush() }, this.delay)
      this.timer.unref?.()
    }
  }

  acked (id: string): void {
    this.unacked.delete(id)
  }

  /** the batch is over: store what is still unacknowledged as `sent` */
  async end (): Promise<void> {
    clearTimeout(this.timer)
    await this.flush()
  }

  private async flush (): Promise<void> {
    this.timer = undefined
    const writes: Array<Promise<unknown>> = []

    for (const id of this.unacked) {
      const message = this.byId.get(id)
      if (message == null) continue
      writes.push(this.init.store.setStatus(message.peer, id, 'sent', { sync: false }).catch(() => {}))
    }

    this.unacked.clear()
    await Promise.all(writes)
  }
}
