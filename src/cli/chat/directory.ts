/**
 * The REPL's snapshot of known peers: nicknames for display and candidates
 * for tab completion. Fed by `/peers` results and by the app's events;
 * commands still resolve peers in the application API, against the node's
 * current peers.
 */
import type { ChatEvents, PeerLike, PeerView } from '../../app/index.ts'

export class PeerDirectory {
  private readonly peers = new Map<string, PeerLike>()

  /** Replaces the snapshot with a full list */
  replace (peers: readonly PeerView[]): void {
    this.peers.clear()

    for (const p of peers) {
      this.peers.set(p.peerId, p.name == null ? { peerId: p.peerId } : { peerId: p.peerId, name: p.name })
    }
  }

  /** Records a peer id and, when given, its latest nickname */
  see (peerId: string, name?: string): void {
    const known = this.peers.get(peerId)
    this.peers.set(peerId, { peerId, name: name ?? known?.name })
  }

  onPeer (event: ChatEvents['peer']['detail']): void {
    this.see(event.peerId, event.name)
  }

  onMessage (event: ChatEvents['message']['detail']): void {
    this.see(event.from, event.name)
  }

  name (peerId: string): string | undefined {
    return this.peers.get(peerId)?.name
  }

  list (): PeerLike[] {
    return [...this.peers.values()]
  }
}
