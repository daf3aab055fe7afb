/**
 * Every bound and name of the on-disk store in one place. Changing any of
 * these changes the on-disk format.
 */
import { AES_KEY_LENGTH, GCM_NONCE_LENGTH, GCM_TAG_LENGTH } from '../crypto/aead.ts'

/** LevelDB directory inside the data dir */
export const DB_DIR_NAME = 'db'

/** Data-key file inside the data dir */
export const KEY_FILE_NAME = 'securechat.key'

/** Mode of the data dir when we create it, and of the key file */
export const DATA_DIR_MODE = 0o700
export const KEY_FILE_MODE = 0o600

/** Sublevel names: they are also part of every value's AAD */
export const SUBLEVEL_IDENTITY = 'identity'
export const SUBLEVEL_PEERS = 'peers'
export const SUBLEVEL_HISTORY = 'history'
export const SUBLEVEL_INDEX = 'index'
export const SUBLEVEL_META = 'meta'
export const SUBLEVEL_OUTBOX = 'outbox'
export const SUBLEVEL_REQUESTS = 'requests'
/**
 * Joined rooms (rooms.ts). Added after store format 2 without changing it:
 * a sublevel is a key prefix, so a database written before it simply has
 * no such keys and opens as it is; no migration.
 */
export const SUBLEVEL_ROOMS = 'rooms'
/**
 * Room messages awaiting delivery to a member, one entry per (member,
 * message) (fanout.ts); added like `rooms`, without a format change
 */
export const SUBLEVEL_FANOUT = 'fanout'
/** File transfers, offered and received (transfers.ts); added like `rooms` */
export const SUBLEVEL_TRANSFERS = 'transfers'
/** Transfers kept, finished or not: the offers a peer can make us hold are bounded by it too */
export const MAX_STORED_TRANSFERS = 1024

/**
 * Room messages waiting for one member in one room, for one room, and in
 * all. A budget of their own, apart from the direct outbox: members that
 * never ack (gone, or sybils of a hostile member) cannot stop direct
 * messages, and one room cannot stop the others. Past a member's bound a
 * post skips that member (it missed 1,000 of the room's already); past a
 * room's or the total, posting fails (OutboxFullError) until members ack,
 * are blocked or the room is left
 */
export const DEFAULT_MAX_FANOUT_PER_MEMBER = 1_000
export const DEFAULT_MAX_FANOUT_PER_ROOM = 5_000
export const DEFAULT_MAX_FANOUT_TOTAL = 20_000

/**
 * A room's history is read this many records further back than asked and
 * put in (clock, sender) order, so that a message that arrived late (a
 * member was offline) still shows in its place among the recent ones
 */
export const ROOM_HISTORY_SLACK = 64

/** Outgoing messages not yet acknowledged, per peer and in total, before append refuses more */
export const DEFAULT_MAX_OUTBOX_PER_PEER = 10_000
export const DEFAULT_MAX_OUTBOX_TOTAL = 50_000

/** Keys inside the `identity` and `meta` sublevels */
export const IDENTITY_KEY = 'self'
export const META_KEY_CHECK = 'keycheck'
/** The store format of the database: written on creation, and by a migration as its last step */
export const META_FORMAT_KEY = 'format'
/** Set by a migration, cleared once the database files hold no format-1 key (upgrade.ts) */
export const META_SCRUB_KEY = 'scrub'

/** Format 2: keys hold no peer id, message id or time (keys.ts); format 1 (before it) did, see migrate-v1.ts */
export const STORE_FORMAT = 2

/** HKDF info of the names key, the key of the keyed hashes in keys.ts */
export const NAMES_KEY_INFO = 'securechat store key names v2'

/** `history()` returns this many messages unless told otherwise */
export const DEFAULT_HISTORY_LIMIT = 50

/** Digits of the per-conversation sequence number of a history key */
export const SEQ_DIGITS = 12
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1

/** Rooms a store keeps (src/rooms/membership.ts MAX_JOINED_ROOMS: a node is in at most 64) */
export const MAX_STORED_ROOMS = 64
/** Proven members kept per room: the most recent ones, the rooms service decides which */
export const MAX_ROOM_MEMBERS = 256
/**
 * UTF-8 bytes of a stored room's name and key, as given. The rooms service
 * bounds the canonical name (NFKC, lower case) at 64 bytes and the NFC key
 * at 256 (src/rooms/room-keys.ts); normalisation maps at most 4 bytes to 1
 * (NFKC: U+1D400 MATHEMATICAL BOLD CAPITAL A to "A"; NFC shrinks less), so
 * 4 times those bounds holds every room the service accepts, typed in any
 * form. The store applies no name rule of its own beyond these sizes.
 */
export const MAX_STORED_ROOM_NAME_BYTES = 4 * 64
export const MAX_STORED_ROOM_KEY_BYTES = 4 * 256
/** A room's proof key and rendezvous key (HKDF-SHA256 outputs, src/rooms/room-keys.ts) */
export const ROOM_SECRET_KEY_LENGTH = 32

/** Longest peer id or message id accepted as part of a key */
export const MAX_KEY_PART_LENGTH = 256

/** AES-256-GCM, sealed by crypto/aead.ts: 32-byte key, 12-byte nonce, 16-byte tag */
export const DATA_KEY_LENGTH = AES_KEY_LENGTH
export const NONCE_LENGTH = GCM_NONCE_LENGTH
export const TAG_LENGTH = GCM_TAG_LENGTH

/** First byte of every stored value */
export const VALUE_FORMAT_VERSION = 1

/** Key file format */
export const KEY_FILE_FORMAT = 'securechat-key'
export const KEY_FILE_VERSION = 1
export const SALT_LENGTH = 16
/** Largest key file we read; a valid one is a few hundred bytes */
export const MAX_KEY_FILE_BYTES = 4096

/**
 * scrypt cost for wrapping the data key under a passphrase (N = 2^17, r = 8,
 * p = 1: 128 MiB, a fraction of a second, once per open).
 */
export const SCRYPT_N = 2 ** 17
export const SCRYPT_R = 8
export const SCRYPT_P = 1
/** Bounds accepted when reading a key file, so a crafted file cannot demand unbounded work */
export const SCRYPT_MIN_N = 2 ** 14
/** Twice the default's 128 MiB, and scrypt's small p-sized block */
export const SCRYPT_MAX_MEMORY = 2 * 128 * SCRYPT_N * SCRYPT_R + 1024 * 1024
export const SCRYPT_MAX_P = 4
/** Twice the default's work: room for a stronger default later, no more (a crafted file cannot make a login take minutes) */
export const SCRYPT_MAX_WORK = 2 * 128 * SCRYPT_N * SCRYPT_R * SCRYPT_P

/**
 * Message requests (messages from peers who are not contacts) are held in a
 * quarantine with these bounds. Past them the node does not acknowledge, so
 * the sender's outbox keeps the messages and nothing is lost: they arrive
 * after the user accepts. Bytes count what the records take on disk (the
 * sealed history record, its index and quarantine entries), so the 1 MiB
 * per peer bound is met well before the 4 MiB the contacts issue allows.
 */
export const DEFAULT_MAX_REQUEST_MESSAGES_PER_PEER = 100
export const DEFAULT_MAX_REQUEST_BYTES_PER_PEER = 1024 * 1024
export const DEFAULT_MAX_REQUEST_BYTES_TOTAL = 64 * 1024 * 1024
/** peers with requests held at once, like the strangers kept in the peer book */
export const DEFAULT_MAX_REQUEST_PEERS = 1000
