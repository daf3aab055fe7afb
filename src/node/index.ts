/**
 * A securechat node: libp2p (TCP, Noise, Yamux, identify, ping, DCUtR,
 * circuit relay, mDNS), the /securechat/1.0.0 service and the node's
 * services (relay keeper, delivery, receipts, liveness, presence), over one
 * encrypted store. config.ts holds the libp2p configuration, node.ts the
 * facade faces use (through src/app).
 */
import type { DeliveryInit } from '../delivery/index.ts'
import type { LivenessInit } from '../liveness/index.ts'
import type { FairnessInit } from '../net/gater.ts'
import type { SecureChatInit } from '../protocol/index.ts'
import type { RelayKeeperInit } from '../relay/keeper/index.ts'
import type { RoomsInit } from '../rooms/index.ts'
import type { FilesInit } from '../files/index.ts'

export { createChatNode } from './node.ts'

export interface ChatNodeInit {
  /** nickname announced to peers */
  name: string
  dataDir: string
  /** TCP port, 0 for any free port @default 0 */
  port?: number
  /** IPv4 or IPv6 address to listen on @default '0.0.0.0' */
  host?: string
  /** relay multiaddrs, each ending in /p2p/<relay peer id> */
  relays?: string[]
  /** wraps the at-rest data key (see README) */
  passphrase?: string
  /** discover peers on the LAN by mDNS @default true */
  mdns?: boolean
  /** send read receipts for messages the user has seen @default true */
  readReceipts?: boolean
  /** outbox bounds: messages awaiting delivery per peer and in total */
  maxOutboxPerPeer?: number
  maxOutboxTotal?: number
  /** quarantine bounds of message requests (see src/store/constants.ts for the defaults) */
  maxRequestMessagesPerPeer?: number
  maxRequestBytesPerPeer?: number
  maxRequestBytesTotal?: number
  /** protocol tuning, for tests */
  chat?: Omit<SecureChatInit, 'nickname'>
  /** delivery tuning, for tests */
  delivery?: Omit<DeliveryInit, 'nickname'>
  /** liveness tuning, for tests */
  liveness?: LivenessInit
  /** relay keeper tuning, for tests (which relays: `relays`) */
  relayKeeper?: Omit<RelayKeeperInit, 'relays'>
  /**
   * connection limits, for tests: the budget (@default 128), the strangers'
   * share of it (@default 96), per peer id (@default 4), direct inbound
   * connections per remote IP per second (@default 5)
   */
  connections?: FairnessInit
  /** rooms tuning, for tests: a cheaper room secret, shorter rendezvous rounds */
  rooms?: RoomsInit
  /** where received files land @default `<dataDir>/downloads` */
  downloads?: string
  /** download at once files that verified contacts offer (if the disk has room) @default false */
  autoAcceptFiles?: boolean
  /** file transfer tuning, for tests (where files land: `downloads`; auto-accept: `autoAcceptFiles`) */
  files?: Omit<FilesInit, 'downloads' | 'nickname' | 'autoAccept'>
}
