/**
 * Every bound of /rendezvous/1.0.0 in one place. docs/PROTOCOL.md
 * ("Rendezvous") repeats these values: change both together.
 *
 * The spec (libp2p/specs, rendezvous/README.md) fixes the TTL unit
 * (seconds), the default TTL (2 h), the largest TTL (72 h) and the longest
 * namespace (255 bytes); the rest is ours, each with its reason. Where we
 * grant less than the spec allows (the TTL), the client still accepts what
 * the spec allows from any other point.
 */

export const RENDEZVOUS_PROTOCOL_ID = '/rendezvous/1.0.0'

/**
 * The longest TTL the spec allows, seconds (72 h): what the client accepts
 * from a point, and the most a server may be configured to grant.
 */
export const SPEC_MAX_TTL_S = 72 * 60 * 60

/**
 * The longest TTL our server grants, seconds: 30 min, not the spec's 72 h.
 * A registration is a slot of the point's MAX_REGISTRATIONS; at 72 h, 100
 * throw-away identities held all 10 000 slots for three days after a few
 * seconds of work (a security review's attack-fill.ts). Registrations also
 * go when their peer disconnects (server.ts), so this bounds what a peer
 * still connected but gone quiet holds. The rooms service asks for 10 min
 * and refreshes every 4. A REGISTER asking for more is refused
 * (E_INVALID_TTL), not shortened, as rust-libp2p does: the client learns
 * its TTL was not what it asked for.
 */
export const MAX_TTL_S = 30 * 60

/**
 * The TTL of a REGISTER that names none, seconds: MAX_TTL_S. The spec's
 * default is 2 h, longer than we grant: such a REGISTER gets the longest
 * we do.
 */
export const DEFAULT_TTL_S = 30 * 60

/**
 * The shortest TTL granted, seconds. The spec recommends 2 h, which is
 * also its default; we accept 2 minutes: a room member that went away
 * should drop out of discovery within minutes, and a client refreshing a
 * short registration costs one small stream per refresh.
 */
export const MIN_TTL_S = 2 * 60

/** Longest namespace, bytes of UTF-8 (the spec's) */
export const MAX_NAMESPACE_BYTES = 255

/**
 * Largest signed peer record accepted in a REGISTER, bytes. An Ed25519
 * envelope is about 160 bytes, plus about 12 per direct address and 55 per
 * circuit address: 2 KiB holds some 30 circuit addresses. (Only Ed25519
 * keys are accepted: record.ts.)
 */
export const MAX_SIGNED_PEER_RECORD_BYTES = 2048

/**
 * Largest request frame the server reads (the length prefix excluded). The
 * largest valid request, a REGISTER with a 255-byte namespace and a full
 * record, is under 2.4 KB; anything longer is refused by its length prefix
 * before it is buffered.
 */
export const MAX_REQUEST_BYTES = 4096

/**
 * Largest response frame: the server fills a DISCOVER page up to this many
 * bytes (or `limit` registrations, whichever comes first) and the client
 * reads no longer frame. At least one registration of the largest size
 * always fits (~2.3 KB), so paging always progresses.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024

/**
 * Bytes a stream may buffer unread: larger than one frame, so an
 * oversized frame is refused by its length prefix (InvalidDataLengthError)
 * before the buffer limit is reached.
 */
export const MAX_REQUEST_BUFFER_BYTES = 4 * MAX_REQUEST_BYTES
export const MAX_RESPONSE_BUFFER_BYTES = 2 * MAX_RESPONSE_BYTES

/**
 * Registrations returned by one DISCOVER: the default when the request
 * names no limit, and the cap on one that names more (clamped, not
 * refused). The spec recommends at most 1000; a room is far smaller, and
 * the cookie pages through the rest.
 */
export const DEFAULT_DISCOVER_LIMIT = 100
export const MAX_DISCOVER_LIMIT = 100

/**
 * Registrations one peer may hold at once, over all namespaces: a node is
 * in at most 64 rooms (src/rooms/membership.ts MAX_JOINED_ROOMS) and, near
 * midnight UTC, registers under two days' namespaces of each. Beyond:
 * E_NOT_AUTHORIZED (as go-libp2p-rendezvous). The spec recommends 1000.
 */
export const MAX_REGISTRATIONS_PER_PEER = 128

/**
 * Registrations the peers connected from one address may hold at once:
 * an IPv4 address, or an IPv6 /64 (what one host is commonly given; see
 * quota.ts). Four nodes at MAX_REGISTRATIONS_PER_PEER, for those sharing
 * a NAT. Peer ids cost nothing, addresses do: an attacker needs
 * MAX_REGISTRATIONS / 512 = 20 addresses, each keeping its connections
 * open (registrations go with them), to fill the point. Beyond:
 * E_NOT_AUTHORIZED, as for a peer. A connection without an IP address (no
 * such transport on the relay today) has no address quota.
 */
export const MAX_REGISTRATIONS_PER_ADDRESS = 512

/**
 * Requests, token buckets: per connection, a burst of REQUEST_BURST
 * refilled at REQUEST_RATE a second; and per address (as above)
 * ADDRESS_REQUEST_BURST refilled at ADDRESS_REQUEST_RATE, shared by its
 * connections. A REGISTER or DISCOVER finding either bucket empty is
 * answered E_UNAVAILABLE (the spec's "try again later"), unread, after
 * OVER_RATE_PAUSE_MS; an UNREGISTER counts too, and is served after the
 * pause (it frees a slot; it has no response, so uncounted it could be
 * sent as fast as the point decodes).
 *
 * Why: every REGISTER costs a signature verification (Ed25519 ~0.2-0.4 ms
 * on a small VM), synchronous on the relay's event loop. The per
 * connection rate fits the rooms service's worst case: 64 rooms x 2 days
 * = 128 namespaces, a DISCOVER each every 20 s (6.4/s) and a REGISTER each
 * every 4 min, that is 256 requests back to back in one round, 128 in the
 * next ones. The per-address bucket (four such nodes) is what bounds an
 * attacker, who can open 16 connections per address on the relay and a
 * new one 5 times a second (src/relay/constants.ts), each with a full
 * per-connection bucket: some 32 verifications a second per address.
 */
export const REQUEST_BURST = 256
export const REQUEST_RATE = 8
export const ADDRESS_REQUEST_BURST = 1024
export const ADDRESS_REQUEST_RATE = 32

/**
 * How long a request over the rate waits before it is refused, ms; the
 * stream is not read meanwhile. Answered at once, a flood of refusals
 * still kept a relay busy answering them (2,600 a second from two
 * connections, the event loop 90 % busy); paused, each stream gets one a
 * second. Below RENDEZVOUS_TIMEOUT_MS, which bounds each answer.
 */
export const OVER_RATE_PAUSE_MS = 1_000

/** Registrations one namespace may hold (the members of one room). Beyond: E_UNAVAILABLE */
export const MAX_REGISTRATIONS_PER_NAMESPACE = 1000

/**
 * Registrations held at once, in total. Beyond: E_UNAVAILABLE. Bounds the
 * memory the network can make the relay hold: at most about
 * 10 000 x (2 KiB record + 255-byte namespace + bookkeeping), some 25 MB;
 * typically a tenth of that.
 */
export const MAX_REGISTRATIONS = 10_000

/**
 * How often expired registrations are swept from memory. A DISCOVER never
 * returns an expired one whatever this is (each is checked as it is read);
 * a peer or namespace at its limit has its own expired ones dropped first,
 * and a point at its total limit sweeps at once (at most once a second);
 * the periodic sweep frees the rest.
 */
export const SWEEP_INTERVAL_MS = 60_000

/**
 * Server: each read of a request (also the wait for the next one on a
 * stream that carries several) and each write of a response. Client: one
 * whole operation (opening the stream, the request, the response), unless
 * the caller passes a signal. One small frame each way: a peer that takes
 * longer is not answering.
 */
export const RENDEZVOUS_TIMEOUT_MS = 10_000

/**
 * Rendezvous streams per connection, each way. A client has one
 * operation in flight per namespace at most; 4 is headroom for a refresh
 * racing a discover.
 */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4

/**
 * A cookie the server hands out: version (1 byte), position (8), tag (16).
 * Any other length is E_INVALID_COOKIE.
 */
export const COOKIE_BYTES = 25

/** The longest cookie the client keeps from a server (ours are COOKIE_BYTES) */
export const MAX_COOKIE_BYTES = 256

/**
 * Client: once it has the response (or, for an UNREGISTER, sent the
 * request) and closed its side, how long it leaves the point to close its
 * own before aborting the stream, ms. A point that never closes would
 * otherwise keep the stream, and a slot of MAX_OUTBOUND_STREAMS, forever.
 */
export const CLOSE_TIMEOUT_MS = 2_000

/** The longest statusText the client keeps from a server, characters */
export const MAX_STATUS_TEXT_CHARS = 200
