/**
 * File transfer, a libp2p service (issue 12): `/securechat/file/1.0.0`,
 * one stream per request, each behind its own /securechat handshake
 * domain-separated by the protocol id (fresh AES-256-GCM keys per stream,
 * counter nonces never reused). The sender offers (OFFER, stored by the
 * receiver, a request if the sender is not a contact); the receiver pulls
 * (GET from the offset it has verified and synced, so a cut transfer
 * resumes there on its own), checks the whole file's SHA-256 and only then
 * moves it from `<downloads>/.partial/<id>.part` to a safe, unique name in
 * the downloads folder (names.ts), and tells the sender (DONE). See
 * docs/PROTOCOL.md, "File transfer". The class is private (service.ts).
 */
import { FilesService } from './service.ts'
import type { Contacts } from '../contacts/index.ts'
import type { RelayKeeper } from '../relay/keeper/index.ts'
import type { StoredTransfer } from '../store/index.ts'
import type { TransferView } from '../types.ts'
import type { AbortOptions, ComponentLogger, Libp2pEvents, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export type { TransferView } from '../types.ts'

/** The connection a transfer's bytes take: a direct one, or a circuit through a relay */
export type TransferPath = 'direct' | 'relay'

export interface FilesEvents {
  /** a peer offered us a file */
  'offer': CustomEvent<TransferView>
  /** the receiver has our offer */
  'offered': CustomEvent<TransferView>
  /** bytes of the whole file so far, on both sides; `rate` in bytes a second; `via` the connection they take (an event at once when it changes) */
  'progress': CustomEvent<{ id: string, bytes: number, size: number, rate: number, via: TransferPath }>
  /** a transfer ended */
  'file': CustomEvent<{ id: string, status: 'complete' | 'failed' | 'declined', path?: string, reason?: string }>
}

export interface Files extends TypedEventTarget<FilesEvents> {
  /** Offers the file at `path` to `peer`: hashed, stored, delivered in the background (retried until the peer has it) */
  offer(peer: PeerId, path: string, options?: AbortOptions): Promise<TransferView>
  /** Accepts an offer: the file is fetched in the background, resumed across cuts and restarts (NotEnoughSpaceError if the downloads disk cannot hold it) */
  accept(id: string, options?: AbortOptions): Promise<TransferView>
  /** Declines an offer; the sender is told (best effort) */
  decline(id: string, options?: AbortOptions): Promise<TransferView>
  /** Every transfer, oldest first */
  transfers(options?: AbortOptions): Promise<TransferView[]>
}

/** What the service needs of the store */
export interface TransferStore {
  transfers(options?: AbortOptions): Promise<StoredTransfer[]>
  getTransfer(id: string, options?: AbortOptions): Promise<StoredTransfer | undefined>
  putTransfer(transfer: StoredTransfer, options?: AbortOptions): Promise<void>
  deleteTransfer(id: string, options?: AbortOptions): Promise<boolean>
}

export interface FilesComponents {
  peerId: PeerId
  privateKey: PrivateKey
  registrar: Registrar
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  store: TransferStore
  contacts: Pick<Contacts, 'relation' | 'isBlocked' | 'info'>
  relayKeeper: Pick<RelayKeeper, 'routeThroughRelays'>
}

export interface FilesInit {
  /** where received files land @default `<data dir>/downloads` (set by the node) */
  downloads: string
  /** the largest file accepted @default MAX_ACCEPTED_FILE_BYTES */
  maxFileSize?: number
  /** download at once what verified contacts offer, if the disk has room for it @default false */
  autoAccept?: boolean
  /** our nickname in the handshakes */
  nickname?: string
  /** first retry delay, doubled per failure @default 1000 */
  retryBase?: number
  /** longest retry delay @default 30000 */
  retryCap?: number
}

export function files (init: FilesInit): (components: FilesComponents) => Files {
  return (components) => new FilesService(components, init)
}
