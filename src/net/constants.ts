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

/**
 * How long libp2p lets an inbound connection take from accepted to
 * upgraded (its `inboundUpgradeTimeout`; its default is 10 s). Each one in
 * its handshake holds one of the MAX_PENDING_INBOUND_UPGRADES slots, for
 * contacts and strangers alike, so the time an idle socket may hold one is
 * what an attacker buys per connection: at 10 s, three addresses opening
 * 3 idle sockets a second each (under the per-IP rate) held all 64 and 9 of
 * a contact's 10 connects failed. The upgrade itself (multistream-select,
 * a Noise XX handshake, the muxer) is about four round trips and takes
 * milliseconds; 3 s leaves room for a relayed peer at 700 ms round trip.
 */
export const INBOUND_UPGRADE_TIMEOUT_MS = 3_000

/**
 * Direct inbound connections one remote IP address may have in their
 * handshake at once (handshakes.ts). A peer needs one, two in a
 * simultaneous dial; a household behind one NAT a few. More is one
 * address holding the pending slots everyone else needs.
 */
export const MAX_PENDING_HANDSHAKES_PER_IP = 4

/**
 * Relayed inbound connections in their handshake at once through one relay
 * (handshakes.ts). Their address is the relay's, shared by every peer behind
 * it, contacts included, so the cap is wider than per IP; it keeps one relay
 * (or those who use it) from holding all MAX_PENDING_INBOUND_UPGRADES slots.
 */
export const MAX_PENDING_HANDSHAKES_PER_RELAY = 16

/**
 * Handshakes the gater tracks at once. libp2p has at most
 * MAX_PENDING_INBOUND_UPGRADES in progress, each tracked one ends within
 * INBOUND_UPGRADE_TIMEOUT_MS, so the table stays far below this; the bound is
 * a backstop: past it the oldest entry is forgotten.
 */
export const MAX_TRACKED_HANDSHAKES = 4 * MAX_PENDING_INBOUND_UPGRADES

/**
 * Streams the remote may have open on one connection at once (yamux's
 * `maxInboundStreams`; its default is 1,000). Each costs about 35 KB while
 * it negotiates its protocol, before any per-protocol limit applies: 1,000
 * on each of MAX_STRANGER_CONNECTIONS is gigabytes. A chat peer opens about a
 * dozen (/securechat 4, profile 2, ping 2, identify and its push, dcutr);
 * a relay opens one stop stream per relayed connection on our connection
 * to it, so the limit must also hold every connection our budget allows
 * (MAX_CONNECTIONS + LIBP2P_CONNECTIONS_HEADROOM) and a peer's own dozen.
 * Past it the muxer resets a new stream at once.
 */
export const MAX_MUXED_INBOUND_STREAMS = MAX_CONNECTIONS + LIBP2P_CONNECTIONS_HEADROOM + 32

/**
 * How long a stream the remote opened may take to name its protocol
 * (libp2p's `inboundStreamProtocolNegotiationTimeout`; its default is 10 s).
 * multistream-select takes one round trip; like INBOUND_UPGRADE_TIMEOUT_MS
 * this leaves room for a relayed peer at 700 ms round trip.
 */
export const STREAM_NEGOTIATION_TIMEOUT_MS = 3_000
