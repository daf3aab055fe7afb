/**
 * `securechat relay`: its option table (which also yields `--help`), the
 * RelayOptions it makes of the parsed values, and its help text.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { UsageError } from '../errors.ts'
import { optionRows, row } from '../help.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION, addHostAndPassphrase, parseDataDir, parsePort, parsePositiveInt, stringList, stringValue } from '../options.ts'
import {
  RELAY_DATA_LIMIT_BYTES, RELAY_DEFAULT_PORT, RELAY_DURATION_LIMIT_MS, RELAY_INBOUND_CONNECTION_THRESHOLD, RELAY_MAX_CONNECTIONS,
  RELAY_MAX_CONNECTIONS_PER_IP, RELAY_MAX_RESERVATIONS, RELAY_RESERVATION_TTL_MS
} from '../../relay/constants.ts'
import type { OptionTable, ParsedValues, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat relay` needs to start a relay */
export interface RelayOptions {
  dataDir: string
  port: number
  host?: string
  announce: string[]
  /** from SECURECHAT_PASSPHRASE or the first line of --passphrase-file (never both) */
  passphrase?: string
  json: boolean
  maxReservations: number
  /** ms */
  reservationTtl: number
  /** ms */
  durationLimit: number
  dataLimit: bigint
  maxConnections: number
  maxConnectionsPerIp: number
  /** new inbound connections per second from one IP address */
  inboundConnectionThreshold: number
}

const RELAY_OPTIONS: OptionTable = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'where the relay key is kept (its peer id stays the same across restarts)' },
  port: { type: 'string', arg: 'N', description: `TCP port to listen on (default: $SECURECHAT_RELAY_PORT, else ${RELAY_DEFAULT_PORT})` },
  host: { type: 'string', arg: 'IP', description: 'IP address to listen on (default: 0.0.0.0)' },
  announce: { type: 'string', multiple: true, arg: 'MULTIADDR', description: 'address to advertise instead of the listen address (public IP, DNS name); repeatable' },
  'max-reservations': { type: 'string', arg: 'N', description: `reservations held at once (default: ${RELAY_MAX_RESERVATIONS})` },
  'reservation-ttl': { type: 'string', arg: 'SECONDS', description: `reservation lifetime before a client refreshes it (default: ${RELAY_RESERVATION_TTL_MS / 1000})` },
  'duration-limit': { type: 'string', arg: 'SECONDS', description: `longest a relayed connection stays open (default: ${RELAY_DURATION_LIMIT_MS / 1000})` },
  'data-limit': { type: 'string', arg: 'BYTES', description: `most bytes a relayed connection carries (default: ${RELAY_DATA_LIMIT_BYTES})` },
  'max-connections': { type: 'string', arg: 'N', description: `connections open at once (default: ${RELAY_MAX_CONNECTIONS})` },
  'max-connections-per-ip': { type: 'string', arg: 'N', description: `connections open at once from one IP address (default: ${RELAY_MAX_CONNECTIONS_PER_IP})` },
  'max-connection-rate-per-ip': { type: 'string', arg: 'N', description: `new connections per second from one IP address (default: ${RELAY_INBOUND_CONNECTION_THRESHOLD})` },
  json: { type: 'boolean', description: 'machine-readable output: one JSON object per line on stdout' },
  ...PASSPHRASE_FILE_OPTION,
  ...COMMON_OPTIONS
}

export const relayCommand: Subcommand<RelayOptions> = {
  summary: 'run a circuit relay v2 server that lets nodes behind NAT reach each other',
  options: RELAY_OPTIONS,
  build: buildRelay,
  help: ctx => relayHelp(ctx, RELAY_OPTIONS)
}

function buildRelay (values: ParsedValues, ctx: ResolvedContext): RelayOptions {
  const options: RelayOptions = {
    dataDir: parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultRelayDataDir),
    port: parsePort(stringValue(values.port) ?? ctx.env.SECURECHAT_RELAY_PORT ?? String(RELAY_DEFAULT_PORT)),
    announce: parseAnnounce(stringList(values.announce)),
    json: values.json === true,
    maxReservations: parsePositiveInt('--max-reservations', stringValue(values['max-reservations']), RELAY_MAX_RESERVATIONS),
    reservationTtl: parsePositiveInt('--reservation-ttl', stringValue(values['reservation-ttl']), RELAY_RESERVATION_TTL_MS / 1000) * 1000,
    durationLimit: parsePositiveInt('--duration-limit', stringValue(values['duration-limit']), RELAY_DURATION_LIMIT_MS / 1000) * 1000,
    dataLimit: BigInt(parsePositiveInt('--data-limit', stringValue(values['data-limit']), Number(RELAY_DATA_LIMIT_BYTES))),
    maxConnections: parsePositiveInt('--max-connections', stringValue(values['max-connections']), RELAY_MAX_CONNECTIONS),
    maxConnectionsPerIp: parsePositiveInt('--max-connections-per-ip', stringValue(values['max-connections-per-ip']), RELAY_MAX_CONNECTIONS_PER_IP),
    inboundConnectionThreshold: parsePositiveInt('--max-connection-rate-per-ip', stringValue(values['max-connection-rate-per-ip']), RELAY_INBOUND_CONNECTION_THRESHOLD)
  }

  addHostAndPassphrase(options, values, ctx)

  return options
}

function parseAnnounce (values: readonly string[]): string[] {
  return values.map(value => {
    try {
      return multiaddr(value).toString()
    } catch (err) {
      throw new UsageError(`--announce '${value}' is not a valid multiaddr`, { cause: err })
    }
  })
}

function relayHelp (ctx: ResolvedContext, options: OptionTable): string {
  return `securechat relay: a libp2p circuit relay v2 server for securechat nodes

Nodes behind NAT, or on different networks, reserve a slot on the relay and
reach each other through it; the relay forwards bytes it cannot read (Noise
and /securechat/1.0.0 both encrypt end to end). Nodes upgrade to a direct
connection (DCUtR) where their NATs allow.

Usage:
  securechat relay [options]

Options:
${optionRows(options).join('\n')}

  Default data dir: ${ctx.defaultRelayDataDir} (or $SECURECHAT_DATA_DIR).

On start the relay prints its full multiaddrs; give one to every node with
--relay (or SECURECHAT_RELAYS). It runs until SIGINT or SIGTERM.

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_RELAY_PORT', 'port when --port is not given (relay-health reads it too)')}
${row('SECURECHAT_PASSPHRASE', 'passphrase that protects the relay key at rest (or --passphrase-file)')}
${row('DEBUG', "debug logs on stderr, e.g. DEBUG='libp2p:circuit-relay*'")}

Examples:
  securechat relay --port 4001 --announce /ip4/203.0.113.7/tcp/4001
  securechat relay --json --duration-limit 3600 --data-limit 67108864

Exit status: 0 after SIGINT or SIGTERM; 1 when the relay cannot start; 2 on a
usage error.
`
}
