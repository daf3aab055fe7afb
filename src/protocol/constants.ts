/**
 * Every bound of the /securechat/1.0.0 protocol in one place.
 * docs/PROTOCOL.md repeats these values: change both together.
 */

export const PROTOCOL_NAME = 'securechat'
export const PROTOCOL_VERSION = '1.0.0'
export const PROTOCOL_ID = `/${PROTOCOL_NAME}/${PROTOCOL_VERSION}`

/** The `version` field every Hello must carry */
export const HELLO_VERSION = 1

/** Length of an X25519 public key */
export const EPHEMERAL_KEY_LENGTH = 32

/** Nicknames longer than this (UTF-8 bytes) are refused */
export const MAX_NICKNAME_BYTES = 64

/** A Hello whose timestamp differs from our clock by more than this is stale */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

/** Time allowed for both Hellos to be exchanged */
export const HANDSHAKE_TIMEOUT_MS = 10_000

/** Time allowed for one frame to be written, or for an ack to come back */
export const SEND_TIMEOUT_MS = 15_000

/** An idle session stream is closed after this long; the next send opens a new one */
export const SESSION_IDLE_TIMEOUT_MS = 60_000

/** Largest length-prefixed frame accepted on the wire (Hello or Frame) */
export const MAX_FRAME_BYTES = 64 * 1024

/** Largest message text (UTF-8 bytes) a user may send */
export const MAX_TEXT_BYTES = 16 * 1024

/** Length of a message id in bytes (hex-encoded on the wire: twice this) */
export const MESSAGE_ID_BYTES = 16

/**
 * A session is closed before its frame counter reaches this value, so a
 * (key, nonce) pair can never repeat; the next send opens a fresh session.
 */
export const MAX_FRAMES_PER_SESSION = 2n ** 32n

/** Concurrent /securechat streams per connection */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4

/**
 * Bytes received but not yet processed, per stream; past it the stream is
 * reset. A sender keeps at most MAX_IN_FLIGHT_BYTES unacknowledged, well
 * under it, so only a peer that ignores the protocol hits it.
 */
export const MAX_READ_BUFFER_BYTES = 4 * MAX_FRAME_BYTES

/**
 * Frame bytes one send (a batch of messages, or of receipts) may have written
 * and not yet seen acknowledged. A chat batch and a receipts batch can share
 * a session, so a session carries at most about twice this, still well under
 * MAX_READ_BUFFER_BYTES.
 */
export const MAX_IN_FLIGHT_BYTES = 128 * 1024

/** Envelopes one send may have written and not yet seen acknowledged */
export const MAX_IN_FLIGHT = 64

/** libp2p connections a chat node keeps at once */
export const MAX_CONNECTIONS = 128

/** How long a graceful stream close may wait for the remote's side */
export const CLOSE_TIMEOUT_MS = 5_000

/** protobuf tags, lengths, id, timestamp and the GCM tag around a text: the send window counts it per frame */
export const FRAME_OVERHEAD_BYTES = 96
