/**
 * The bounds and intervals of rooms, in one place. docs/PROTOCOL.md
 * ("Rooms") repeats the protocol's; change both together.
 */

/** The TTL a member asks of the relay's rendezvous point, seconds: gone members drop out of discovery within minutes */
export const ROOM_REGISTRATION_TTL_S = 10 * 60
/** How often registrations are renewed: well within their TTL */
export const ROOM_REGISTER_INTERVAL_MS = 4 * 60 * 1000
/** How often each relay is asked who else is in each room */
export const ROOM_DISCOVER_INTERVAL_MS = 20 * 1000
/** Registrations asked of one DISCOVER; a room's members beyond it are found on later rounds, by cookie */
export const ROOM_DISCOVER_LIMIT = 100
/** Dials of discovered members at once */
export const ROOM_DIAL_CONCURRENCY = 4
/** One dial of a discovered member */
export const ROOM_DIAL_TIMEOUT_MS = 10_000
/**
 * Near a UTC day's end or start, members whose clocks differ by up to this
 * much may be on different days: register and discover under both days'
 * namespaces meanwhile.
 */
export const ROOM_DAY_OVERLAP_MS = 60 * 60 * 1000
/** Concurrent inbound membership streams per connection */
export const MAX_MEMBERSHIP_INBOUND_STREAMS = 2
/** Concurrent outbound membership streams per connection */
export const MAX_MEMBERSHIP_OUTBOUND_STREAMS = 2
/** Discovered members kept for redials until their registration expires, across all rooms and relays */
export const MAX_DISCOVERED_MEMBERS = 1024
/** One REGISTER, DISCOVER or UNREGISTER */
export const ROOM_OPERATION_TIMEOUT_MS = 10_000
/** One round on all relays: a relay that does not answer holds up nothing past it */
export const ROOM_ROUND_DEADLINE_MS = 60_000
/** A discovered member that could not be dialled is tried again after this, doubled per failure */
export const ROOM_REDIAL_BASE_MS = 20_000
export const ROOM_REDIAL_CAP_MS = 10 * 60 * 1000
/** A member's proof time is stored anew at most this often: a peer proving on every connection costs no write each time */
export const MEMBER_RENEW_MS = 10 * 60 * 1000
