/**
 * The rendezvous point's registrations, in memory (a relay that restarts
 * forgets them all; clients register again at their next refresh). Pure:
 * no I/O, time from an injected clock, every size bounded.
 *
 * Each namespace is a Map from peer id to registration in insertion order,
 * and every registration (a refresh included: it is deleted and set again)
 * takes the next sequence number: so each namespace is ordered by sequence
 * number for free, and a page resumes after the last number it returned.
 * A second map per peer counts and finds its registrations (and drops
 * them all when the peer disconnects), a third per sender address counts
 * those made from it. Expiry is
 * lazy: an expired registration is skipped (and dropped) when a page reads
 * it, dropped when its peer, address or namespace is at its limit, and swept by
 * `sweep()`, which the service runs periodically and a full point runs at
 * once (at most once a second); no timer per registration.
 */
import type { Clock } from '../util/clock.ts'

export interface Registration {
  namespace: string
  /** the peer id, as a string */
  peer: string
  /** where the peer registered from (quota.ts senderAddress), if it has an IP address */
  address: string | undefined
  /** the signed peer record as the peer sent it (checked before it was added) */
  record: Uint8Array<ArrayBuffer>
  /** ms since the epoch, on the clock */
  expiresAt: number
  /** order of registration, over all namespaces; 1 for the first */
  seq: number
  /** bytes it takes in a DISCOVER response, at most */
  size: number
}

export interface RegistrationLimits {
  perPeer: number
  perAddress: number
  perNamespace: number
  total: number
}

/** Why a registration was not added: this peer has too many, its address has, this namespace has, or the point has */
export type AddRefusal = 'peer-full' | 'address-full' | 'namespace-full' | 'full'

export interface Page {
  registrations: Array<{ registration: Registration, ttl: number }>
  /** the sequence number to resume after */
  position: number
}

/** A full point sweeps on demand at most this often (ms) */
const MIN_SWEEP_GAP_MS = 1_000

/** The protobuf overhead of one registration in a DiscoverResponse, bytes, at most: three tags, three length or value varints, the outer tag and length */
const ENTRY_OVERHEAD = 24

export class Registrations {
  private readonly limits: RegistrationLimits
  private readonly clock: Pick<Clock, 'now'>
  private readonly byNamespace = new Map<string, Map<string, Registration>>()
  private readonly byPeer = new Map<string, Map<string, Registration>>()
  private readonly byAddress = new Map<string, Set<Registration>>()
  private lastSeq = 0
  private count = 0
  private lastSweep = -Infinity

  constructor (limits: RegistrationLimits, clock: Pick<Clock, 'now'>) {
    this.limits = limits
    this.clock = clock
  }

  /** registrations held, expired ones not yet swept included */
  get size (): number {
    return this.count
  }

  /**
   * Adds `peer`'s registration in `namespace`, replacing the one it held
   * there (a replacement never counts against a limit), unless a limit
   * refuses it. `ttl` in seconds; `address` where the peer sent it from
   * (undefined: none, and no address quota).
   */
  add (namespace: string, peer: string, record: Uint8Array<ArrayBuffer>, ttl: number, address?: string): AddRefusal | undefined {
    const now = this.clock.now()
    const peers = this.byNamespace.get(namespace)
    const existing = peers?.get(peer)

    if (existing == null) {
      const ofPeer = this.byPeer.get(peer)

      if (ofPeer != null && ofPeer.size >= this.limits.perPeer) {
        this.dropExpired(ofPeer.values(), now)
        if (ofPeer.size >= this.limits.perPeer) return 'peer-full'
      }

      const fromAddress = address == null ? undefined : this.byAddress.get(address)

      if (fromAddress != null && fromAddress.size >= this.limits.perAddress) {
        this.dropExpired(fromAddress.values(), now)
        if (fromAddress.size >= this.limits.perAddress) return 'address-full'
      }

      if (peers != null && peers.size >= this.limits.perNamespace) {
        this.dropExpired(peers.values(), now)
        if (peers.size >= this.limits.perNamespace) return 'namespace-full'
      }

      if (this.count >= this.limits.total) {
        // sweep now rather than wait for the next periodic sweep, but at most once a second: a sweep walks every registration
        if (now - this.lastSweep >= MIN_SWEEP_GAP_MS) this.sweep()
        if (this.count >= this.limits.total) return 'full'
      }
    } else {
      this.remove(namespace, peer)
    }

    const registration: Registration = {
      namespace,
      peer,
      address,
      record,
      expiresAt: now + ttl * 1000,
      seq: ++this.lastSeq,
      size: Buffer.byteLength(namespace) + record.byteLength + ENTRY_OVERHEAD
    }

    let inNamespace = this.byNamespace.get(namespace)

    if (inNamespace == null) {
      inNamespace = new Map()
      this.byNamespace.set(namespace, inNamespace)
    }

    let ofPeer = this.byPeer.get(peer)

    if (ofPeer == null) {
      ofPeer = new Map()
      this.byPeer.set(peer, ofPeer)
    }

    if (address != null) {
      let fromAddress = this.byAddress.get(address)

      if (fromAddress == null) {
        fromAddress = new Set()
        this.byAddress.set(address, fromAddress)
      }

      fromAddress.add(registration)
    }

    inNamespace.set(peer, registration)
    ofPeer.set(namespace, registration)
    this.count++
    return undefined
  }

  /** Removes `peer`'s registration in `namespace`; whether there was one */
  remove (namespace: string, peer: string): boolean {
    const inNamespace = this.byNamespace.get(namespace)
    const registration = inNamespace?.get(peer)

    if (inNamespace == null || registration == null) {
      return false
    }

    inNamespace.delete(peer)
    if (inNamespace.size === 0) this.byNamespace.delete(namespace)
    const ofPeer = this.byPeer.get(peer)
    ofPeer?.delete(namespace)
    if (ofPeer?.size === 0) this.byPeer.delete(peer)

    if (registration.address != null) {
      const fromAddress = this.byAddress.get(registration.address)
      fromAddress?.delete(registration)
      if (fromAddress?.size === 0) this.byAddress.delete(registration.address)
    }

    this.count--
    return true
  }

  /** Removes every registration of `peer`; how many */
  removePeer (peer: string): number {
    const before = this.count

    for (const namespace of [...this.byPeer.get(peer)?.keys() ?? []]) {
      this.remove(namespace, peer)
    }

    return before - this.count
  }

  /**
   * The registrations of `namespace` after sequence number `after`, in
   * order, unexpired, at most `limit` of them and at most `maxBytes` of
   * response (but always at least one, if there is one); each with its
   * remaining TTL in whole seconds, at least 1. Expired ones met on the
   * way are dropped.
   */
  page (namespace: string, after: number, limit: number, maxBytes: number): Page {
    const now = this.clock.now()
    const registrations: Page['registrations'] = []
    let position = after
    let bytes = 0

    for (const registration of this.byNamespace.get(namespace)?.values() ?? []) {
      if (registrations.length >= limit) break
      if (registration.seq <= after) continue

      if (registration.expiresAt <= now) {
        this.remove(registration.namespace, registration.peer)
        continue
      }

      if (registrations.length > 0 && bytes + registration.size > maxBytes) break
      bytes += registration.size
      registrations.push({ registration, ttl: Math.max(1, Math.ceil((registration.expiresAt - now) / 1000)) })
      position = registration.seq
    }

    return { registrations, position }
  }

  /** Drops every expired registration; how many */
  sweep (): number {
    const now = this.clock.now()
    this.lastSweep = now
    const before = this.count

    for (const inNamespace of [...this.byNamespace.values()]) {
      this.dropExpired(inNamespace.values(), now)
    }

    return before - this.count
  }

  /** Forgets everything */
  clear (): void {
    this.byNamespace.clear()
    this.byPeer.clear()
    this.byAddress.clear()
    this.count = 0
  }

  private dropExpired (registrations: Iterable<Registration>, now: number): void {
    for (const registration of [...registrations]) {
      if (registration.expiresAt <= now) {
        this.remove(registration.namespace, registration.peer)
      }
    }
  }
}
