/**
 * The REPL's snapshot of known peers: names, relations and verification for
 * display, candidates for tab completion. Fed by `/peers` results, by the
 * contact commands' results and by the app's events; commands still
 * resolve peers in the application API, against the node's current peers.
 *
 * Bounded: every peer event adds a peer, and a stranger can make up
 * identities without end. Kept for good are the user's own (contacts,
 * blocked peers, peers with a petname: each a decision of the user) and the
 * peers of the last `/peers` list (what the user saw last). Strangers whose
 * messages are held as requests sit in a least-recently-seen list of their
 * own, at most MAX_REQUEST_PEERS (as many as the node holds, see the store's
 * DEFAULT_MAX_REQUEST_PEERS), so that a flood of others cannot take the
 * `[request]` mark off their history; every other peer in one of at most
 * MAX_OTHER_PEERS. The oldest is dropped first; a dropped peer is shown by
 * its short id until it is seen again.
 */
import type { ChatEvents, ContactView, PeerLike, PeerView } from '../../app/index.ts'

/** What the REPL knows of a peer */
export type KnownPeer = PeerLike & { verified?: boolean }

export interface PeerDirectoryInit {
  /**
   * strangers with held messages kept, the most recently seen
   * @default 1000
   */
  maxRequests?: number
  /**
   * other peers kept besides the user's own, the requests and the last `/peers` list, the most recently seen
   * @default 2000
   */
  maxOthers?: number
}

const MAX_REQUEST_PEERS = 1000
const MAX_OTHER_PEERS = 2000

/** Peers by id, least recently set first, at most `max` */
class Recent extends Map<string, KnownPeer> {
  private readonly max: number

  constructor (max: number) {
    super()
    this.max = max
  }

  /** `peer` as the most recently seen; the oldest dropped if there are too many */
  add (peer: KnownPeer): void {
    this.delete(peer.peerId)
    this.set(peer.peerId, peer)

    for (const oldest of this.keys()) {
      if (this.size <= this.max) {
        break
      }

      this.delete(oldest)
    }
  }
}

export class PeerDirectory {
  /** contacts, blocked and petnamed peers, and the last `/peers` list */
  private readonly kept = new Map<string, KnownPeer>()
  /** strangers whose messages are held */
  private readonly requests: Recent
  /** everyone else */
  private readonly others: Recent
  /** the peer ids of the last `/peers` list */
  private listed = new Set<string>()

  constructor (init: PeerDirectoryInit = {}) {
    this.requests = new Recent(init.maxRequests ?? MAX_REQUEST_PEERS)
    this.others = new Recent(init.maxOthers ?? MAX_OTHER_PEERS)
  }

  /** Replaces the snapshot with a full list */
  replace (peers: readonly PeerView[]): void {
    this.kept.clear()
    this.requests.clear()
    this.others.clear()
    this.listed = new Set(peers.map(p => p.peerId))

    for (const p of peers) {
      this.set(known(p))
    }
  }

  /** Records a peer id and, when given, its latest nickname */
  see (peerId: string, name?: string): void {
    const peer = this.get(peerId)
    this.set(known({ ...peer, peerId, name: name ?? peer?.name }))
  }

  onPeer (event: ChatEvents['peer']['detail']): void {
    this.see(event.peerId, event.name)
  }

  onMessage (event: ChatEvents['message']['detail']): void {
    const peer = this.get(event.from)
    // a message from a non-contact is held: the peer is a request now
    const request = event.request === true && peer?.relation !== 'contact' && peer?.relation !== 'blocked'
    this.set(known({ ...peer, peerId: event.from, name: event.name ?? peer?.name, ...(request ? { relation: 'request' } : {}) }))
  }

  /** A contact event, or the result of a contact command: the peer's relation, petname and mark as they are now */
  onContact (view: ContactView): void {
    const peer = this.get(view.peerId)
    this.set(known({ ...view, name: peer?.name }))
  }

  /** The peer's relation changed by a command (/accept, /decline) */
  relate (peerId: string, relation: NonNullable<KnownPeer['relation']>): void {
    const peer = this.get(peerId)
    this.set(known({ ...peer, peerId, relation }))
  }

  get (peerId: string): KnownPeer | undefined {
    return this.kept.get(peerId) ?? this.requests.get(peerId) ?? this.others.get(peerId)
  }

  /** The user's petname for the peer, else its nickname */
  name (peerId: string): string | undefined {
    const peer = this.get(peerId)
    return peer?.petname ?? peer?.name
  }

  list (): KnownPeer[] {
    return [...this.kept.values(), ...this.requests.values(), ...this.others.values()]
  }

  /** Stores `peer` where it belongs (if among the requests or others, as the most recently seen) */
  private set (peer: KnownPeer): void {
    this.kept.delete(peer.peerId)
    this.requests.delete(peer.peerId)
    this.others.delete(peer.peerId)

    if (peer.relation === 'contact' || peer.relation === 'blocked' || peer.petname != null || this.listed.has(peer.peerId)) {
      this.kept.set(peer.peerId, peer)
    } else if (peer.relation === 'request') {
      this.requests.add(peer)
    } else {
      this.others.add(peer)
    }
  }
}

/** Only the fields the directory keeps, none of them undefined */
function known (p: KnownPeer): KnownPeer {
  const peer: KnownPeer = { peerId: p.peerId }
  if (p.name != null) peer.name = p.name
  if (p.petname != null) peer.petname = p.petname
  if (p.relation != null) peer.relation = p.relation
  if (p.verified != null) peer.verified = p.verified
  return peer
}
