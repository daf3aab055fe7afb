/**
 * A token bucket: a burst of `burst` at once, then `rate` a second. The
 * caller passes the time, so tests and the rendezvous sweep share one clock.
 */
export interface BucketSize {
  /** tokens when full: the longest burst */
  burst: number
  /** tokens added per second */
  rate: number
}

/** A token bucket, full when made */
export class TokenBucket {
  private readonly size: BucketSize
  private tokens: number
  private at: number

  constructor (size: BucketSize, now: number) {
    this.size = size
    this.tokens = size.burst
    this.at = now
  }

  /** Whether a token is there at `now` (refilled first) */
  has (now: number): boolean {
    this.refill(now)
    return this.tokens >= 1
  }

  /** Takes one token; call only after has() said yes */
  take (): void {
    this.tokens -= 1
  }

  /** Whether it is full at `now`: no different from a new one */
  full (now: number): boolean {
    this.refill(now)
    return this.tokens >= this.size.burst
  }

  private refill (now: number): void {
    // a clock that went back refills nothing
    const elapsed = Math.max(0, now - this.at) / 1000
    this.tokens = Math.min(this.size.burst, this.tokens + elapsed * this.size.rate)
    this.at = now
  }
}
