/**
 * The REPL's snapshot of known peers: names, relations and verification for
 * display, candidates for tab completion. Fed by `/peers` results, by the
 * contact commands' results and by the app's events; commands still
 * resolve peers in the application API, against the node's current peers.
 */
import type { ChatEvents, ContactView, PeerLike, PeerView } from '../../app/index.ts'

/** What the REPL knows of a peer */
export type KnownPeer = PeerLike & { verified?: boolean }

export class PeerDirectory {
  private readonly peers = new Map<string, KnownPeer>()

  /** Replaces the snapshot with a full list */
  replace (peers: readonly PeerView[]): void {
    this.peers.clear()

    for (const p of peers) {
      this.peers.set(p.peerId, known(p))
    }
  }

  /** Records a peer id and, when given, its latest nickname */
  see (peerId: string, name?: string): void {
    const peer = this.peers.get(peerId)
    this.peers.set(peerId, known({ ...peer, peerId, name: name ?? peer?.name }))
  }

  onPeer (event: ChatEvents['peer']['detail']): void {
    this.see(event.peerId, event.name)
  }

  onMessage (event: ChatEvents['message']['detail']): void {
    this.see(event.from, event.name)
    const peer = this.peers.get(event.from)

    // a message from a non-contact is held: the peer is a request now
    if (event.request === true && peer != null && peer.relation !== 'contact' && peer.relation !== 'blocked') {
      peer.relation = 'request'
    }
  }

  /** A contact event, or the result of a contact command: the peer's relation, petname and mark as they are now */
  onContact (view: ContactView): void {
    const peer = this.peers.get(view.peerId)
    this.peers.set(view.peerId, known({ ...view, name: peer?.name }))
  }

  /** The peer's relation changed by a command (/accept, /decline) */
  relate (peerId: string, relation: NonNullable<KnownPeer['relation']>): void {
    const peer = this.peers.get(peerId)
    this.peers.set(peerId, known({ ...peer, peerId, relation }))
  }

  get (peerId: string): KnownPeer | undefined {
    return this.peers.get(peerId)
  }

  /** The user's petname for the peer, else its nickname */
  name (peerId: string): string | undefined {
    const peer = this.peers.get(peerId)
    return peer?.petname ?? peer?.name
  }

  list (): KnownPeer[] {
    return [...this.peers.values()]
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
