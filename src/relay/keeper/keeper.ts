/**
 * The relay keeper service (public face: index.ts).
 *
 * Why by hand: libp2p keeps a reservation on a relay given as a static
 * `<relay>/p2p-circuit` listen address only until that connection closes; it
 * is not re-established (js-libp2p issue 3601). A `/p2p-circuit` listen
 * address in discovery mode does re-reserve on any connected relay, so the
 * node listens that way (once per relay) and this keeper makes sure the
 * configured relays are connected: it redials each one with backoff whenever
 * its connection is gone, for as long as the node runs.
 */
import { serviceCapabilities, TypedEventEmitter } from '@libp2p/interface'
import { repeatingTask } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { isRelayed, peerIdOf } from '../../net/multiaddr.ts'
import { signalWithTimeout } from '../../util/abort.ts'
import { Backoff } from '../../util/backoff.ts'
import { BackgroundTasks } from '../../util/tasks.ts'
import {
  RELAY_CHECK_INTERVAL_MS, RELAY_DIAL_TIMEOUT_MS, RELAY_REDIAL_BASE_MS, RELAY_REDIAL_CAP_MS, RELAY_RESERVE_GRACE_MS
} from '../constants.ts'
import type { RelayKeeper, RelayKeeperComponents, RelayKeeperEvents, RelayKeeperInit } from './index.ts'
import type { RelayView } from '../../types.ts'
import type { AbortOptions, Logger, PeerId, Startable } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

interface Kept {
  addr: Multiaddr
  peer: PeerId
  backoff: Backoff
  timer?: ReturnType<typeof setTimeout>
  dialing: boolean
  /** connected without a reservation: when to hang up and ask again */
  askAgainAt?: number
}

export class RelayKeeperService extends TypedEventEmitter<RelayKeeperEvents> implements RelayKeeper, Startable {
  readonly [Symbol.toStringTag] = 'securechat:relay-keeper'
  readonly [serviceCapabilities]: string[] = ['securechat:relay-keeper']

  private readonly components: RelayKeeperComponents
  private readonly log: Logger
  private readonly relays: Kept[]
  private readonly reserveGrace: number
  private readonly dialTimeout: number
  private readonly checker: RepeatingTask
  private readonly tasks: BackgroundTasks
  /** relays we announced as reserved */
  private readonly reserved = new Set<string>()
  private running = false

  constructor (components: RelayKeeperComponents, init: RelayKeeperInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('securechat:relay-keeper')
    this.tasks = new BackgroundTasks(this.log)
    this.reserveGrace = init.reserveGrace ?? RELAY_RESERVE_GRACE_MS
    this.dialTimeout = init.dialTimeout ?? RELAY_DIAL_TIMEOUT_MS
    this.relays = (init.relays ?? []).map(addr => {
      const id = peerIdOf(addr)

      if (id == null) {
        throw new TypeError('relay multiaddr without /p2p/<peer id>')
      }

      return {
        addr,
        peer: peerIdFromString(id),
        backoff: new Backoff({ base: init.backoffBase ?? RELAY_REDIAL_BASE_MS, cap: init.backoffCap ?? RELAY_REDIAL_CAP_MS }),
        dialing: false
      }
    })
    this.checker = repeatingTask(() => { this.check() }, init.checkInterval ?? RELAY_CHECK_INTERVAL_MS)
  }

  async start (): Promise<void> {
    this.running = true
    this.tasks.start()
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    // our own addresses changed: a reservation may have been made or lost
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  async afterStart (): Promise<void> {
    this.checker.start()

    for (const relay of this.relays) {
      this.dial(relay)
    }
  }

  async stop (): Promise<void> {
    this.running = false
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.checker.stop()

    for (const relay of this.relays) {
      clearTimeout(relay.timer)
      relay.timer = undefined
    }

    await this.tasks.stop()
  }

  status (): RelayView[] {
    const addrs = this.components.addressManager.getAddresses().map(ma => ma.toString())

    return this.relays.map(r => {
      const connected = this.isConnected(r)
      // a circuit address can outlive the connection its reservation was made on
      return { addr: r.addr.toString(), peerId: r.peer.toString(), connected, reserved: connected && addrs.some(a => a.includes(`/p2p/${r.peer.toString()}/p2p-circuit`)) }
    })
  }

  isRelay (peer: PeerId): boolean {
    return this.relays.some(r => r.peer.equals(peer))
  }

  async routeThroughRelays (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    if (this.relays.length === 0 || this.isRelay(peer)) {
      return
    }

    const circuits = this.relays.map(r => r.addr.encapsulate(`/p2p-circuit/p2p/${peer.toString()}`))
    await this.components.peerStore.merge(peer, { multiaddrs: circuits }, options)
  }

  /** relayed connections of ours that go through this relay */
  private hasCircuitsThrough (relay: Kept): boolean {
    const prefix = `/p2p/${relay.peer.toString()}/p2p-circuit`
    return this.components.connectionManager.getConnections()
      .some(c => c.status === 'open' && isRelayed(c.remoteAddr) && c.remoteAddr.toString().includes(prefix))
  }

  private isConnected (relay: Kept): boolean {
    return this.components.connectionManager.getConnections(relay.peer).some(c => c.status === 'open' && c.limits == null)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const relay = this.relays.find(r => r.peer.equals(evt.detail))

    if (relay != null) {
      this.log('lost connection to relay %p', relay.peer)
      // a reservation lives on the connection that made it: it is lost now,
      // even if our circuit address goes only later (or, when the relay is
      // back at once, never goes at all) and the next one is made meanwhile
      const peerId = relay.peer.toString()
      if (this.reserved.delete(peerId)) {
        this.safeDispatchEvent('relay', { detail: { peerId, addr: relay.addr.toString(), status: 'lost' } })
      }
      this.schedule(relay)
    }
  }

  private readonly onSelfUpdate = (): void => {
    this.announceReservations()
  }

  /** dispatches `relay` for each reservation made or lost since the last look */
  private announceReservations (): void {
    for (const relay of this.status()) {
      if (relay.reserved && !this.reserved.has(relay.peerId)) {
        this.reserved.add(relay.peerId)
        this.safeDispatchEvent('relay', { detail: { peerId: relay.peerId, addr: relay.addr, status: 'reserved' } })
      } else if (!relay.reserved && this.reserved.has(relay.peerId)) {
        this.reserved.delete(relay.peerId)
        this.safeDispatchEvent('relay', { detail: { peerId: relay.peerId, addr: relay.addr, status: 'lost' } })
      }
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
        this.tasks.run('hang up on relay', async (signal) => this.components.connectionManager.closeConnections(relay.peer, { signal }))
      }
    }

    this.announceReservations()
  }

  private schedule (relay: Kept): void {
    if (!this.running || relay.timer != null) {
      return
    }

    const delay = relay.backoff.next()
    this.log('redialling relay %p in %dms', relay.peer, delay)
    relay.timer = setTimeout(() => {
      relay.timer = undefined
      this.dial(relay)
    }, delay)
    relay.timer.unref?.()
  }

  private dial (relay: Kept): void {
    if (!this.running || relay.dialing || this.isConnected(relay)) {
      return
    }

    relay.dialing = true
    this.tasks.run('dial relay', async (signal) => {
      try {
        await this.components.connectionManager.openConnection(relay.addr, { signal: signalWithTimeout(this.dialTimeout, signal) })
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
    })
  }
}
