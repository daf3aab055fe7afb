/**
 * How many strangers the peer book holds. Any securechat node that connects
 * tells us its signed nickname, and a peer id costs nothing to make, so
 * without a bound strangers could grow the peer book (and the disk) without
 * end. At most `max` of them are kept; past it the one seen least recently
 * makes room. Contacts, blocked peers and peers with a petname are the
 * user's own and never count or go. Pure state: presence feeds it.
 */
export class StrangerBound {
  private readonly max: number
  /** stranger -> last seen (ms) */
  private readonly seen = new Map<string, number>()

  constructor (max: number) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError('max must be a positive integer')
    }

    this.max = max
  }

  get size (): number {
    return this.seen.size
  }

  /** Replaces what is known with the strangers among `peers` */
  load (peers: Iterable<{ peerId: string, lastSeen: number }>): void {
    this.seen.clear()

    for (const p of peers) {
      this.seen.set(p.peerId, p.lastSeen)
    }
  }

  /**
   * A stranger enters (or is seen again). Returns the strangers to remove
   * from the peer book to stay within the bound, least recently seen first.
   */
  admit (peer: string, at: number): string[] {
    this.seen.set(peer, at)
    const evicted: string[] = []

    while (this.seen.size > this.max) {
      let oldest: string | undefined
      let oldestAt = Infinity

      for (const [p, t] of this.seen) {
        if (p !== peer && t < oldestAt) {
          oldest = p
          oldestAt = t
        }
      }

      if (oldest == null) {
        break
      }

      this.seen.delete(oldest)
      evicted.push(oldest)
    }

    return evicted
  }

  /** `peer` is no stranger any more (a contact, blocked, named) or was removed */
  forget (peer: string): void {
    this.seen.delete(peer)
  }
}
