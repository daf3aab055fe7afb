/**
 * The CLI's snapshot of known peers: nicknames for display and candidates
 * for tab completion. Fed by `/peers` results and by node events; commands
 * still resolve peers against a fresh `node.peers()`.
 */
import type { PeerView } from '../types.ts'
import type { MessageEventDetail, PeerEventDetail } from './output.ts'
import type { PeerLike } from './resolve.ts'

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

  onPeer (event: PeerEventDetail): void {
    this.see(event.peerId, event.name)
  }

  onMessage (event: MessageEventDetail): void {
    this.see(event.from, event.name)
  }

  name (peerId: string): string | undefined {
    return this.peers.get(peerId)?.name
  }

  list (): PeerLike[] {
    return [...this.peers.values()]
  }
}
