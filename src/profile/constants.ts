/**
 * Every bound of the /securechat/profile/1.0.0 protocol in one place.
 * docs/PROTOCOL.md ("Profiles") repeats these values: change both together.
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'

export const PROFILE_PROTOCOL_ID = '/securechat/profile/1.0.0'

/**
 * The signature domain of a profile envelope (RFC 0002): it is signed over,
 * not sent, so a signature made for another purpose (a libp2p peer record,
 * anything else the same key signs) never verifies as a profile.
 */
export const PROFILE_DOMAIN = 'securechat-profile'

/** The envelope's payload type: says the payload is our Profile message, version 1 */
export const PROFILE_CODEC = uint8ArrayFromString('/securechat/profile-record/1')

/**
 * Largest profile envelope accepted (the length prefix excluded). An
 * Ed25519 envelope with a 64-byte nickname is 209 bytes; 1 KiB leaves
 * room for an RSA key and a later field or two, and bounds what a peer can
 * make us buffer and verify.
 */
export const MAX_PROFILE_BYTES = 1024

/**
 * Bytes a profile stream may buffer unread. Larger than one frame, so an
 * oversized frame is refused by its length prefix (InvalidDataLengthError)
 * before the buffer limit is reached.
 */
export const MAX_PROFILE_READ_BUFFER_BYTES = 4 * MAX_PROFILE_BYTES

/**
 * One whole exchange: opening the stream, the responder's write and our
 * read, the close. One small frame: a peer that takes longer is not
 * answering.
 */
export const PROFILE_TIMEOUT_MS = 5_000

/**
 * Profile streams per connection: one fetch at a time is all an honest peer
 * needs (a second covers an identify push racing a first fetch).
 */
export const MAX_PROFILE_INBOUND_STREAMS = 2
export const MAX_PROFILE_OUTBOUND_STREAMS = 2

/**
 * Peers whose last accepted seq is remembered in this run, oldest dropped
 * first: bounds the memory a stream of new peer ids can take.
 */
export const MAX_PROFILE_PEERS = 1024
