/**
 * Meeting room members through relays: on every relay we hold a
 * reservation on, register under each joined room's namespace of the day
 * (of both days near midnight UTC: ROOM_DAY_OVERLAP_MS), renew before the
 * TTL ends, ask who else registered, and dial those we are not connected
 * to. A relay that restarts has forgotten every registration: its new
 * reservation starts a round at once. The membership exchange then runs on
 * the new connection (rooms.ts): being registered under a namespace proves
 * nothing, since anyone can register anything.
 *
 * What a registrant says is not trusted: the record we register holds
 * only our circuit address through that relay, and a discovered member is
 * dialled only through the relay it was found on, never at the addresses
 * its record lists (a registrant could list any host to make members dial
 * it). One round at a time; each relay in parallel, each operation with a
 * timeout and the whole round with a deadline, so that a relay that does
 * not answer delays nothing else; dials run beside the rounds, a few at a
 * time, a member that could not be dialled waiting longer each time.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { openConnections } from '../net/multiaddr.ts'
import { InvalidCookieError } from '../rendezvous/errors.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { Backoff } from '../util/backoff.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import {
  MAX_DISCOVERED_MEMBERS, ROOM_DAY_OVERLAP_MS, ROOM_DIAL_CONCURRENCY, ROOM_DIAL_TIMEOUT_MS, ROOM_DISCOVER_INTERVAL_MS,
  ROOM_DISCOVER_LIMIT, ROOM_OPERATION_TIMEOUT_MS, ROOM_REDIAL_BASE_MS, ROOM_REDIAL_CAP_MS, ROOM_REGISTER_INTERVAL_MS,
  ROOM_REGISTRATION_TTL_S, ROOM_ROUND_DEADLINE_MS
} from './constants.ts'
import { rendezvousNamespace, utcDay } from './room-keys.ts'
import type { RoomsComponents } from './index.ts'
import type { DiscoverResult } from '../rendezvous/index.ts'
import type { StoredRoom } from '../store/index.ts'
import type { Clock } from '../util/clock.ts'
import type { Logger, PeerId } from '@libp2p/interface'

export interface RendezvousRoundsInit {
  components: Pick<RoomsComponents, 'peerId' | 'connectionManager' | 'relayKeeper' | 'rendezvous'>
  log: Logger
  clock: Clock
  /** the joined rooms now */
  rooms: () => StoredRoom[]
  discoverInterval?: number
  registerInterval?: number
}

/** The days whose namespaces are in use at `now`: today's, and the neighbour's within ROOM_DAY_OVERLAP_MS of midnight */
export function activeDays (now: number): string[] {
  return [...new Set([utcDay(now - ROOM_DAY_OVERLAP_MS), utcDay(now), utcDay(now + ROOM_DAY_OVERLAP_MS)])]
}

interface Relay {
  peerId: PeerId
  /** its multiaddr, ending in /p2p/<relay peer id> */
  addr: string
}

interface Discovered {
  /** the circuit through the relay it registered on */
  circuit: string
  /** its registration's end, ms */
  expires: number
  backoff: Backoff
  /** not dialled again before, ms */
  notBefore: number
}

export class RendezvousRounds {
  private readonly init: RendezvousRoundsInit
  private readonly tasks: BackgroundTasks
  private readonly discoverInterval: number
  private readonly registerInterval: number
  /** when we last registered each (relay, namespace); a namespace not renewed expires on its own */
  private readonly registered = new Map<string, number>()
  /** the discover cookie per (relay, namespace): each round asks only for what is new */
  private readonly cookies = new Map<string, Uint8Array>()
  /**
   * Members discovered and not met yet, until their registration expires:
   * a cookie returns each registration once, so a dial that failed is
   * tried again from here, with backoff, not only after the member renews
   * its registration. Oldest first; at most MAX_DISCOVERED_MEMBERS.
   */
  private readonly discovered = new Map<string, Discovered>()
  private readonly dialling = new Set<string>()
  /** dial workers running */
  private workers = 0
  private timer?: unknown
  /** the round running now, aborted when a room is left (it may be registering it) */
  private round?: AbortController
  /** a round was asked for while one ran */
  private again = false

  constructor (init: RendezvousRoundsInit) {
    this.init = init
    this.tasks = new BackgroundTasks(init.log)
    this.discoverInterval = init.discoverInterval ?? ROOM_DISCOVER_INTERVAL_MS
    this.registerInterval = init.registerInterval ?? ROOM_REGISTER_INTERVAL_MS
  }

  start (): void {
    this.tasks.start()
    this.init.components.relayKeeper.addEventListener('relay', this.onRelay)
    this.schedule(0)
  }

  async stop (): Promise<void> {
    this.init.components.relayKeeper.removeEventListener('relay', this.onRelay)
    this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
    await this.tasks.stop()
    this.registered.clear()
    this.cookies.clear()
    this.discovered.clear()
    this.workers = 0
  }

  /** a room was joined: register and look for its members now */
  roomsChanged (): void {
    this.schedule(0)
  }

  /** a room was left (it is no longer in rooms()): take our registrations back (best effort: they expire anyway) */
  left (room: StoredRoom): void {
    this.round?.abort(new Error('a room was left'))

    for (const relay of this.relays()) {
      for (const day of activeDays(this.init.clock.now())) {
        const namespace = rendezvousNamespace(room.rendezvousKey, relay.peerId.toString(), day)
        const key = `${relay.peerId.toString()} ${namespace}`
        this.registered.delete(key)
        this.cookies.delete(key)
        this.tasks.run('unregister', async (signal) => this.init.components.rendezvous.unregister(relay.peerId, namespace, { signal: signalWithTimeout(ROOM_OPERATION_TIMEOUT_MS, signal) }))
      }
    }

    this.schedule(0)
  }

  private readonly onRelay = (evt: CustomEvent<{ peerId: string, status: 'reserved' | 'lost' }>): void => {
    const prefix = `${evt.detail.peerId} `
    // a new reservation may be a restarted relay, which has forgotten us: register anew
    for (const map of [this.registered, this.cookies]) {
      for (const key of [...map.keys()]) {
        if (key.startsWith(prefix)) map.delete(key)
      }
    }
    if (evt.detail.status === 'reserved') {
      this.schedule(0)
    }
  }

  private schedule (ms: number): void {
    this.init.clock.clearTimeout(this.timer)
    this.timer = this.init.clock.setTimeout(() => {
      this.timer = undefined

      if (this.round != null) {
        this.again = true
        return
      }

      this.tasks.run('rendezvous round', async (signal) => {
        const round = new AbortController()
        this.round = round
        try {
          await this.runRound(AbortSignal.any([signal, round.signal, AbortSignal.timeout(ROOM_ROUND_DEADLINE_MS)]))
        } finally {
          this.round = undefined
          if (!signal.aborted) this.schedule(this.again ? 0 : this.discoverInterval)
          this.again = false
        }
      })
    }, ms)
  }

  /** the relays we hold a reservation on: only they can put others through to us */
  private relays (): Relay[] {
    return this.init.components.relayKeeper.status().filter(r => r.reserved).map(r => ({ peerId: peerIdFromString(r.peerId), addr: r.addr }))
  }

  private async runRound (signal: AbortSignal): Promise<void> {
    if (this.init.rooms().length === 0) return
    const now = this.init.clock.now()
    await Promise.all(this.relays().map(async relay => this.relayRound(relay, now, signal)))

    for (const [key, at] of this.registered) {
      // namespaces of past days and of left rooms
      if (now - at > 2 * ROOM_REGISTRATION_TTL_S * 1000) this.registered.delete(key)
    }
    for (const [id, entry] of this.discovered) {
      if (entry.expires <= now) this.discovered.delete(id)
    }
    this.dialDiscovered()
  }

  /** every room on one relay; the first operation that fails ends this relay's round */
  private async relayRound (relay: Relay, now: number, signal: AbortSignal): Promise<void> {
    const { rendezvous, peerId } = this.init.components
    const relayId = relay.peerId.toString()
    const ours = [multiaddr(`${relay.addr}/p2p-circuit/p2p/${peerId.toString()}`)]

    try {
      for (const day of activeDays(now)) {
        // rooms() again for every day: a room left meanwhile is not registered again
        for (const room of this.init.rooms()) {
          signal.throwIfAborted()
          const namespace = rendezvousNamespace(room.rendezvousKey, relayId, day)
          const key = `${relayId} ${namespace}`
          if (now - (this.registered.get(key) ?? -Infinity) >= this.registerInterval) {
            await rendezvous.register(relay.peerId, namespace, { ttl: ROOM_REGISTRATION_TTL_S, addresses: ours, signal: signalWithTimeout(ROOM_OPERATION_TIMEOUT_MS, signal) })
            this.registered.set(key, now)
          }
          const result = await this.discover(relay.peerId, namespace, key, signal)
          for (const found of result.registrations) {
            this.remember(found.peerId, `${relay.addr}/p2p-circuit/p2p/${found.peerId.toString()}`, now + found.ttl * 1000)
          }
        }
      }
    } catch (err) {
      if (!signal.aborted) this.init.log('rendezvous on %p failed - %e', relay.peerId, err)
    }
  }

  /** one discover, with the cookie of the last; a cookie the point no longer takes is dropped and the discover asked again without it */
  private async discover (relay: PeerId, namespace: string, key: string, signal: AbortSignal): Promise<DiscoverResult> {
    const ask = async (cookie?: Uint8Array): Promise<DiscoverResult> => this.init.components.rendezvous.discover(relay, namespace, {
      limit: ROOM_DISCOVER_LIMIT,
      signal: signalWithTimeout(ROOM_OPERATION_TIMEOUT_MS, signal),
      ...(cookie == null ? {} : { cookie })
    })
    const cookie = this.cookies.get(key)
    let result: DiscoverResult
    try {
      result = await ask(cookie)
    } catch (err) {
      if (!(err instanceof InvalidCookieError) || cookie == null) throw err
      this.cookies.delete(key)
      result = await ask()
    }
    if (result.cookie != null) this.cookies.set(key, result.cookie)
    return result
  }

  private remember (peer: PeerId, circuit: string, expires: number): void {
    const id = peer.toString()
    if (peer.equals(this.init.components.peerId)) return
    const known = this.discovered.get(id)
    this.discovered.delete(id)
    this.discovered.set(id, known == null
      ? { circuit, expires, backoff: new Backoff({ base: ROOM_REDIAL_BASE_MS, cap: ROOM_REDIAL_CAP_MS }), notBefore: 0 }
      : { ...known, circuit, expires })
    if (this.discovered.size > MAX_DISCOVERED_MEMBERS) {
      const oldest = this.discovered.keys().next().value
      if (oldest !== undefined) this.discovered.delete(oldest)
    }
  }

  /** the next discovered member to dial: not connected, not being dialled, its backoff over; oldest first */
  private nextDue (): [string, Discovered] | undefined {
    const { connectionManager } = this.init.components
    const now = this.init.clock.now()
    for (const [id, entry] of this.discovered) {
      if (entry.notBefore <= now && entry.expires > now && !this.dialling.has(id) &&
        openConnections(connectionManager.getConnections(peerIdFromString(id))).length === 0) {
        return [id, entry]
      }
    }
    return undefined
  }

  /**
   * Dial the discovered members we are not connected to and may try now:
   * one pool of at most ROOM_DIAL_CONCURRENCY workers for all rounds, each
   * choosing its next member just before it dials
   */
  private dialDiscovered (): void {
    const worker = async (signal: AbortSignal): Promise<void> => {
      try {
        for (let next = this.nextDue(); next != null && !signal.aborted; next = this.nextDue()) {
          const [id, entry] = next
          this.dialling.add(id)
          try {
            await this.init.components.connectionManager.openConnection(multiaddr(entry.circuit), { signal: signalWithTimeout(ROOM_DIAL_TIMEOUT_MS, signal) })
            this.discovered.delete(id)
          } catch (err) {
            if (signal.aborted) return
            entry.notBefore = this.init.clock.now() + entry.backoff.next()
            this.init.log('dialling room member %s failed - %e', id, err)
          } finally {
            this.dialling.delete(id)
          }
        }
      } finally {
        this.workers--
      }
    }

    while (this.workers < ROOM_DIAL_CONCURRENCY && this.nextDue() != null) {
      this.workers++
      this.tasks.run('dial room members', worker)
    }
  }
}
