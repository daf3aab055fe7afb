/**
 * Turns what the user typed as `<peer>` into a full peer id, the same way
 * for every face. Pure: the caller passes the peers it knows.
 *
 * A peer chooses its nickname and, by grinding keys, the first or last few
 * characters of its peer id, so neither may outrank what the user chose. In
 * order:
 *   1. a full peer id (known or not): it is who it is;
 *   2. a petname, the user's own name for a peer;
 *   3. a unique prefix or suffix (4 or more characters) of a contact's peer id;
 *   4. the nickname of exactly one contact;
 *   5. a unique prefix or suffix of any known peer id, at least as long as
 *      the short id on screen (SHORT_ID_CHARS): shorter ones can be ground,
 *      so a stranger whose id ends in "dave" never takes `/msg dave`;
 *   6. the nickname of exactly one stranger.
 * Whenever the peer found is not a contact the result says so (`stranger`).
 * Blocked peers are reachable by id, petname and id fragment only (to
 * unblock them), never by nickname. Several candidates at one step are an
 * AmbiguousPeerError that lists them with their ids.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { AmbiguousPeerError, UnknownPeerError } from './errors.ts'
import type { PeerRelation, PeerView } from '../types.ts'

/** The peer-like shape resolution and display need */
export type PeerLike = Pick<PeerView, 'peerId' | 'name'> & Partial<Pick<PeerView, 'petname' | 'relation'>>

/** How an argument was resolved: `stranger` means by the nickname of a peer who is not a contact */
export type ResolvedBy = 'id' | 'petname' | 'id-fragment' | 'contact' | 'stranger'

export interface Resolved {
  peerId: string
  by: ResolvedBy
  /** the peer found is not a contact of ours */
  stranger: boolean
}

/**
 * Characters of a peer id shown on screen: its end (every Ed25519 peer id
 * starts with the same `12D3KooW`). The end of a base58 peer id depends on
 * every bit of the key, so a look-alike can only be found by generating
 * keys until one matches: 12 base58 characters are 12 × log2(58) ≈ 70 bits,
 * about 10^21 key generations on average, some 30,000 years at a billion
 * keys per second.
 */
export const SHORT_ID_CHARS = 12

/** A fragment shorter than this never matches a peer id (`12D3` would match everyone) */
const MIN_ID_FRAGMENT = 4

/** `…a1b2c3d4e5f6`: the characters that tell peers apart */
export function shortId (peerId: string): string {
  return peerId.length <= SHORT_ID_CHARS + 4 ? peerId : `…${peerId.slice(-SHORT_ID_CHARS)}`
}

/** `petname (…shortid)` or `nickname (…shortid, stranger)`, the way candidates are listed */
export function describePeer (peer: PeerLike): string {
  const label = peer.petname ?? peer.name ?? 'unnamed'
  const relation = peer.relation != null && peer.relation !== 'contact' ? `, ${peer.relation}` : ''
  return `${label} (${shortId(peer.peerId)}${relation})`
}

/** The canonical string of a syntactically valid peer id, or undefined */
export function canonicalPeerId (value: string): string | undefined {
  try {
    return peerIdFromString(value).toString()
  } catch {
    return undefined
  }
}

/** Throws AmbiguousPeerError for several candidates; the one, or undefined for none */
function one (arg: string, candidates: readonly PeerLike[]): PeerLike | undefined {
  if (candidates.length > 1) {
    throw new AmbiguousPeerError(`'${arg}' matches ${candidates.length} peers: ${candidates.map(describePeer).join(', ')}; use a peer id, a longer part of one, or /name to give one a petname`)
  }

  return candidates[0]
}

/**
 * Step 1 alone: a full peer id, which needs no list of peers, only its
 * relation (how every message shown is marked read, and every /msg a face
 * sends by id). Undefined when `arg` is not a peer id.
 */
export function resolvePeerId (arg: string, relationOf: (peerId: string) => PeerRelation | undefined): Resolved | undefined {
  const canonical = canonicalPeerId(arg)
  return canonical == null ? undefined : { peerId: canonical, by: 'id', stranger: relationOf(canonical) !== 'contact' }
}

export function resolvePeer (arg: string, peers: readonly PeerLike[]): Resolved {
  const found = (peerId: string, by: ResolvedBy): Resolved => ({ peerId, by, stranger: peers.find(p => p.peerId === peerId)?.relation !== 'contact' })
  const byId = resolvePeerId(arg, peerId => peers.find(p => p.peerId === peerId)?.relation)

  if (byId != null) {
    return byId
  }

  const petnamed = one(arg, peers.filter(p => p.petname === arg))

  if (petnamed != null) {
    return found(petnamed.peerId, 'petname')
  }

  const fragment = arg.startsWith('…') ? arg.slice(1) : arg
  const isFragmentOf = (p: PeerLike): boolean => p.peerId.startsWith(fragment) || p.peerId.endsWith(fragment)
  const contacts = peers.filter(p => p.relation === 'contact')

  if (fragment.length >= MIN_ID_FRAGMENT) {
    const matched = one(arg, contacts.filter(isFragmentOf))

    if (matched != null) {
      return found(matched.peerId, 'id-fragment')
    }
  }

  const contact = one(arg, contacts.filter(p => p.name === arg))

  if (contact != null) {
    return found(contact.peerId, 'contact')
  }

  if (fragment.length >= SHORT_ID_CHARS) {
    const matched = one(arg, peers.filter(isFragmentOf))

    if (matched != null) {
      return found(matched.peerId, 'id-fragment')
    }
  }

  const stranger = one(arg, peers.filter(p => p.relation !== 'contact' && p.relation !== 'blocked' && p.name === arg))

  if (stranger != null) {
    return found(stranger.peerId, 'stranger')
  }

  throw new UnknownPeerError(`unknown peer '${arg}': not a peer id, a petname, a contact's nickname or id, a known peer's short id or a known nickname`)
}
