/**
 * Exponential backoff with full jitter, pure: attempt n waits a random time in
 * [min(cap, base * 2^n) / 2, min(cap, base * 2^n)].
 */
export interface BackoffInit {
  base?: number
  cap?: number
  random?: () => number
}

export class Backoff {
  private readonly base: number
  private readonly cap: number
  private readonly random: () => number
  private attempt = 0

  constructor (init: BackoffInit = {}) {
    this.base = init.base ?? 1_000
    this.cap = init.cap ?? 30_000
    this.random = init.random ?? Math.random

    if (this.base <= 0 || this.cap < this.base) {
      throw new TypeError('backoff needs 0 < base <= cap')
    }
  }

  /** the delay before the next attempt; each call doubles the ceiling up to the cap */
  next (): number {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 30))
    this.attempt++
    return Math.round(ceiling / 2 + this.random() * ceiling / 2)
  }

  reset (): void {
    this.attempt = 0
  }

  get attempts (): number {
    return this.attempt
  }
}
