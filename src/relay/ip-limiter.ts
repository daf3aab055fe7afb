/**
 * Counts open connections per remote IP address so a single host cannot take
 * all of a relay's connection slots. Pure state: the gater in server.ts feeds
 * it connection open and close events.
 */
export class IpConnectionLimiter {
  private readonly counts = new Map<string, number>()
  private readonly max: number

  constructor (maxPerIp: number) {
    if (!Number.isInteger(maxPerIp) || maxPerIp < 1) {
      throw new TypeError('maxPerIp must be a positive integer')
    }

    this.max = maxPerIp
  }

  /** true if one more connection from `ip` is allowed */
  allows (ip: string): boolean {
    return (this.counts.get(ip) ?? 0) < this.max
  }

  opened (ip: string): void {
    this.counts.set(ip, (this.counts.get(ip) ?? 0) + 1)
  }

  closed (ip: string): void {
    const count = (this.counts.get(ip) ?? 0) - 1

    if (count <= 0) {
      this.counts.delete(ip)
    } else {
      this.counts.set(ip, count)
    }
  }

  count (ip: string): number {
    return this.counts.get(ip) ?? 0
  }
}
