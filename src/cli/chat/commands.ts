/**
 * The REPL's input language: one line in, one ReplCommand out. Pure: no I/O,
 * no node, no state; peer arguments stay as typed (the application API
 * resolves them). Message text is checked by the application's one rule,
 * validateText; a petname by the nickname rule, nicknameProblem.
 */
import { nicknameProblem, validateText } from '../../app/index.ts'
import type { Command } from '../../app/index.ts'
import { UsageError } from '../errors.ts'
import { UnknownCommandError } from './errors.ts'

export const DEFAULT_HISTORY_LIMIT = 20
export const MAX_HISTORY_LIMIT = 1000

/** The application's commands a REPL line maps to one to one */
type AppCommand = Extract<Command, { type: 'peers' | 'connect' | 'whoami' | 'requests' | 'accept' | 'decline' | 'block' | 'unblock' | 'name' | 'safety' | 'verify' }>

/** A parsed REPL line: an application command, or one of the REPL's own */
export type ReplCommand =
  | AppCommand
  /** a blank line: nothing to do */
  | { type: 'none' }
  | { type: 'msg', peer: string, text: string }
  /** enter chat mode with `peer`, or leave it when `peer` is undefined */
  | { type: 'chat', peer?: string }
  | { type: 'history', peer: string, limit: number }
  | { type: 'help' }
  | { type: 'quit' }
  /** plain text, for the peer of chat mode */
  | { type: 'say', text: string }

export type CommandName =
  | 'peers' | 'msg' | 'chat' | 'history' | 'connect' | 'whoami'
  | 'requests' | 'accept' | 'decline' | 'block' | 'unblock' | 'name' | 'safety' | 'verify'
  | 'help' | 'quit'

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
  { name: 'requests', aliases: [], usage: '/requests', description: 'list message requests: messages held from peers who are not contacts', takesPeer: false },
  { name: 'accept', aliases: [], usage: '/accept <peer>', description: 'accept a message request: the peer becomes a contact, its messages history', takesPeer: true },
  { name: 'decline', aliases: [], usage: '/decline <peer>', description: 'drop the messages a peer sent as a request', takesPeer: true },
  { name: 'block', aliases: [], usage: '/block <peer>', description: 'refuse a peer\'s connections and store nothing it sends', takesPeer: true },
  { name: 'unblock', aliases: [], usage: '/unblock <peer>', description: 'undo /block', takesPeer: true },
  { name: 'name', aliases: [], usage: '/name <peer> [<petname>]', description: 'give a peer your own name for it (it wins over its nickname); no petname removes it', takesPeer: true },
  { name: 'safety', aliases: [], usage: '/safety <peer>', description: 'show the safety number (and its QR code) to compare with the peer', takesPeer: true },
  { name: 'verify', aliases: [], usage: '/verify <peer>', description: 'mark a peer verified once your safety numbers matched', takesPeer: true },
  { name: 'help', aliases: [], usage: '/help', description: 'show these commands', takesPeer: false },
  { name: 'quit', aliases: ['exit'], usage: '/quit', description: 'stop the node and exit (also /exit, Ctrl+D)', takesPeer: false }
]

/** What `<peer>` may be, in the order the application API tries (src/app/resolve.ts); one line each */
export const PEER_ARGUMENT_HELP: readonly string[] = [
  '<peer> is the first that matches: a full peer id; your petname for a peer;',
  'a unique start or end of a known peer id (the …short id shown); a contact\'s',
  'nickname; a stranger\'s nickname (never a blocked peer\'s).'
]

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
    case 'accept':
    case 'decline':
    case 'block':
    case 'unblock':
    case 'safety':
    case 'verify': {
      if (args.length !== 1 || args[0] == null) {
        throw usage()
      }

      return { type: spec.name, peer: args[0] }
    }
    case 'name': {
      // the petname is the rest of the line, inner white space kept, as a nickname may have it
      const m = /^(\S+)(?:\s+(.*))?$/s.exec(rest)

      if (m?.[1] == null) {
        throw usage()
      }

      const petname = m[2] ?? ''

      if (petname === '') {
        return { type: 'name', peer: m[1], petname: null }
      }

      const problem = nicknameProblem(petname)

      if (problem != null) {
        throw new UsageError(`usage: ${spec.usage}: the petname ${problem}`)
      }

      return { type: 'name', peer: m[1], petname }
    }
    case 'peers':
    case 'requests':
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
