/**
 * LAN discovery: libp2p's mDNS, behind a filter. mDNS answers are
 * unauthenticated, and libp2p puts every address a discovered peer announces
 * into its peer store, where any later dial by peer id will use it. So the
 * announcements are filtered before libp2p sees them: only addresses on one
 * of this host's own IPv4 subnets (or IPv6 link-local) are kept, at most
 * MAX_LAN_ADDRS per peer; a peer with none is dropped.
 *
 * Why by hand: @libp2p/mdns has no address filter, and the connection
 * gater's address filter would apply to every peer, relayed or not.
 */
import { TypedEventEmitter, peerDiscoverySymbol } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { networkInterfaces } from 'node:os'
import { isRelayed } from '../net/multiaddr.ts'
import type { PeerDiscovery, PeerDiscoveryEvents, PeerInfo, Startable } from '@libp2p/interface'
import type { MulticastDNSComponents, MulticastDNSInit } from '@libp2p/mdns'
import type { Multiaddr } from '@multiformats/multiaddr'

export const MAX_LAN_ADDRS = 8

/** One IPv4 subnet of this host: its address and netmask as 32-bit numbers */
export interface Subnet {
  address: number
  netmask: number
}

function ipv4ToNumber (ip: string): number | undefined {
  const parts = ip.split('.')

  if (parts.length !== 4) {
    return undefined
  }

  let n = 0

  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) {
      return undefined
    }

    n = n * 256 + Number(part)
  }

  return n
}

/** This host's IPv4 subnets, loopback excluded */
export function localSubnets (): Subnet[] {
  return Object.values(networkInterfaces())
    .flatMap(list => list ?? [])
    .filter(i => i.family === 'IPv4' && !i.internal)
    .flatMap(i => {
      const address = ipv4ToNumber(i.address)
      const netmask = ipv4ToNumber(i.netmask)
      return address == null || netmask == null ? [] : [{ address, netmask }]
    })
}

/** The addresses of `addrs` a LAN peer can really have: on our subnets, or IPv6 link-local; no relay circuits */
export function lanAddrs (addrs: Multiaddr[], subnets: Subnet[]): Multiaddr[] {
  return addrs
    .filter(ma => {
      if (isRelayed(ma)) {
        return false
      }

      const components = ma.getComponents()

      const ip4 = components.find(c => c.name === 'ip4')?.value

      if (ip4 != null) {
        const n = ipv4ToNumber(ip4)
        // `>>> 0` keeps the bitwise results unsigned
        return n != null && subnets.some(s => ((n & s.netmask) >>> 0) === ((s.address & s.netmask) >>> 0))
      }

      const ip6 = components.find(c => c.name === 'ip6')?.value
      return ip6 != null && /^fe[89ab][0-9a-f]:/i.test(ip6)
    })
    .slice(0, MAX_LAN_ADDRS)
}

export interface LanDiscoveryInit extends MulticastDNSInit {
  /** announce and look for peers; when false the service finds nobody and sends nothing @default true */
  enabled?: boolean
  /** for tests */
  subnets?: () => Subnet[]
}

class LanDiscovery extends TypedEventEmitter<PeerDiscoveryEvents> implements PeerDiscovery, Startable {
  readonly [peerDiscoverySymbol] = this
  readonly [Symbol.toStringTag] = 'securechat:lan-discovery'
  private readonly inner?: PeerDiscovery & Partial<Startable>

  constructor (inner: PeerDiscovery | undefined, init: LanDiscoveryInit) {
    super()
    this.inner = inner
    const subnets = init.subnets ?? localSubnets

    inner?.addEventListener('peer', (evt) => {
      const multiaddrs = lanAddrs(evt.detail.multiaddrs, subnets())

      if (multiaddrs.length > 0) {
        const peer: PeerInfo = { id: evt.detail.id, multiaddrs }
        this.safeDispatchEvent('peer', { detail: peer })
      }
    })
  }

  async start (): Promise<void> {
    await this.inner?.start?.()
  }

  async stop (): Promise<void> {
    await this.inner?.stop?.()
  }
}

/**
 * mDNS behind the LAN address filter. Listeners (libp2p, and the presence
 * service) see only filtered announcements, each time one arrives.
 */
export function lanDiscovery (init: LanDiscoveryInit = {}): (components: MulticastDNSComponents) => PeerDiscovery {
  const inner = init.enabled === false ? undefined : mdns(init)
  return (components) => new LanDiscovery(inner?.(components), init)
}
