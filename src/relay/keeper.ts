/**
 * Keeps a node connected to its configured relays, so that its reservations
 * (and /p2p-circuit addresses) come back after the relay restarts or the
 * link drops, without a restart of the node.
 *
 * Why by hand: libp2p keeps a reservation on a relay given as a static
 * `<relay>/p2p-circuit` listen address only until that connection closes; it
 * is not re-established (js-libp2p issue 3601). A `/p2p-circuit` listen
 * address in discovery mode does re-reserve on any connected relay, so the
 * node listens that way (once per relay) and this keeper makes sure the
 * configured relays are connected: it redials each one with backoff whenever
 * its connection is gone, for as long as the node runs.
 */
import { setMaxListeners } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { Backoff } from './backoff.ts'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const RELAY_DIAL_TIMEOUT_MS = 10_000
export const RELAY_CHECK_INTERVAL_MS = 5_000
/**
 * Connected to a relay but without a reservation for this long (it refused
 * one, e.g. it was full): hang up, so the redial asks again. libp2p asks only
 * once per connection.
 */
export const RELAY_RESERVE_GRACE_MS = 15_000

export interface RelayStatus {
  addr: string
  peerId: string
  connected: boolean
  reserved: boolean
}

interface Kept {
  addr: Multiaddr
  peer: PeerId
  backoff: Backoff
  timer?: ReturnType<typeof setTimeout>
  dialing: boolean
  /** connected without a reservation: when to hang up and ask again */
  askAgainAt?: number
}

export interface RelayKeeperInit {
  backoffBase?: number
  backoffCap?: number
  checkInterval?: number
  reserveGrace?: number
  /** called after every periodic check, e.g. to publish reservation changes */
  onCheck?: () => void
}

export class RelayKeeper {
  private readonly relays: Kept[]
  private readonly checkInterval: number
  private readonly reserveGrace: number
  private readonly onCheck: () => void
  private interval?: ReturnType<typeof setInterval>
  private running = false

  constructor (private readonly libp2p: Libp2p, addrs: Multiaddr[], private readonly log: Logger, init: RelayKeeperInit = {}) {
    this.checkInterval = init.checkInterval ?? RELAY_CHECK_INTERVAL_MS
    this.reserveGrace = init.reserveGrace ?? RELAY_RESERVE_GRACE_MS
    this.onCheck = init.onCheck ?? (() => {})
    this.relays = addrs.map(addr => {
      const id = addr.getComponents().findLast(c => c.name === 'p2p')?.value

      if (id == null) {
        throw new TypeError('relay multiaddr without /p2p/<peer id>')
      }

      return { addr, peer: peerIdFromString(id), backoff: new Backoff({ base: init.backoffBase, cap: init.backoffCap }), dialing: false }
    })
  }

  start (): void {
    this.running = true
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    this.interval = setInterval(() => { this.check() }, this.checkInterval)
    this.interval.unref?.()

    for (const relay of this.relays) {
      void this.dial(relay)
    }
  }

  stop (): void {
    this.running = false
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    clearInterval(this.interval)

    for (const relay of this.relays) {
      clearTimeout(relay.timer)
    }
  }

  /** the configured relays, whether we are connected and hold a reservation */
  status (): RelayStatus[] {
    const addrs = this.libp2p.getMultiaddrs().map(ma => ma.toString())

    return this.relays.map(r => ({
      addr: r.addr.toString(),
      peerId: r.peer.toString(),
      connected: this.isConnected(r),
      reserved: addrs.some(a => a.includes(`/p2p/${r.peer.toString()}/p2p-circuit`))
    }))
  }

  /** circuit addresses through every configured relay at which `peer` would be reachable */
  circuitAddrsFor (peer: PeerId): Multiaddr[] {
    return this.relays.map(r => r.addr.encapsulate(`/p2p-circuit/p2p/${peer.toString()}`))
  }

  isRelay (peer: PeerId): boolean {
    return this.relays.some(r => r.peer.equals(peer))
  }

  /** relayed connections of ours that go through this relay */
  private hasCircuitsThrough (relay: Kept): boolean {
    const prefix = `/p2p/${relay.peer.toString()}/p2p-circuit`
    return this.libp2p.getConnections().some(c => c.status === 'open' && c.remoteAddr.toString().includes(prefix))
  }

  private isConnected (relay: Kept): boolean {
    return this.libp2p.getConnections(relay.peer).some(c => c.status === 'open' && c.limits == null)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const relay = this.relays.find(r => r.peer.equals(evt.detail))

    if (relay != null) {
      this.log('lost connection to relay %p', relay.peer)
      this.schedule(relay)
    }
  }

  private check (): void {
    const reserved = new Set(this.status().filter(s => s.reserved).map(s => s.peerId))

    for (const relay of this.relays) {
      if (!relay.dialing && relay.timer == null && !this.isConnected(relay)) {
        this.schedule(relay)
        continue
      }

      if (reserved.has(relay.peer.toString())) {
        relay.askAgainAt = undefined
        relay.backoff.reset()
      } else if (!this.isConnected(relay)) {
        relay.askAgainAt = undefined
      } else if (relay.askAgainAt == null) {
        // the wait grows with each refusal in a row
        relay.askAgainAt = Date.now() + this.reserveGrace + relay.backoff.next()
      } else if (Date.now() > relay.askAgainAt && !this.hasCircuitsThrough(relay)) {
        // never while we chat through it: that would cut those chats off
        relay.askAgainAt = undefined
        this.log('no reservation on relay %p, reconnecting to ask again', relay.peer)
        void this.libp2p.hangUp(relay.peer).catch(() => {})
      }
    }

    this.onCheck()
  }

  private schedule (relay: Kept): void {
    if (!this.running || relay.timer != null) {
      return
    }

    const delay = relay.backoff.next()
    this.log('redialling relay %p in %dms', relay.peer, delay)
    relay.timer = setTimeout(() => {
      relay.timer = undefined
      void this.dial(relay)
    }, delay)
    relay.timer.unref?.()
  }

  private async dial (relay: Kept): Promise<void> {
    if (!this.running || relay.dialing || this.isConnected(relay)) {
      return
    }

    relay.dialing = true

    try {
      const signal = AbortSignal.timeout(RELAY_DIAL_TIMEOUT_MS)
      setMaxListeners(Infinity, signal)
      await this.libp2p.dial(relay.addr, { signal })
      // the backoff is reset only once a reservation exists (see check()):
      // a relay that accepts connections but refuses reservations is asked
      // less and less often
      this.log('connected to relay %p', relay.peer)
    } catch (err) {
      this.log('could not reach relay %p - %e', relay.peer, err)
      relay.dialing = false
      this.schedule(relay)
      return
    }

    relay.dialing = false
  }
}
