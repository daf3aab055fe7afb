/**
 * `securechat [chat]`: its option table (which also yields `--help`) and
 * the ChatOptions it makes of the parsed values. Pure apart from the
 * defaults in the context passed in.
 */
import { join } from 'node:path'
import { MAX_NICKNAME_BYTES, nicknameProblem, peerAddrProblem } from '../../app/index.ts'
import { UsageError } from '../errors.ts'
import { COMMON_OPTIONS, PASSPHRASE_FILE_OPTION, addHostAndPassphrase, parseDataDir, parseFilePath, parsePort, splitList, stringList, stringValue } from '../options.ts'
import { chatHelp } from './help.ts'
import { DEFAULT_WEB_PORT } from '../../web/index.ts'
import type { OptionTable, ParsedValues, ResolvedContext, Subcommand } from '../options.ts'

/** What `securechat [chat]` needs to start a node */
export interface ChatOptions {
  name: string
  dataDir: string
  /** where received files land, absolute: --downloads, else `<dataDir>/downloads` */
  downloads: string
  /** download at once what verified contacts offer */
  autoAcceptFiles: boolean
  port: number
  /** listen IP; undefined leaves the node's default (0.0.0.0) */
  host?: string
  relays: string[]
  /** from SECURECHAT_PASSPHRASE or the first line of --passphrase-file (never both), never from the command line itself */
  passphrase?: string
  json: boolean
  /** tell senders when their messages were displayed */
  readReceipts: boolean
  /** find peers on the LAN by mDNS */
  mdns: boolean
  /** --web: serve the web app on 127.0.0.1 at this port (0: any free one) */
  webPort?: number
}

const CHAT_OPTIONS: OptionTable = {
  name: { type: 'string', arg: 'NAME', description: `your nickname, 1 to ${MAX_NICKNAME_BYTES} UTF-8 bytes` },
  'data-dir': { type: 'string', arg: 'DIR', description: 'where the identity key, history and peer book are kept' },
  downloads: { type: 'string', arg: 'DIR', description: 'where files you accept land (default: <data dir>/downloads)' },
  'auto-accept-files': { type: 'boolean', description: 'download at once files that verified contacts offer, if the disk has room (default: ask)' },
  port: { type: 'string', arg: 'N', description: 'TCP port to listen on, 0 for any free port (default: 0)' },
  host: { type: 'string', arg: 'IP', description: 'IPv4 or IPv6 address to listen on (default: 0.0.0.0)' },
  relay: { type: 'string', multiple: true, arg: 'MULTIADDR', description: 'relay to reserve a slot on (ends in /p2p/<id>); repeatable' },
  json: { type: 'boolean', description: 'machine-readable output: one JSON object per line on stdout' },
  'no-read-receipts': { type: 'boolean', description: 'do not tell senders when their messages were displayed' },
  'no-mdns': { type: 'boolean', description: 'do not announce or look for peers on the LAN (mDNS)' },
  web: { type: 'boolean', description: 'also serve the web app on 127.0.0.1 (its URL, with an access token, is printed)' },
  'web-port': { type: 'string', arg: 'N', description: `port of the web app, 0 for any free one (default: ${DEFAULT_WEB_PORT}; implies --web)` },
  ...PASSPHRASE_FILE_OPTION,
  ...COMMON_OPTIONS
}

export const chatCommand: Subcommand<ChatOptions> = {
  summary: 'run a chat node with an interactive prompt (the default)',
  options: CHAT_OPTIONS,
  build: buildChat,
  help: (ctx, commands) => chatHelp(ctx, CHAT_OPTIONS, commands)
}

function buildChat (values: ParsedValues, ctx: ResolvedContext): ChatOptions {
  const dataDir = parseDataDir(stringValue(values['data-dir']) ?? ctx.env.SECURECHAT_DATA_DIR ?? ctx.defaultDataDir)
  const downloads = stringValue(values.downloads)
  const options: ChatOptions = {
    name: parseName(stringValue(values.name) ?? ctx.defaultName, values.name == null),
    dataDir,
    downloads: downloads == null ? join(dataDir, 'downloads') : parseFilePath('--downloads', downloads),
    autoAcceptFiles: values['auto-accept-files'] === true,
    port: parsePort(stringValue(values.port) ?? '0'),
    relays: parseRelays([...splitList(ctx.env.SECURECHAT_RELAYS), ...stringList(values.relay)]),
    json: values.json === true,
    readReceipts: values['no-read-receipts'] !== true,
    mdns: values['no-mdns'] !== true
  }

  const webPort = stringValue(values['web-port'])
  if (values.web === true || webPort != null) options.webPort = webPort == null ? DEFAULT_WEB_PORT : parsePort(webPort)

  addHostAndPassphrase(options, values, ctx)

  return options
}

function parseName (name: string, isDefault = false): string {
  const where = isDefault ? 'the default nickname (your user name)' : '--name'

  const problem = nicknameProblem(name)

  if (problem != null) {
    throw new UsageError(`${where} ${problem}${isDefault ? ', pass --name NAME' : ''}`)
  }

  return name
}

/** Each relay must be a valid multiaddr ending in /p2p/<valid peer id>; duplicates are dropped */
function parseRelays (values: readonly string[]): string[] {
  const relays = new Set<string>()

  for (const value of values) {
    switch (peerAddrProblem(value)) {
      case 'not-a-multiaddr':
        throw new UsageError(`--relay '${value}' is not a valid multiaddr`)
      case 'no-peer-id':
        throw new UsageError(`--relay '${value}' must end in /p2p/<relay peer id>`)
      case undefined:
        relays.add(value)
    }
  }

  return [...relays]
}
