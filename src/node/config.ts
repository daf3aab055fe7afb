/**
 * The libp2p configuration of a securechat node: transports, encryption,
 * muxer, discovery, limits, and the services in the order they depend on
 * each other (libp2p checks the dependencies; each service says its own).
 */
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { contacts } from '../contacts/index.ts'
import { delivery } from '../delivery/index.ts'
import { files } from '../files/index.ts'
import { lanDiscovery } from '../discovery/lan.ts'
import { liveness } from '../liveness/index.ts'
import { INBOUND_UPGRADE_TIMEOUT_MS, LIBP2P_CONNECTIONS_HEADROOM, MAX_MUXED_INBOUND_STREAMS, MAX_PENDING_INBOUND_UPGRADES, STREAM_NEGOTIATION_TIMEOUT_MS } from '../net/constants.ts'
import { fairnessGater, fairnessLimits } from '../net/gater.ts'
import { boundedPing } from '../net/bounded-ping.ts'
import { tcpListenAddr } from '../net/multiaddr.ts'
import { presence } from '../presence/index.ts'
import { profile } from '../profile/index.ts'
import { secureChat } from '../protocol/index.ts'
import { receipts } from '../receipts/index.ts'
import { relayKeeper } from '../relay/keeper/index.ts'
import { rendezvousClient } from '../rendezvous/index.ts'
import { rooms } from '../rooms/index.ts'
import { DEFAULT_HOST, DOWNLOADS_DIR_NAME, MDNS_INTERVAL_MS, MDNS_SERVICE_TAG } from './constants.ts'
import type { ChatNodeInit } from './index.ts'
import type { Contacts } from '../contacts/index.ts'
import type { Delivery } from '../delivery/index.ts'
import type { Files } from '../files/index.ts'
import type { Liveness } from '../liveness/index.ts'
import type { FairnessPeers } from '../net/gater.ts'
import type { Presence } from '../presence/index.ts'
import type { Profile } from '../profile/index.ts'
import type { RendezvousClient } from '../rendezvous/index.ts'
import type { Rooms } from '../rooms/index.ts'
import type { SecureChat } from '../protocol/index.ts'
import type { Receipts } from '../receipts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { Store } from '../store/index.ts'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerDiscovery, PeerId, PrivateKey } from '@libp2p/interface'
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
  contacts: Contacts
  relayKeeper: RelayKeeper
  profile: Profile
  delivery: Delivery
  receipts: Receipts
  liveness: Liveness
  presence: Presence
  rendezvous: RendezvousClient
  rooms: Rooms
  files: Files
}

/**
 * `node` returns the node once createLibp2p has built it (node.ts): libp2p
 * creates the connection gater before the services it consults (contacts,
 * relay keeper), so the gater reads them through it. No connection comes
 * before it is set: the node is built with `start: false`.
 */
export function libp2pOptions (init: ChatNodeInit, privateKey: PrivateKey, store: Store, relays: Multiaddr[], node: () => Libp2p<ChatServices> | undefined): Libp2pOptions<ChatServices> {
  const limits = fairnessLimits(init.connections)

  return {
    privateKey,
    start: false,
    addresses: {
      // one discovery-mode circuit listener per relay: see relay/keeper/keeper.ts for why
      listen: [tcpListenAddr(init.host ?? DEFAULT_HOST, init.port ?? 0), ...relays.map(() => '/p2p-circuit')]
    },
    transports: relays.length > 0 ? [tcp(), circuitRelayTransport()] : [tcp()],
    connectionManager: {
      // libp2p refuses inbound connections past these before it knows the
      // peer id, contacts and strangers alike: set out of the way of our
      // gater, which can tell them apart (src/net/gater.ts). Its per-host
      // rate counts a relay's address for everyone behind the relay; the
      // gater has its own, for direct connections only.
      maxConnections: limits.maxConnections + LIBP2P_CONNECTIONS_HEADROOM,
      inboundConnectionThreshold: Number.POSITIVE_INFINITY,
      maxIncomingPendingConnections: MAX_PENDING_INBOUND_UPGRADES,
      // each pending upgrade holds one of those slots until it ends: not
      // 10 s (libp2p's default) for a socket that never begins Noise. The
      // gater releases its count of handshakes in progress at the same time.
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      // a stream that never names its protocol is held this long (libp2p's default: 10 s)
      inboundStreamProtocolNegotiationTimeout: STREAM_NEGOTIATION_TIMEOUT_MS
    },
    connectionGater: fairnessGater({ ...init.connections, handshakes: { timeout: INBOUND_UPGRADE_TIMEOUT_MS }, peers: () => fairnessPeers(node()) }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: MAX_MUXED_INBOUND_STREAMS })],
    services: {
      identify: identify(),
      ping: boundedPing(),
      dcutr: dcutr(),
      store: () => store,
      lan: lanDiscovery({ enabled: init.mdns !== false, serviceTag: MDNS_SERVICE_TAG, interval: MDNS_INTERVAL_MS }),
      chat: secureChat({ ...init.chat, nickname: init.name }),
      contacts: contacts(),
      relayKeeper: relayKeeper({ ...init.relayKeeper, relays }),
      profile: profile({ nickname: init.name }),
      rendezvous: rendezvousClient(),
      rooms: rooms(init.rooms),
      // after rooms: room messages are checked against the rooms joined
      delivery: delivery({ ...init.delivery, nickname: init.name }),
      receipts: receipts({ enabled: init.readReceipts ?? true }),
      liveness: liveness(init.liveness),
      presence: presence(),
      files: files({ ...init.files, downloads: init.downloads ?? join(init.dataDir, DOWNLOADS_DIR_NAME), nickname: init.name, autoAccept: init.autoAcceptFiles ?? false })
    }
  }
}

/** What the connection gater reads of the node */
function fairnessPeers (node: Libp2p<ChatServices> | undefined): FairnessPeers | undefined {
  if (node == null) {
    return undefined
  }

  const { contacts, relayKeeper } = node.services

  return {
    kind: (peer: PeerId) => {
      const relation = contacts.relation(peer.toString())

      if (relation === 'blocked') {
        return 'blocked'
      }

      if (relayKeeper.isRelay(peer)) {
        return 'relay'
      }

      return relation === 'contact' ? 'contact' : 'stranger'
    },
    connections: () => node.getConnections()
  }
}
