/**
 * Every name and bound of the backup archive format in one place (see
 * docs/PROTOCOL.md, "Archive format"). Changing any of these changes the
 * format: bump ARCHIVE_VERSION.
 */
import { AES_KEY_LENGTH, GCM_TAG_LENGTH } from '../crypto/aead.ts'

/** The file starts with these ASCII bytes */
export const ARCHIVE_MAGIC = 'securechat-archive'
/**
 * The byte after the magic: the version this securechat writes. A reader
 * takes MIN_ARCHIVE_VERSION to ARCHIVE_VERSION and refuses any other
 * (UnsupportedArchiveError), so an older securechat says "a newer format"
 * of an archive with records it does not know, rather than "damaged".
 * Version 2 added room records; version 1 is the same format without them.
 *
 * Version 3 added room messages: a message whose peer is a room's
 * conversation (`#` and the room id) with the room's Lamport clock, a new
 * Message field. A protobuf reader skips a field it does not know, so
 * without the bump an older securechat would restore such a message without
 * its clock (the one that writes version 2 calls the archive damaged
 * instead, only because `#...` is no peer id: the wrong error, by luck);
 * with it, a securechat that reads 1 to 2 refuses the archive as a newer
 * format from its header, before it asks for the passphrase. Versions 1
 * and 2 are version 3 without room messages and read as written. The
 * header is written (and bound into every frame) before the records are
 * seen, so a writer always writes ARCHIVE_VERSION, room messages or not.
 */
export const ARCHIVE_VERSION = 3
export const MIN_ARCHIVE_VERSION = 1
/** The first version whose archives may hold room records */
export const ROOMS_SINCE_VERSION = 2
/** The first version whose archives may hold room messages (with their clock) */
export const ROOM_MESSAGES_SINCE_VERSION = 3

/** scrypt salt, random per archive: every archive gets a fresh key, so frame counters never repeat a nonce */
export const SALT_LENGTH = 16
/** HKDF output stored in the header: tells a wrong passphrase from damaged frames */
export const KEY_CHECK_LENGTH = 16
/** Truncated SHA-256 of the header before it: tells a damaged header from a wrong passphrase */
export const CHECKSUM_LENGTH = 16

/** magic, version, scrypt N, r, p (u32 big-endian each), salt, key check, checksum */
export const HEADER_LENGTH = ARCHIVE_MAGIC.length + 1 + 3 * 4 + SALT_LENGTH + KEY_CHECK_LENGTH + CHECKSUM_LENGTH

/** HKDF-SHA256 infos (salt: the archive's salt) of the two values derived from the scrypt output; "v1" in every version */
export const FRAME_KEY_INFO = 'securechat-archive v1 frame key'
export const KEY_CHECK_INFO = 'securechat-archive v1 key check'
export const FRAME_KEY_LENGTH = AES_KEY_LENGTH

/** Plaintext per frame: every frame but the last holds exactly this much; a reader refuses a larger length before allocating */
export const MAX_FRAME_PLAINTEXT = 64 * 1024
/** Bytes of a frame's length prefix (u32 big-endian: ciphertext and tag) */
export const FRAME_LENGTH_BYTES = 4
export const MIN_FRAME_LENGTH = GCM_TAG_LENGTH
export const MAX_FRAME_LENGTH = MAX_FRAME_PLAINTEXT + GCM_TAG_LENGTH

/**
 * Largest record (its protobuf encoding): far above anything the store
 * holds (a message carries at most 16 KiB of text, a peer-book entry at most
 * 8 addresses, a room at most 256 members: under 80 KiB even with the
 * longest peer ids), so a reader can refuse a crafted length before
 * buffering it.
 */
export const MAX_RECORD_BYTES = 1024 * 1024

/** The archive file (and its temp file, written before it is linked into place) */
export const ARCHIVE_FILE_MODE = 0o600

/** Bytes read from the archive file at a time */
export const READ_CHUNK_BYTES = 64 * 1024
