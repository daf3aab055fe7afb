/**
 * The read-receipt service (public face: index.ts). Outgoing receipts are
 * queued per peer (bounded) and flushed one batch at a time per peer;
 * incoming ones move our message to `read`, decided inside the store's
 * write queue so that `read` (and `delivered`) each fire once.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { BackgroundTasks } from '../util/tasks.ts'
import type { Receipts, ReceiptsComponents, ReceiptsEvents, ReceiptsInit } from './index.ts'
import type { AbortOptions, Logger, PeerId, Startable } from '@libp2p/interface'

const MAX_QUEUED_RECEIPTS = 1024

export class ReceiptsService extends TypedEventEmitter<ReceiptsEvents> implements Receipts, Startable {
  readonly [Symbol.toStringTag] = 'securechat:receipts'
  readonly [serviceCapabilities]: string[] = ['securechat:receipts']
  readonly [serviceDependencies]: string[] = ['securechat:chat', 'securechat:contacts']

  private readonly components: ReceiptsComponents
  private readonly log: Logger
  private readonly enabled: boolean
  private readonly maxQueued: number
  private readonly tasks: BackgroundTasks
  /** receipts not yet sent, per peer */
  private readonly queued = new Map<string, Set<string>>()
  private readonly flushing = new Set<string>()
  private running = false

  constructor (components: ReceiptsComponents, init: ReceiptsInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:receipts')
    this.enabled = init.enabled ?? true
    this.maxQueued = init.maxQueued ?? MAX_QUEUED_RECEIPTS
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.running = true
    this.tasks.start()
    this.components.chat.handleReceipts(this.onReceipt)
  }

  async stop (): Promise<void> {
    this.running = false
    await this.tasks.stop()
    this.queued.clear()
  }

  markRead (peer: string, ids: readonly string[]): void {
    // while stopped the flush below would not run, and `flushing` would hold the peer for good
    // strangers learn nothing, not even that we read them
    if (!this.enabled || !this.running || ids.length === 0 || !this.components.contacts.isContact(peer)) {
      return
    }

    const queued = this.queued.get(peer) ?? new Set<string>()

    for (const id of ids) {
      if (queued.size < this.maxQueued) queued.add(id)
    }

    this.queued.set(peer, queued)

    if (!this.flushing.has(peer)) {
      this.flushing.add(peer)
      this.tasks.run(`read receipts to ${peer}`, async (signal) => {
        try {
          await this.flush(peer, { signal })
        } finally {
          this.flushing.delete(peer)
        }
      })
    }
  }

  /** sends the receipts queued for `peer`, one batch at a time; a failed batch is dropped */
  private async flush (peer: string, options: AbortOptions): Promise<void> {
    while (true) {
      const queued = this.queued.get(peer)
      this.queued.delete(peer)

      if (queued == null || queued.size === 0) {
        return
      }

      // only messages we really received from that peer
      const ids: string[] = []
      for (const id of queued) {
        const m = await this.components.store.get(peer, id, options).catch(() => undefined)
        if (m?.direction === 'in') ids.push(id)
      }

      await this.components.chat.sendReceipts(peerIdFromString(peer), ids, options)
    }
  }

  private readonly onReceipt = async (peer: PeerId, id: string, options: AbortOptions): Promise<void> => {
    const key = peer.toString()
    // a receipt for a message we never sent to this peer changes nothing and is ignored
    const change = await this.components.store.setStatus(key, id, 'read', options)

    if (change == null) {
      return
    }

    if (change.previous !== 'delivered') {
      // the receipt overtook the ack: the ack, when it comes, changes nothing, so `delivered` still fires once
      this.safeDispatchEvent('delivered', { detail: { id, to: key } })
    }

    this.safeDispatchEvent('read', { detail: { id, by: key } })
  }
}
