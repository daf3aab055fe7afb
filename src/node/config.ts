/**
 * The libp2p configuration of a securechat node: transports, encryption,
 * muxer, discovery, limits, and the services in the order they depend on
 * each other (libp2p checks the dependencies; each service says its own).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { delivery } from '../delivery/index.ts'
import { lanDiscovery } from '../discovery/lan.ts'
import { liveness } from '../liveness/index.ts'
import { tcpListenAddr } from '../net/multiaddr.ts'
import { presence } from '../presence/index.ts'
import { MAX_CONNECTIONS } from '../protocol/constants.ts'
import { secureChat } from '../protocol/index.ts'
import { receipts } from '../receipts/index.ts'
import { relayKeeper } from '../relay/keeper/index.ts'
import { DEFAULT_HOST, MDNS_INTERVAL_MS, MDNS_SERVICE_TAG } from './constants.ts'
import type { ChatNodeInit } from './index.ts'
import type { Delivery } from '../delivery/index.ts'
import type { Liveness } from '../liveness/index.ts'
import type { Presence } from '../presence/index.ts'
import type { SecureChat } from '../protocol/index.ts'
import type { Receipts } from '../receipts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { Store } from '../store/index.ts'
import type { Identify } from '@libp2p/identify'
import type { PeerDiscovery, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'

// a type, not an interface: libp2p's ServiceMap needs an index signature
export type ChatServices = {
  identify: Identify
  ping: Ping
  dcutr: unknown
  /** the store is a component too, so that services name it in their components */
  store: Store
  lan: PeerDiscovery
  chat: SecureChat
  relayKeeper: RelayKeeper
  delivery: Delivery
  receipts: Receipts
  liveness: Liveness
  presence: Presence
}

export function libp2pOptions (init: ChatNodeInit, privateKey: PrivateKey, store: Store, relays: Multiaddr[]): Libp2pOptions<ChatServices> {
  return {
    privateKey,
    start: false,
    addresses: {
      // one discovery-mode circuit listener per relay: see relay/keeper/keeper.ts for why
      listen: [tcpListenAddr(init.host ?? DEFAULT_HOST, init.port ?? 0), ...relays.map(() => '/p2p-circuit')]
    },
    transports: relays.length > 0 ? [tcp(), circuitRelayTransport()] : [tcp()],
    connectionManager: { maxConnections: MAX_CONNECTIONS },
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dcutr: dcutr(),
      store: () => store,
      lan: lanDiscovery({ enabled: init.mdns !== false, serviceTag: MDNS_SERVICE_TAG, interval: MDNS_INTERVAL_MS }),
      chat: secureChat({ ...init.chat, nickname: init.name }),
      relayKeeper: relayKeeper({ relays }),
      delivery: delivery({ ...init.delivery, nickname: init.name }),
      receipts: receipts({ enabled: init.readReceipts ?? true }),
      liveness: liveness(init.liveness),
      presence: presence()
    }
  }
}
