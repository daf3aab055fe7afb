/**
 * How much one sender may ask of the rendezvous point, pure: the address
 * a sender is counted under, and the token buckets that bound its
 * REGISTER and DISCOVER requests, per connection and per address
 * (constants.ts REQUEST_BURST, ADDRESS_REQUEST_BURST and their reasons).
 * Time from an injected clock; no timers.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ipOf } from '../net/multiaddr.ts'
import type { Clock } from '../util/clock.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TokenBucket } from '../util/token-bucket.ts'
import type { BucketSize } from '../util/token-bucket.ts'

/**
 * The address the peer at `remoteAddr` is counted under: its IPv4 address,
 * or the /64 of its IPv6 address (an IPv4-mapped one as IPv4), since one
 * host is commonly given a whole /64; undefined without an IP address.
 */
export function senderAddress (remoteAddr: Multiaddr): string | undefined {
  const ip = ipOf(remoteAddr)

  if (ip == null || !ip.includes(':')) {
    return ip
  }

  let bytes: Uint8Array

  try {
    // the 16 bytes after the ip6 code (one varint byte): whatever way the address was written
    bytes = multiaddr(`/ip6/${ip}`).bytes.subarray(1)
  } catch {
    return ip
  }

  if (bytes.subarray(0, 10).every(b => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.subarray(12).join('.')
  }

  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64`
}

/**
 * The buckets of every connection and every address. A connection's is
 * forgotten with the connection (a WeakMap); an address's once it is full
 * again, by `prune()` (the server's sweep), so the table holds only
 * addresses that asked for something within the last
 * ADDRESS_REQUEST_BURST / ADDRESS_REQUEST_RATE seconds or so.
 */
export class RequestLimiter<Key extends object> {
  private readonly perConnection: BucketSize
  private readonly perAddress: BucketSize
  private readonly clock: Pick<Clock, 'now'>
  private readonly connections = new WeakMap<Key, TokenBucket>()
  private readonly addresses = new Map<string, TokenBucket>()

  constructor (perConnection: BucketSize, perAddress: BucketSize, clock: Pick<Clock, 'now'>) {
    this.perConnection = perConnection
    this.perAddress = perAddress
    this.clock = clock
  }

  /** Whether a request on `connection`, from `address`, may go ahead; if so, it takes a token of each bucket */
  admit (connection: Key, address: string | undefined): boolean {
    const now = this.clock.now()
    let ofConnection = this.connections.get(connection)

    if (ofConnection == null) {
      ofConnection = new TokenBucket(this.perConnection, now)
      this.connections.set(connection, ofConnection)
    }

    let ofAddress: TokenBucket | undefined

    if (address != null) {
      ofAddress = this.addresses.get(address)

      if (ofAddress == null) {
        ofAddress = new TokenBucket(this.perAddress, now)
        this.addresses.set(address, ofAddress)
      }
    }

    if (!ofConnection.has(now) || ofAddress?.has(now) === false) {
      return false
    }

    ofConnection.take()
    ofAddress?.take()
    return true
  }

  /** Forgets the buckets of addresses that are full again */
  prune (): void {
    const now = this.clock.now()

    for (const [address, bucket] of this.addresses) {
      if (bucket.full(now)) this.addresses.delete(address)
    }
  }

  /** Forgets every address's bucket (connections' go with their connections) */
  clear (): void {
    this.addresses.clear()
  }
}
