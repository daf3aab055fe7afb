/**
 * The REPL's input language: one line in, one ReplCommand out. Pure: no I/O,
 * no node, no state; peer arguments stay as typed (the application API
 * resolves them). Message text is checked by the application's one rule,
 * validateText.
 */
import { validateText } from '../../app/index.ts'
import { UsageError } from '../errors.ts'
import { UnknownCommandError } from './errors.ts'

export const DEFAULT_HISTORY_LIMIT = 20
export const MAX_HISTORY_LIMIT = 1000

/** A parsed REPL line */
export type ReplCommand =
  /** a blank line: nothing to do */
  | { type: 'none' }
  | { type: 'peers' }
  | { type: 'msg', peer: string, text: string }
  /** enter chat mode with `peer`, or leave it when `peer` is undefined */
  | { type: 'chat', peer?: string }
  | { type: 'history', peer: string, limit: number }
  | { type: 'connect', multiaddr: string }
  | { type: 'whoami' }
  | { type: 'help' }
  | { type: 'quit' }
  /** plain text, for the peer of chat mode */
  | { type: 'say', text: string }

export type CommandName = 'peers' | 'msg' | 'chat' | 'history' | 'connect' | 'whoami' | 'help' | 'quit'

export interface CommandSpec {
  /** primary name, without the slash */
  name: CommandName
  aliases: string[]
  usage: string
  description: string
  /** whether the first argument is a peer (for tab completion) */
  takesPeer: boolean
}

/** Every REPL command, in the order /help lists them */
export const COMMANDS: readonly CommandSpec[] = [
  { name: 'peers', aliases: [], usage: '/peers', description: 'list known peers', takesPeer: false },
  { name: 'msg', aliases: [], usage: '/msg <peer> <text>', description: 'send one message to a peer', takesPeer: true },
  { name: 'chat', aliases: [], usage: '/chat [<peer>]', description: 'enter chat mode with a peer (plain lines go to it); /chat alone leaves it', takesPeer: true },
  { name: 'history', aliases: [], usage: `/history <peer> [n]`, description: `show the last n messages with a peer (default ${DEFAULT_HISTORY_LIMIT}, max ${MAX_HISTORY_LIMIT})`, takesPeer: true },
  { name: 'connect', aliases: [], usage: '/connect <multiaddr>', description: 'dial a peer by address (must end in /p2p/<peer id>)', takesPeer: false },
  { name: 'whoami', aliases: [], usage: '/whoami', description: 'show your nickname, peer id and addresses', takesPeer: false },
  { name: 'help', aliases: [], usage: '/help', description: 'show these commands', takesPeer: false },
  { name: 'quit', aliases: ['exit'], usage: '/quit', description: 'stop the node and exit (also /exit, Ctrl+D)', takesPeer: false }
]

/** `<peer>` may be a nickname, a peer id or a unique peer id prefix */
export const PEER_ARGUMENT_HELP = '<peer> is a nickname, a full peer id or a unique peer id prefix'

const WHITESPACE = /\s+/

/** Finds a command by name or alias (without the slash) */
export function findCommand (name: string): CommandSpec | undefined {
  const lower = name.toLowerCase()
  return COMMANDS.find(c => c.name === lower || c.aliases.includes(lower))
}

/**
 * Parses one REPL line. Leading and trailing white space is ignored, the
 * text of a message keeps its inner white space exactly. `//text` is the
 * literal text `/text`. Throws UnknownCommandError, UsageError,
 * EmptyMessageError or MessageTooLargeError.
 */
export function parseLine (line: string): ReplCommand {
  const input = line.trim()

  if (input === '') {
    return { type: 'none' }
  }

  if (input.startsWith('//')) {
    return { type: 'say', text: validateText(input.slice(1)) }
  }

  if (!input.startsWith('/')) {
    return { type: 'say', text: validateText(input) }
  }

  const match = /^\/(\S*)\s*(.*)$/s.exec(input)
  const name = match?.[1] ?? ''
  const rest = match?.[2] ?? ''
  const spec = findCommand(name)

  if (spec == null) {
    throw new UnknownCommandError(`unknown command '/${name}', type /help for the list`)
  }

  const args = rest === '' ? [] : rest.split(WHITESPACE)
  const usage = (): UsageError => new UsageError(`usage: ${spec.usage}`)

  switch (spec.name) {
    case 'msg': {
      const m = /^(\S+)\s+(.*)$/s.exec(rest)

      if (m?.[1] == null || m[2] == null) {
        throw usage()
      }

      return { type: 'msg', peer: m[1], text: validateText(m[2]) }
    }
    case 'chat': {
      if (args.length > 1) {
        throw usage()
      }

      return args[0] == null ? { type: 'chat' } : { type: 'chat', peer: args[0] }
    }
    case 'history': {
      const [peer, count, ...extra] = args

      if (peer == null || extra.length > 0) {
        throw usage()
      }

      return { type: 'history', peer, limit: count == null ? DEFAULT_HISTORY_LIMIT : parseLimit(count, spec.usage) }
    }
    case 'connect': {
      if (args.length !== 1 || args[0] == null) {
        throw usage()
      }

      return { type: 'connect', multiaddr: args[0] }
    }
    case 'peers':
    case 'whoami':
    case 'help':
    case 'quit': {
      if (args.length > 0) {
        throw usage()
      }

      return { type: spec.name }
    }
  }
}

function parseLimit (value: string, usage: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN

  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_HISTORY_LIMIT) {
    throw new UsageError(`usage: ${usage}: n must be an integer from 1 to ${MAX_HISTORY_LIMIT}`)
  }

  return n
}
