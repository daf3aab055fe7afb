/**
 * Every bound of the /securechat/file/1.0.0 protocol in one place.
 * docs/PROTOCOL.md ("File transfer") repeats these values: change both together.
 */
export const FILE_PROTOCOL_ID = '/securechat/file/1.0.0'

/** Length of a transfer id in bytes (hex-encoded on the wire: twice this) */
export const TRANSFER_ID_BYTES = 16

/** Length of the SHA-256 of the whole file an offer carries */
export const FILE_HASH_BYTES = 32

/**
 * Longest file name an offer may carry, in UTF-8 bytes: what Linux, macOS
 * and Windows file systems allow for one path component (NAME_MAX)
 */
export const MAX_FILE_NAME_BYTES = 255

/**
 * Largest file size (and so offset) on the wire: a JavaScript number counts
 * bytes exactly up to here, and no file is larger (8 PiB)
 */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER

/**
 * File bytes per CHUNK reply (60 KiB). A CHUNK at the largest offset is
 * at most CHUNK_BYTES + 16 bytes of FileReply (kind, an 8-byte offset
 * varint, a 3-byte length); sealed, plus the 16-byte GCM tag and the
 * Frame's counter and length, it stays under /securechat's MAX_FRAME_BYTES
 * (64 KiB) with about 4 KiB to spare (test/files/codec.test.ts checks it).
 */
export const CHUNK_BYTES = 60 * 1024

/**
 * Flow control of a GET: chunk bytes a sender may send past the last
 * offset the receiver acknowledged (the GET's, then each MORE's). It bounds
 * what a receiver must buffer while its disk is slow (a transport's own
 * windows do not: libp2p hands a stream's bytes on as they come), and over
 * a link with round trip t it allows 2 MiB / t (40 MiB/s at 50 ms).
 */
export const FILE_WINDOW_BYTES = 2 * 1024 * 1024

/** A receiver sends MORE at least every this many bytes taken (a quarter of the window) */
export const MORE_EVERY_BYTES = FILE_WINDOW_BYTES / 4

/**
 * Why a request was refused, the `reason` of a REFUSED reply. Codes are API:
 * a receiver branches on them and they never change.
 * - `unknown`: no such transfer id (never offered, or forgotten)
 * - `declined`: the user declined the offer
 * - `too-large`: the file is over the receiver's size limit
 * - `blocked`: the requester is blocked
 * - `busy`: too many transfers at once; try again later
 * - `changed`: the file changed since it was offered (its size, or it is gone)
 */
export const REFUSAL_REASONS = ['unknown', 'declined', 'too-large', 'blocked', 'busy', 'changed'] as const

export type RefusalReason = typeof REFUSAL_REASONS[number]
