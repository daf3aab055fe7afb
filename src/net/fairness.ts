/**
 * Connection fairness, the pure policy: given what a peer is to us and how
 * many connections are held (by it, by strangers, in all), may it have one
 * more? A blocked peer never; anyone at most MAX_CONNECTIONS_PER_PEER;
 * strangers together at most MAX_STRANGER_CONNECTIONS, so that the rest of
 * the budget stays free for contacts; our relays whatever the budget, since
 * without them we are unreachable. The gater (gater.ts) feeds it.
 */

/** What a peer is to the policy; a relay is one of our configured relays */
export type PeerKind = 'contact' | 'stranger' | 'blocked' | 'relay'

/** Why a connection is refused */
export type Refusal = 'blocked' | 'peer-limit' | 'budget' | 'stranger-budget'

export interface FairnessLimits {
  /** our connection budget, in all */
  maxConnections: number
  /** of which strangers may hold at most this many */
  maxStrangerConnections: number
  /** connections one peer id may hold */
  maxConnectionsPerPeer: number
}

export interface ConnectionCounts {
  /** connections held by the peer asking for one more */
  peer: number
  /** connections held by strangers (neither contacts nor relays) */
  strangers: number
  /** every connection */
  total: number
}

/** Throws TypeError unless 1 <= maxStrangerConnections <= maxConnections and maxConnectionsPerPeer >= 1, all integers */
export function checkLimits (limits: FairnessLimits): FairnessLimits {
  const { maxConnections, maxStrangerConnections, maxConnectionsPerPeer } = limits

  if (![maxConnections, maxStrangerConnections, maxConnectionsPerPeer].every(n => Number.isInteger(n) && n >= 1)) {
    throw new TypeError('connection limits must be positive integers')
  }

  if (maxStrangerConnections > maxConnections) {
    throw new TypeError('maxStrangerConnections must not exceed maxConnections')
  }

  return limits
}

/** Why a peer of `kind` may not have one more connection, or undefined if it may */
export function refusal (kind: PeerKind, counts: ConnectionCounts, limits: FairnessLimits): Refusal | undefined {
  if (kind === 'blocked') {
    return 'blocked'
  }

  if (counts.peer >= limits.maxConnectionsPerPeer) {
    return 'peer-limit'
  }

  if (kind === 'relay') {
    return undefined
  }

  if (counts.total >= limits.maxConnections) {
    return 'budget'
  }

  if (kind === 'stranger' && counts.strangers >= limits.maxStrangerConnections) {
    return 'stranger-budget'
  }

  return undefined
}
