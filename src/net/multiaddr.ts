/**
 * Multiaddr helpers, the one place that knows how our addresses are built
 * and read: the peer id an address names, whether it goes through a relay,
 * the TCP listen address for an IPv4 or IPv6 host, and the parsing (with
 * typed errors) of the addresses a user gives.
 */
import { isIP } from 'node:net'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Circuit } from '@multiformats/multiaddr-matcher'
import { InvalidMultiaddrError, InvalidPeerIdError } from '../errors.ts'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type ConnectionKind = 'direct' | 'relayed'

/** The peer id in the last /p2p/ component of `ma`, as a string, if any */
export function peerIdOf (ma: Multiaddr): string | undefined {
  return ma.getComponents().findLast(c => c.name === 'p2p')?.value
}

/** The IPv4 or IPv6 address of `ma`, if it has one */
export function ipOf (ma: Multiaddr): string | undefined {
  return ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
}

/** True when `ma` goes through a circuit relay */
export function isRelayed (ma: Multiaddr): boolean {
  return Circuit.matches(ma)
}

/** `ma` ending in /p2p/<peer>, whether or not it did already */
export function withPeerId (ma: Multiaddr, peer: string): Multiaddr {
  return peerIdOf(ma) === peer ? ma : ma.encapsulate(`/p2p/${peer}`)
}

/** The TCP listen multiaddr for an IPv4 or IPv6 address; TypeError for anything else */
export function tcpListenAddr (host: string, port: number): string {
  switch (isIP(host)) {
    case 4:
      return `/ip4/${host}/tcp/${port}`
    case 6:
      return `/ip6/${host}/tcp/${port}`
    default:
      throw new TypeError(`not an IP address: ${host}`)
  }
}

/** Parses a peer id; InvalidPeerIdError if it is not one */
export function parsePeerId (peer: string): PeerId {
  try {
    return peerIdFromString(peer)
  } catch (err) {
    throw new InvalidPeerIdError(`invalid peer id: ${peer}`, { cause: err })
  }
}

/**
 * Parses an address to dial or to use as a relay: it must be a multiaddr
 * ending in /p2p/<peer id>. Throws InvalidMultiaddrError; `what` names the
 * address in the message ("relay multiaddr").
 */
export function parsePeerAddr (addr: string, what = 'multiaddr'): { ma: Multiaddr, peerId: PeerId } {
  let ma: Multiaddr

  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new InvalidMultiaddrError(`invalid ${what}: ${addr}`, { cause: err })
  }

  // the last component: `<relay>/p2p-circuit` names the relay, not a peer to dial
  const last = ma.getComponents().at(-1)
  const peer = last?.name === 'p2p' ? last.value : undefined

  if (peer == null) {
    throw new InvalidMultiaddrError(`${what} must end with /p2p/<peer id>: ${addr}`)
  }

  try {
    return { ma, peerId: peerIdFromString(peer) }
  } catch (err) {
    throw new InvalidMultiaddrError(`${what} has an invalid peer id: ${addr}`, { cause: err })
  }
}

/** Parses each string that is a multiaddr; the others are dropped */
export function parseMultiaddrs (addrs: readonly string[]): Multiaddr[] {
  return addrs.flatMap(a => { try { return [multiaddr(a)] } catch { return [] } })
}

export function connectionKind (connection: Connection): ConnectionKind {
  return isRelayed(connection.remoteAddr) ? 'relayed' : 'direct'
}

/** direct if any of the connections is, else relayed */
export function bestKind (connections: readonly Connection[]): ConnectionKind {
  return connections.some(c => connectionKind(c) === 'direct') ? 'direct' : 'relayed'
}

/** The open connections among `connections` */
export function openConnections (connections: readonly Connection[]): Connection[] {
  return connections.filter(c => c.status === 'open')
}
