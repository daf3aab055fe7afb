/**
 * The node's own defaults (each service's bounds live with the service).
 */

/** mDNS service name: securechat nodes only find each other, not every libp2p node on the LAN */
export const MDNS_SERVICE_TAG = '_securechat._udp.local'
/** how often mDNS asks who is there */
export const MDNS_INTERVAL_MS = 5_000
/** listen on every IPv4 interface unless told otherwise */
export const DEFAULT_HOST = '0.0.0.0'
