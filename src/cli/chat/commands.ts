/**
 * The REPL's input language: one line in, one ReplCommand out. Pure: no I/O,
 * no node, no state; peer arguments stay as typed (the application API
 * resolves them). Message text is checked by the application's one rule,
 * validateText; a petname by the nickname rule, nicknameProblem; a room's
 * name and key by the rooms' rules, roomNameProblem and roomKeyProblem.
 *
 * A room key is a secret typed in the clear, like a message: no error says
 * it, and keepInHistory keeps the line that holds it out of the prompt's
 * history.
 *
 * A file's path is the rest of the line, as typed; expandPath makes it
 * absolute (`~`, the working directory) where the REPL runs it.
 */
import { isAbsolute, join, resolve } from 'node:path'
import { MIN_TRANSFER_PREFIX, nicknameProblem, roomKeyProblem, roomNameProblem, validateText } from '../../app/index.ts'
import type { Command } from '../../app/index.ts'
import { UsageError } from '../errors.ts'
import { UnknownCommandError } from './errors.ts'

export const DEFAULT_HISTORY_LIMIT = 20
export const MAX_HISTORY_LIMIT = 1000

/** The application's commands a REPL line maps to one to one */
type AppCommand = Extract<Command, { type: 'peers' | 'connect' | 'whoami' | 'requests' | 'accept' | 'decline' | 'block' | 'unblock' | 'name' | 'safety' | 'verify' | 'join' | 'leave' | 'rooms' | 'acceptFile' | 'declineFile' | 'files' }>

/** A parsed REPL line: an application command, or one of the REPL's own */
export type ReplCommand =
  | AppCommand
  /** a blank line: nothing to do */
  | { type: 'none' }
  | { type: 'msg', peer: string, text: string }
  /** enter chat mode with `peer`, or leave it when `peer` is undefined */
  | { type: 'chat', peer?: string }
  /** enter chat mode with a room (`/chat #room`) */
  | { type: 'chatRoom', room: string }
  | { type: 'history', peer: string, limit: number }
  /** `/history #room [n]` */
  | { type: 'roomHistory', room: string, limit: number }
  /** `/room <room> <text>` */
  | { type: 'post', room: string, text: string }
  /** `/send <peer> <path>`: the path as typed (expandPath makes it absolute) */
  | { type: 'sendFile', peer: string, path: string }
  | { type: 'help' }
  | { type: 'quit' }
  /** plain text, for the peer of chat mode */
  | { type: 'say', text: string }

export type CommandName =
  | 'peers' | 'msg' | 'chat' | 'history' | 'connect' | 'whoami'
  | 'requests' | 'accept' | 'decline' | 'block' | 'unblock' | 'name' | 'safety' | 'verify'
  | 'join' | 'leave' | 'rooms' | 'room'
  | 'send' | 'accept-file' | 'decline-file' | 'files'
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
  { name: 'chat', aliases: [], usage: '/chat [<peer> | #<room>]', description: 'enter chat mode with a peer or a room you joined (plain lines go to it); /chat alone leaves it', takesPeer: true },
  { name: 'history', aliases: [], usage: `/history <peer> | #<room> [n]`, description: `show the last n messages with a peer, or of a room (default ${DEFAULT_HISTORY_LIMIT}, max ${MAX_HISTORY_LIMIT})`, takesPeer: true },
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
  { name: 'join', aliases: [], usage: '/join <room> [<key>]', description: 'join a room; the key is the rest of the line, spaces included', takesPeer: false },
  { name: 'leave', aliases: [], usage: '/leave <room>', description: 'leave a room (by its name, #name or id)', takesPeer: false },
  { name: 'rooms', aliases: [], usage: '/rooms', description: 'list your rooms and their members, online or not', takesPeer: false },
  { name: 'room', aliases: [], usage: '/room <room> <text>', description: 'post one message to a room you joined (to each of its members)', takesPeer: false },
  { name: 'send', aliases: [], usage: '/send <peer> <path>', description: 'offer a file to a peer; the path is the rest of the line (~ is your home, relative to where securechat runs)', takesPeer: true },
  { name: 'accept-file', aliases: [], usage: '/accept-file <id>', description: `download a file offered to you into the downloads folder (the start of its id is enough, at least ${MIN_TRANSFER_PREFIX} characters)`, takesPeer: false },
  { name: 'decline-file', aliases: [], usage: '/decline-file <id>', description: 'refuse a file offered to you; the sender is told', takesPeer: false },
  { name: 'files', aliases: [], usage: '/files', description: 'list file transfers, both ways, with their state and progress', takesPeer: false },
  { name: 'help', aliases: [], usage: '/help', description: 'show these commands', takesPeer: false },
  { name: 'quit', aliases: ['exit'], usage: '/quit', description: 'stop the node and exit (also /exit, Ctrl+D)', takesPeer: false }
]

/** What `<peer>` may be, in the order the application API tries (src/app/resolve.ts); one line each */
export const PEER_ARGUMENT_HELP: readonly string[] = [
  '<peer> is the first that matches: a full peer id; your petname for a peer;',
  'a unique start or end of a known peer id (the …short id shown); a contact\'s',
  'nickname; a stranger\'s nickname (never a blocked peer\'s).'
]

/** What /help says of rooms and their keys; one line each */
export const ROOM_ARGUMENT_HELP: readonly string[] = [
  '<room> is one word (no white space; case does not matter, #demo is demo).',
  'Everyone who joins with the same name and key is in one room; with a key it',
  'is another room than without. The key is typed in the clear at the prompt,',
  'like a message: it is never printed, and its line is kept out of the',
  'prompt\'s history. In /chat and /history, an argument that starts with #',
  'is a room (#demo), anything else a peer.'
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

      const target = args[0]

      if (target == null) {
        return { type: 'chat' }
      }

      return isRoom(target) ? { type: 'chatRoom', room: roomName(target, spec.usage) } : { type: 'chat', peer: target }
    }
    case 'history': {
      const [target, count, ...extra] = args

      if (target == null || extra.length > 0) {
        throw usage()
      }

      const limit = count == null ? DEFAULT_HISTORY_LIMIT : parseLimit(count, spec.usage)
      return isRoom(target) ? { type: 'roomHistory', room: roomName(target, spec.usage), limit } : { type: 'history', peer: target, limit }
    }
    case 'room': {
      // the text is the rest of the line, as in /msg
      const m = /^(\S+)\s+(.*)$/s.exec(rest)

      if (m?.[1] == null || m[2] == null) {
        throw usage()
      }

      return { type: 'post', room: roomName(m[1], spec.usage), text: validateText(m[2]) }
    }
    case 'connect': {
      if (args.length !== 1 || args[0] == null) {
        throw usage()
      }

      return { type: 'connect', multiaddr: args[0] }
    }
    case 'send': {
      // the path is the rest of the line, inner white space kept: file names have spaces
      const m = /^(\S+)\s+(.*)$/s.exec(rest)
      const path = unquote(m?.[2] ?? '')

      if (m?.[1] == null || path === '') {
        throw usage()
      }

      return { type: 'sendFile', peer: m[1], path }
    }
    case 'accept-file':
    case 'decline-file': {
      const id = args[0]

      if (args.length !== 1 || id == null) {
        throw usage()
      }

      if (id.length < MIN_TRANSFER_PREFIX || !/^[0-9a-f]+$/i.test(id)) {
        throw new UsageError(`usage: ${spec.usage}: the id is the hex one /files shows, or its first ${MIN_TRANSFER_PREFIX} characters or more`)
      }

      return { type: spec.name === 'accept-file' ? 'acceptFile' : 'declineFile', id }
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
    case 'join': {
      // the key is the rest of the line, inner white space kept exactly: a passphrase may have spaces
      const m = /^(\S+)(?:\s+(.*))?$/s.exec(rest)

      if (m?.[1] == null) {
        throw usage()
      }

      const room = roomName(m[1], spec.usage)
      const key = m[2] ?? ''

      if (key === '') {
        return { type: 'join', room }
      }

      // the problem only (its length), never the key
      const problem = roomKeyProblem(key)

      if (problem != null) {
        throw new UsageError(`usage: ${spec.usage}: the key ${problem}`)
      }

      return { type: 'join', room, key }
    }
    case 'leave': {
      if (args.length !== 1 || args[0] == null) {
        throw usage()
      }

      // a room id passes the name rule too (32 hex characters)
      return { type: 'leave', room: roomName(args[0], spec.usage) }
    }
    case 'peers':
    case 'requests':
    case 'rooms':
    case 'files':
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

/** `'my file.txt'` or `"my file.txt"` is `my file.txt`, as a terminal pastes a dropped file's path */
function unquote (path: string): string {
  const m = /^(['"])(.*)\1$/s.exec(path)
  return m?.[2] ?? path
}

/**
 * A typed path as an absolute one: `~` and `~/...` start at `home`,
 * anything relative at `cwd` (`~user` is not expanded: it is a relative
 * path like any other)
 */
export function expandPath (path: string, where: { home: string, cwd: string }): string {
  const expanded = path === '~' ? where.home : path.startsWith('~/') ? join(where.home, path.slice(2)) : path
  return isAbsolute(expanded) ? resolve(expanded) : resolve(where.cwd, expanded)
}

/**
 * Whether a /chat or /history argument is a room: it starts with `#`. No
 * peer id does; a petname that does is reached by the peer's id instead.
 */
function isRoom (arg: string): boolean {
  return arg.startsWith('#')
}

/** A room argument: `#demo` or `demo`, checked by the rooms' name rule */
function roomName (value: string, usage: string): string {
  const name = value.startsWith('#') ? value.slice(1) : value
  const problem = roomNameProblem(name)

  if (problem != null) {
    throw new UsageError(`usage: ${usage}: the room name ${problem}`)
  }

  return name
}

/**
 * Whether a line typed at the prompt may stay in its history (the up
 * arrow): not a /join with a key, which would keep the key in memory and
 * bring it back on screen.
 */
export function keepInHistory (line: string): boolean {
  const m = /^\s*\/(\S*)\s+\S+\s+\S/s.exec(line)
  return m?.[1] == null || findCommand(m[1])?.name !== 'join'
}

function parseLimit (value: string, usage: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN

  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_HISTORY_LIMIT) {
    throw new UsageError(`usage: ${usage}: n must be an integer from 1 to ${MAX_HISTORY_LIMIT}`)
  }

  return n
}
