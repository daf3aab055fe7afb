/**
 * Every default of the securechat relay in one place; README ("Running a
 * relay") repeats them: change both together.
 */

export const RELAY_DEFAULT_PORT = 4001

/** Reservations held at once, across all clients (library default: 15) */
export const RELAY_MAX_RESERVATIONS = 256

/** How long a reservation lasts before the client must refresh it (library default: 2 h) */
export const RELAY_RESERVATION_TTL_MS = 60 * 60_000

/**
 * Per relayed connection: how long it may stay open and how many bytes it
 * may carry before the relay closes it. The library defaults (2 minutes,
 * 128 KiB) cut an ordinary chat off every two minutes. A chat message is at
 * most 16 KiB of text, so 16 MiB is over a thousand full-size messages, and
 * 30 minutes covers a conversation; both still stop a client from using the
 * relay as a free bulk pipe. Nodes reconnect through the relay when a limit
 * closes the connection, and their outboxes resend whatever was unacked, so
 * a limit costs a reconnect, never a message. DCUtR usually upgrades the
 * connection to a direct one long before either limit.
 */
export const RELAY_DURATION_LIMIT_MS = 30 * 60_000
export const RELAY_DATA_LIMIT_BYTES = 16n * 1024n * 1024n

/** Connections the relay accepts at once, in total and from one IP address */
export const RELAY_MAX_CONNECTIONS = 1024
export const RELAY_MAX_CONNECTIONS_PER_IP = 16

/** Inbound connection attempts per IP address per second before further ones are refused */
export const RELAY_INBOUND_CONNECTION_THRESHOLD = 5

/**
 * A client connection silent both ways this long is closed, which frees its
 * reservation: how the relay finds a client that died, froze or lost its
 * network, since it does not ping its clients (server.ts). A securechat node
 * pings its relay every 10 s (libp2p's connection monitor), a libp2p node's
 * yamux every 30 s, so a live client is never this quiet. The value is the
 * TCP transport's own default, set here because the relay now depends on it.
 */
export const RELAY_SOCKET_INACTIVITY_TIMEOUT_MS = 2 * 60_000

/** Concurrent circuit (hop) streams per client connection */
export const RELAY_MAX_INBOUND_HOP_STREAMS = 32

/** The health check gives up after this long */
export const RELAY_HEALTH_TIMEOUT_MS = 5_000

/* client side: the relay keeper (keeper/) */

/** one dial of a configured relay */
export const RELAY_DIAL_TIMEOUT_MS = 10_000
/** how often the keeper checks its relay connections and reservations */
export const RELAY_CHECK_INTERVAL_MS = 5_000
/**
 * Connected to a relay but without a reservation for this long (it refused
 * one, e.g. it was full): hang up, so the redial asks again. libp2p asks only
 * once per connection.
 */
export const RELAY_RESERVE_GRACE_MS = 15_000
export const RELAY_REDIAL_BASE_MS = 1_000
export const RELAY_REDIAL_CAP_MS = 30_000
