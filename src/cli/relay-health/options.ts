/**
 * `securechat relay-health`: its option table (which also yields `--help`),
 * the RelayHealthOptions it makes of the parsed values, and its help text.
 */
import { optionRows } from '../help.ts'
import { COMMON_OPTIONS, parseHost, parsePort, stringValue } from '../options.ts'
import { RELAY_DEFAULT_PORT } from '../../relay/constants.ts'
import type { OptionTable, Subcommand } from '../options.ts'

/** What `securechat relay-health` checks */
export interface RelayHealthOptions {
  host: string
  port: number
  json: boolean
}

const RELAY_HEALTH_OPTIONS: OptionTable = {
  host: { type: 'string', arg: 'IP', description: 'IP address of the relay (default: 127.0.0.1)' },
  port: { type: 'string', arg: 'N', description: `TCP port of the relay (default: $SECURECHAT_RELAY_PORT, else ${RELAY_DEFAULT_PORT})` },
  json: { type: 'boolean', description: 'print the result as one JSON object' },
  ...COMMON_OPTIONS
}

export const relayHealthCommand: Subcommand<RelayHealthOptions> = {
  summary: 'check that a relay answers (exit 0) or not (exit 1): the container health check',
  options: RELAY_HEALTH_OPTIONS,
  build: (values, ctx) => ({
    host: parseHost(stringValue(values.host) ?? '127.0.0.1'),
    port: parsePort(stringValue(values.port) ?? ctx.env.SECURECHAT_RELAY_PORT ?? String(RELAY_DEFAULT_PORT)),
    json: values.json === true
  }),
  help: () => relayHealthHelp(RELAY_HEALTH_OPTIONS)
}

function relayHealthHelp (options: OptionTable): string {
  return `securechat relay-health: check that a securechat relay answers

Dials the relay, runs identify and ping, and checks that it speaks circuit
relay v2 (hop). The Docker image uses it as its HEALTHCHECK.

Usage:
  securechat relay-health [options]

Options:
${optionRows(options).join('\n')}

Exit status: 0 healthy; 1 unhealthy (the reason is printed); 2 on a usage error.
`
}
