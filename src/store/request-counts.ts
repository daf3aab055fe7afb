/**
 * The quarantine accounting: how many message requests (incoming messages
 * from non-contacts) are held, and how many bytes they take, per peer and in
 * total, kept in memory in step with the requests sublevel (rebuilt from it
 * on open: each entry holds its peer id and bytes, sealed), and the bounds on
 * them.
 */
import { openValue } from './at-rest.ts'
import { SUBLEVEL_REQUESTS } from './constants.ts'
import { RequestQuotaError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { decodeRequestEntry } from './records.ts'
import type { Handles, ReportCorrupt } from './handles.ts'

export interface RequestLimits {
  messagesPerPeer: number
  bytesPerPeer: number
  bytesTotal: number
  /** peers with requests held at once: peer ids cost nothing, so their number is bounded too */
  peers: number
}

/** What the quarantine holds for one peer */
export interface RequestSummary {
  peer: string
  messages: number
  bytes: number
}

export class RequestCounts {
  readonly #limits: RequestLimits
  readonly #perPeer = new Map<string, { messages: number, bytes: number }>()
  #total = 0

  constructor (limits: RequestLimits) {
    this.#limits = limits
  }

  /** Recounts from the requests sublevel; an entry that cannot be read is reported and not counted */
  async rebuild (handles: Handles, report: ReportCorrupt): Promise<void> {
    this.#perPeer.clear()
    this.#total = 0
    for await (const [key, sealed] of handles.requests.iterator()) {
      try {
        const entry = decodeRequestEntry(openValue(handles.dataKey, SUBLEVEL_REQUESTS, key, sealed))
        this.change(entry.peer, 1, entry.bytes)
      } catch (err) {
        report(asCorrupt(err, SUBLEVEL_REQUESTS, key))
      }
    }
  }

  /** Throws RequestQuotaError if `bytes` more for `peer` would exceed a bound */
  assertRoom (peer: string, bytes: number): void {
    const held = this.#perPeer.get(peer) ?? { messages: 0, bytes: 0 }
    if (held.messages >= this.#limits.messagesPerPeer || held.bytes + bytes > this.#limits.bytesPerPeer) {
      throw new RequestQuotaError(`message requests from this peer are at their limit (${this.#limits.messagesPerPeer} messages or ${this.#limits.bytesPerPeer} bytes): not acknowledged, the sender keeps them`)
    }
    if (!this.#perPeer.has(peer) && this.#perPeer.size >= this.#limits.peers) {
      throw new RequestQuotaError(`message requests are held from ${this.#limits.peers} peers already: not acknowledged, the sender keeps them`)
    }
    if (this.#total + bytes > this.#limits.bytesTotal) {
      throw new RequestQuotaError(`message requests are at their limit (${this.#limits.bytesTotal} bytes in total): not acknowledged, the senders keep them`)
    }
  }

  change (peer: string, messages: 1 | -1, bytes: number): void {
    const held = this.#perPeer.get(peer) ?? { messages: 0, bytes: 0 }
    held.messages += messages
    held.bytes += messages * bytes
    this.#total += messages * bytes
    if (held.messages <= 0) {
      this.#perPeer.delete(peer)
    } else {
      this.#perPeer.set(peer, held)
    }
  }

  /** Forgets everything held for `peer` (accepted or declined) */
  clear (peer: string): void {
    this.#total -= this.#perPeer.get(peer)?.bytes ?? 0
    this.#perPeer.delete(peer)
  }

  has (peer: string): boolean {
    return this.#perPeer.has(peer)
  }

  summary (): RequestSummary[] {
    return [...this.#perPeer].map(([peer, held]) => ({ peer, ...held }))
  }
}
