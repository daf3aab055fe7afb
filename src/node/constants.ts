/**
 * The node's own defaults (each service's bounds live with the service).
 */

/** mDNS service name: securechat nodes only find each other, not every libp2p node on the LAN */
export const MDNS_SERVICE_TAG = '_securechat._udp.local'
/** how often mDNS asks who is there */
export const MDNS_INTERVAL_MS = 5_000
/** listen on every IPv4 interface unless told otherwise */
export const DEFAULT_HOST = '0.0.0.0'

/**
 * Rejected sessions (a forged Hello, a tampered frame) are reported to the
 * user once per peer per window, the rest of the window as one summary: a
 * peer can make as many as it likes, and a screen full of them hides
 * everything else.
 */
export const SESSION_ERROR_WINDOW_MS = 10_000
/** peers whose window is open at once; past it the oldest window ends early */
export const SESSION_ERROR_PEERS = 256
/**
 * Lines about rejected sessions per window in all peers together; the rest
 * of the window comes as one summary line. Per peer alone is not enough: a
 * fresh peer id costs nothing, and 30 of them made 30 lines.
 */
export const SESSION_ERROR_LINES = 5

/** Where received files land inside the data dir, unless `downloads` says otherwise */
export const DOWNLOADS_DIR_NAME = 'downloads'
