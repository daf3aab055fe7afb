/**
 * The liveness service (public face: index.ts): watches the peers we send
 * to or hear from, and feeds the monitor connection events, pings through
 * libp2p ping and redials through the connection manager (and our relays).
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { BlockedPeerError } from '../errors.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { PeerMonitor } from './monitor.ts'
import type { Liveness, LivenessComponents, LivenessInit, PeerLiveness } from './index.ts'
import type { ChatMessage } from '../types.ts'
import type { Connection, Logger, PeerId, Startable } from '@libp2p/interface'

export class LivenessService implements Liveness, Startable {
  readonly [Symbol.toStringTag] = 'securechat:liveness'
  readonly [serviceCapabilities]: string[] = ['securechat:liveness']
  readonly [serviceDependencies]: string[] = ['@libp2p/ping', 'securechat:contacts', 'securechat:delivery', 'securechat:relay-keeper']

  private readonly components: LivenessComponents
  private readonly init: LivenessInit
  private readonly log: Logger
  private readonly tasks: BackgroundTasks
  private monitor?: PeerMonitor

  constructor (components: LivenessComponents, init: LivenessInit = {}) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('securechat:liveness')
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    const { ping, connectionManager, relayKeeper, store } = this.components
    this.tasks.start()
    this.monitor = new PeerMonitor({
      ...this.init,
      log: this.log,
      ping: async (peer, signal) => ping.ping(peerIdFromString(peer), { signal }),
      dial: async (peer, signal) => {
        if (this.components.contacts.isBlocked(peer)) {
          throw new BlockedPeerError()
        }

        const peerId = peerIdFromString(peer)
        await relayKeeper.routeThroughRelays(peerId, { signal })
        await connectionManager.openConnection(peerId, { signal })
      },
      isConnected: (peer) => connectionManager.getConnections(peerIdFromString(peer)).some(c => c.status === 'open'),
      hangUp: async (peer) => { await connectionManager.closeConnections(peerIdFromString(peer)) },
      onSeen: (peer, seen) => {
        this.tasks.run('peer book: last seen', async (signal) => store.putPeer({ peerId: peer, seen: seen.lastSeen }, { signal }))
      }
    })
    this.monitor.start()
    this.components.events.addEventListener('connection:open', this.onOpen)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    this.components.delivery.addEventListener('queued', this.onChat)
    this.components.delivery.addEventListener('message', this.onChat)
  }

  async stop (): Promise<void> {
    this.components.events.removeEventListener('connection:open', this.onOpen)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.components.delivery.removeEventListener('queued', this.onChat)
    this.components.delivery.removeEventListener('message', this.onChat)
    await this.monitor?.stop()
    await this.tasks.stop()
  }

  liveness (peer: string): PeerLiveness | undefined {
    return this.monitor?.liveness(peer)
  }

  /** peers we write to, and contacts who write to us: strangers are not pinged */
  private readonly onChat = (evt: CustomEvent<ChatMessage>): void => {
    if (evt.detail.direction === 'out' || this.components.contacts.isContact(evt.detail.peer)) {
      this.monitor?.watch(evt.detail.peer)
    }
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    if (!this.components.relayKeeper.isRelay(evt.detail.remotePeer)) {
      this.monitor?.connected(evt.detail.remotePeer.toString())
    }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    if (!this.components.relayKeeper.isRelay(evt.detail)) {
      this.monitor?.disconnected(evt.detail.toString())
    }
  }
}
