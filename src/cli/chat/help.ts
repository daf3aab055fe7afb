/**
 * The chat subcommand's help texts: `securechat --help` (chat is the
 * default subcommand) and the REPL's /help. Built from the option and
 * command tables so they cannot drift from the parsers.
 */
import { optionRows, row } from '../help.ts'
import { COMMANDS, PEER_ARGUMENT_HELP, ROOM_ARGUMENT_HELP } from './commands.ts'
import type { OptionTable, ResolvedContext } from '../options.ts'

/** The REPL commands, as /help prints them */
export function replHelp (): string {
  return [
    ...COMMANDS.map(c => row(c.usage, c.description)),
    row('<text>', 'in chat mode, send <text> to the chat peer, or post it to the room'),
    row('//<text>', 'send text that starts with a slash: //shrug sends /shrug'),
    '',
    ...PEER_ARGUMENT_HELP.map(line => `  ${line}`),
    '',
    ...ROOM_ARGUMENT_HELP.map(line => `  ${line}`),
    '',
    '  Tab completes command names, petnames, nicknames and peer ids.'
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
${row('', '(or --passphrase-file; never a flag of its own, so that')}
${row('', 'it does not show in ps)')}
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
    /requests
    /safety bob        (compare the digits with bob, then:)
    /verify bob
    /join demo         (a room anyone who knows the name can join)
    /join team correct horse battery staple
    /rooms
    /room team the build is green
    /chat #team
    #team> who is on call?
    /history #team 50
    /leave #demo
    /send bob ~/Documents/report 2024.pdf
    /accept-file 1a2b3c4d   (the id an offer shows; its first 4 characters do)
    /files

On a terminal (and without --json), an empty data dir is set up first, as
by \`securechat init\`, and a protected one asks for its passphrase (three
tries) before the node starts; a passphrase from SECURECHAT_PASSPHRASE or
--passphrase-file skips the prompt. Nothing is ever asked otherwise.

Without a TTY on stdin, commands are read one per line with no prompt, and
end of input stops the node. --json prints one JSON object per line, each
with a "type" field (web, ready, peer, message, pending, posted, sent,
delivered, read, relay, contact, room, offer, offered, progress, file,
transfer, files, history, peers, whoami, connected, chat, requests,
accepted, declined, safety, rooms, help, error).

--web serves the web app on 127.0.0.1 beside this prompt; open the URL it
prints (its token is the key to your account: keep it to yourself). An
account to create or unlock is then opened in the browser.

Files you accept land in --downloads (default <data dir>/downloads), under
a safe name; a transfer cut off resumes where it stopped, and one through a
relay moves to a direct connection when one appears (a line says which
path it takes). On a terminal, a progress bar shows each transfer under
way; otherwise a line every 10 %. --auto-accept-files downloads at once
what verified contacts offer, if the disk has room.

Exit status: 0 after /quit, end of input, SIGINT or SIGTERM; 1 when the node
cannot start (three wrong passphrases too); 2 on a usage error; 130 when a
passphrase prompt is left with Ctrl+C or Ctrl+D, or when interrupted again
while stopping.
`
}
