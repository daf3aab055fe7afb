/**
 * Turns what the user typed as `<peer>` into a full peer id. Pure: the caller
 * passes the peers it knows.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { AmbiguousPeerError, UnknownPeerError } from './errors.ts'
import type { PeerView } from '../types.ts'

/** The peer-like shape resolution and display need */
export type PeerLike = Pick<PeerView, 'peerId' | 'name'>

/** `12D3KooW…a1b2c3`: enough to tell peers apart on screen */
export function shortId (peerId: string): string {
  return peerId.length <= 16 ? peerId : `${peerId.slice(0, 8)}…${peerId.slice(-6)}`
}

/** `name (shortid)`, the way candidates are listed */
export function describePeer (peer: PeerLike): string {
  return `${peer.name ?? 'unnamed'} (${shortId(peer.peerId)})`
}

/** The canonical string of a syntactically valid peer id, or undefined */
export function canonicalPeerId (value: string): string | undefined {
  try {
    return peerIdFromString(value).toString()
  } catch {
    return undefined
  }
}

/**
 * Resolves, in order: an exact peer id; a nickname held by exactly one
 * peer; a prefix of exactly one peer id; any valid peer id, even unknown.
 * Throws AmbiguousPeerError (listing the candidates) or UnknownPeerError.
 */
export function resolvePeer (arg: string, peers: readonly PeerLike[]): string {
  const canonical = canonicalPeerId(arg)
  const exact = peers.find(p => p.peerId === arg || p.peerId === canonical)

  if (exact != null) {
    return exact.peerId
  }

  const named = peers.filter(p => p.name === arg)

  if (named.length > 1) {
    throw ambiguous(arg, named)
  }

  if (named[0] != null) {
    return named[0].peerId
  }

  const prefixed = peers.filter(p => p.peerId.startsWith(arg))

  if (prefixed.length > 1) {
    throw ambiguous(arg, prefixed)
  }

  if (prefixed[0] != null) {
    return prefixed[0].peerId
  }

  if (canonical != null) {
    return canonical
  }

  throw new UnknownPeerError(`unknown peer '${arg}': not a known nickname, peer id prefix or valid peer id`)
}

function ambiguous (arg: string, candidates: readonly PeerLike[]): AmbiguousPeerError {
  return new AmbiguousPeerError(`'${arg}' matches ${candidates.length} peers: ${candidates.map(describePeer).join(', ')}; use a longer peer id prefix`)
}
