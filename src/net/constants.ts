/**
 * The bounds of connection fairness (fairness.ts, gater.ts): who may hold
 * how many of the node's connections. libp2p refuses inbound connections
 * before it knows the peer id, so these are enforced by our gater, and
 * libp2p's own limits are moved out of their way.
 */
import { MAX_CONNECTIONS } from '../protocol/constants.ts'

/**
 * Connections one peer id may hold, contacts included. A peer needs one;
 * while DCUtR upgrades a relayed connection to a direct one both exist, and
 * a simultaneous dial from both sides can add one each for a moment: 4.
 * More is a peer multiplying its share of the budget.
 */
export const MAX_CONNECTIONS_PER_PEER = 4

/**
 * Connections strangers (every peer that is not a contact, message requests
 * included) may hold together: three quarters of MAX_CONNECTIONS, so that
 * 32 slots always stay free for contacts however many strangers come.
 * Contacts may use the whole budget.
 */
export const MAX_STRANGER_CONNECTIONS = MAX_CONNECTIONS - 32

/**
 * What libp2p's own `maxConnections` is set above our budget. libp2p checks
 * it before the peer id is known and refuses contacts and strangers alike,
 * so it must never bind first: the headroom covers the relays (exempt from
 * the budget), inbound upgrades in flight (libp2p allows 10) and outbound
 * dials in flight.
 */
export const LIBP2P_CONNECTIONS_HEADROOM = 32

/**
 * Direct inbound connection attempts one remote IP address may make per
 * second; libp2p's own default for its (replaced) `inboundConnectionThreshold`.
 * A chat peer reconnecting needs one or two. Relayed connections are not
 * counted: their address is the relay's, shared by everyone behind it.
 */
export const INBOUND_CONNECTIONS_PER_IP_PER_SECOND = 5

/**
 * Inbound connections libp2p lets be in their handshake at once (its default
 * is 10). It counts them before it knows the peer id, so a flood of slow or
 * refused handshakes past it turns contacts away too: in the flood tests a
 * contact's first connect failed in 7 of 9 runs at 10. Each pending one
 * costs a Noise handshake at most.
 */
export const MAX_PENDING_INBOUND_UPGRADES = 64
