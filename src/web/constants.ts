/**
 * Every bound of the web face in one place (issue 13): where it listens,
 * what a request may carry, how long a client may lag behind the events.
 */

/** Only ever this address: the web app is for the user at this machine */
export const WEB_HOST = '127.0.0.1'

/** The port when --web-port is not given */
export const DEFAULT_WEB_PORT = 7878

/** Random bytes of the access token (hex in the URL: twice this) */
export const WEB_TOKEN_BYTES = 32

/** The largest request body read (a command, a passphrase): a message is at most 16 KiB of UTF-8, escaped in JSON at most 6 times that */
export const MAX_BODY_BYTES = 128 * 1024

/** The largest file the browser may upload to offer: what a receiver takes by default */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3

/** An upload that sends nothing for this long is dropped */
export const UPLOAD_IDLE_TIMEOUT_MS = 30_000

/** Connections open at once (a browser opens a few per tab) */
export const MAX_WEB_CONNECTIONS = 64

/** A request's headers must have arrived within this */
export const HEADERS_TIMEOUT_MS = 10_000

/** A connection with nothing on it for this long is closed (event streams send a comment every EVENT_HEARTBEAT_MS) */
export const IDLE_TIMEOUT_MS = 60_000

/** A request's body must have arrived within this */
export const BODY_TIMEOUT_MS = 10_000

/** Bytes of events an event stream may have queued for a client that does not read; past it the stream is closed (the page reconnects and reloads) */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024

/** A comment line on every event stream this often, so that proxies and the browser keep it open */
export const EVENT_HEARTBEAT_MS = 15_000

/** Event streams open at once (each browser tab holds one) */
export const MAX_EVENT_STREAMS = 16

/** Wrong passphrases (unlock) before a wait: a burst of this many, then one every UNLOCK_REFILL_MS */
export const UNLOCK_BURST = 5
export const UNLOCK_REFILL_MS = 2_000
