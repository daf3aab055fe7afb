/**
 * Help texts: `securechat --help` and the REPL's /help. Built from the
 * option and command tables so they cannot drift from the parsers.
 */
import { COMMANDS, PEER_ARGUMENT_HELP } from './commands.ts'
import type { OptionTable, ResolvedContext } from './args.ts'

const WIDTH = 26

function row (left: string, right: string): string {
  return left.length >= WIDTH - 2
    ? `  ${left}\n  ${' '.repeat(WIDTH)}${right}`
    : `  ${left.padEnd(WIDTH)}${right}`
}

function optionRows (table: OptionTable): string[] {
  return Object.entries(table).map(([name, spec]) => {
    const flag = `${spec.short != null ? `-${spec.short}, ` : ''}--${name}${spec.arg != null ? ` ${spec.arg}` : ''}`
    return row(flag, spec.description)
  })
}

/** The REPL commands, as /help prints them */
export function replHelp (): string {
  return [
    ...COMMANDS.map(c => row(c.usage, c.description)),
    row('<text>', 'in chat mode, send <text> to the chat peer'),
    row('//<text>', 'send text that starts with a slash: //shrug sends /shrug'),
    '',
    `  ${PEER_ARGUMENT_HELP}.`,
    '  Tab completes command names and peers.'
  ].join('\n')
}

export function chatHelp (ctx: ResolvedContext, options: OptionTable, subcommands: Array<[string, string]>): string {
  return `securechat: end-to-end encrypted peer-to-peer chat over libp2p

Usage:
  securechat [options]
  securechat <command> [options]

Options:
${optionRows(options).join('\n')}

  Defaults: --name ${JSON.stringify(ctx.defaultName)} (your user name), --data-dir ${ctx.defaultDataDir}
  (or $SECURECHAT_DATA_DIR).

Commands:
${subcommands.map(([name, summary]) => row(name, summary)).join('\n')}

REPL commands (typed at the prompt, or one per line on stdin):
${replHelp()}

Environment:
${row('SECURECHAT_DATA_DIR', 'data directory when --data-dir is not given')}
${row('SECURECHAT_RELAYS', 'comma-separated relay multiaddrs, used with any --relay')}
${row('SECURECHAT_PASSPHRASE', 'passphrase that protects the data directory at rest')}
${row('', '(an environment variable, never a flag, so that it')}
${row('', 'does not show in ps)')}
${row('NO_COLOR', 'set to disable colours (colours are only used on a TTY)')}
${row('DEBUG', "debug logs on stderr, e.g. DEBUG='securechat:*'")}

Examples:
  securechat --name alice
  securechat --name bob --port 4001 --relay /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW...
  SECURECHAT_DATA_DIR=/tmp/carol securechat --name carol --host 127.0.0.1
  securechat --json --name bot | jq -c 'select(.type == "message")'

  At the prompt:
    /peers
    /msg bob hello there
    /chat bob
    bob> how are you?
    /history bob 50

Without a TTY on stdin, commands are read one per line with no prompt, and
end of input stops the node. --json prints one JSON object per line, each
with a "type" field (ready, peer, message, pending, sent, delivered, read,
relay, history, peers, whoami, connected, chat, help, error).

Exit status: 0 after /quit, end of input, SIGINT or SIGTERM; 1 when the node
cannot start; 2 on a usage error; 130 when interrupted again while stopping.
`
}

export function relayHelp (ctx: ResolvedContext, options: OptionTable): string {
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
${row('SECURECHAT_PASSPHRASE', 'passphrase that protects the relay key at rest')}
${row('DEBUG', "debug logs on stderr, e.g. DEBUG='libp2p:circuit-relay*'")}

Examples:
  securechat relay --port 4001 --announce /ip4/203.0.113.7/tcp/4001
  securechat relay --json --duration-limit 3600 --data-limit 67108864

Exit status: 0 after SIGINT or SIGTERM; 1 when the relay cannot start; 2 on a
usage error.
`
}

export function relayHealthHelp (options: OptionTable): string {
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
