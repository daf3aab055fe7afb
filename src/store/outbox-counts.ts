/**
 * The outbox accounting: how many outgoing messages await delivery, per peer
 * and in total, kept in memory in step with the outbox sublevel (rebuilt from
 * it on open: each entry holds its peer id, sealed), and the two bounds on
 * them.
 */
import { openValue } from './at-rest.ts'
import { SUBLEVEL_OUTBOX } from './constants.ts'
import { OutboxFullError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { decodeText } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'

export class OutboxCounts {
  readonly #maxPerPeer: number
  readonly #maxTotal: number
  readonly #perPeer = new Map<string, number>()
  #total = 0

  constructor (maxPerPeer: number, maxTotal: number) {
    this.#maxPerPeer = maxPerPeer
    this.#maxTotal = maxTotal
  }

  /** Recounts from the outbox; an entry that cannot be read is reported and not counted (it cannot be sent) */
  async rebuild (handles: Handles, report: ReportCorrupt): Promise<void> {
    this.#perPeer.clear()
    this.#total = 0
    for await (const [key, sealed] of handles.outbox.iterator()) {
      let peer: string
      try {
        peer = decodeText(openValue(handles.dataKey, SUBLEVEL_OUTBOX, key, sealed))
      } catch (err) {
        report(asCorrupt(err, SUBLEVEL_OUTBOX, key))
        continue
      }
      this.change(peer, 1)
    }
  }

  /**
   * Throws OutboxFullError if one more message to each of `peers` (one peer,
   * or the members a room message goes to) would exceed either bound
   */
  assertRoom (peers: readonly string[]): void {
    if (peers.some(peer => this.size(peer) >= this.#maxPerPeer)) {
      throw new OutboxFullError(`outbox for ${peers.length === 1 ? 'this peer' : 'a member'} is full (${this.#maxPerPeer} messages awaiting delivery)`)
    }
    if (this.#total + peers.length > this.#maxTotal) {
      throw new OutboxFullError(`outbox is full (${this.#maxTotal} messages awaiting delivery)`)
    }
  }

  /** Records an entry added (1) or removed (-1) for `peer` */
  change (peer: string, delta: 1 | -1): void {
    const count = (this.#perPeer.get(peer) ?? 0) + delta
    if (count <= 0) {
      this.#perPeer.delete(peer)
    } else {
      this.#perPeer.set(peer, count)
    }
    this.#total += delta
  }

  /** Entries for `peer`, or in total without one */
  size (peer?: string): number {
    return peer === undefined ? this.#total : (this.#perPeer.get(peer) ?? 0)
  }

  /** The peers with at least one entry */
  peers (): string[] {
    return [...this.#perPeer.keys()]
  }
}
