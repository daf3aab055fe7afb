/**
 * The read-eval-print loop. Lines are parsed, run one at a time in order
 * (each awaited) and rendered; a failing line prints one error and the loop
 * goes on. On a TTY: a prompt (`> `, or `bob> ` or `#demo> ` in chat mode), tab
 * completion, and output printed above the prompt. Otherwise: plain lines,
 * no prompt, and end of input ends the loop once every line read has run.
 */
import { homedir } from 'node:os'
import { createInterface } from 'node:readline'
import { shortId } from '../../app/index.ts'
import { toErrorInfo } from '../errors.ts'
import { COMMANDS, expandPath, keepInHistory, parseLine } from './commands.ts'
import { NoActiveChatError } from './errors.ts'
import { sanitize } from './output.ts'
import type { ChatApi, ChatMessage, ContactView, PeerView, RequestView, RoomMessage, RoomView, SafetyView, TransferView, WhoamiInfo } from '../../app/index.ts'
import type { Terminal } from '../terminal.ts'
import type { ReplCommand } from './commands.ts'
import type { PeerDirectory } from './directory.ts'
import type { Output, PendingMessage, PostedMessage, RequestOutcome, TransferAction, TransferResult } from './output.ts'

export interface ReplInit {
  app: ChatApi
  output: Output
  directory: PeerDirectory
  input: NodeJS.ReadableStream
  /** interactive mode: where the prompt goes, and the sink that keeps it below output */
  tty?: { stdout: NodeJS.WritableStream, terminal: Terminal }
}

export interface ReplOptions {
  /** aborts the running command and ends the loop */
  signal?: AbortSignal
  /** Ctrl+C on an empty prompt (a TTY delivers it to readline, not as a process signal) */
  onInterrupt?: () => void
}

/** Why the loop ended */
export type ReplEnd = 'quit' | 'eof' | 'aborted'

/** What the REPL keeps between lines */
interface ReplState {
  /** chat mode, if on: plain lines go to this peer (its id) or room (its name as joined, for the prompt, and its id) */
  chat?: { peer: string } | { room: string, id: string }
}

/** What a line did, for render() to show */
type Result =
  | { type: 'none' }
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'peers', peers: PeerView[] }
  | { type: 'pending', message: PendingMessage }
  /** a message posted to a room */
  | { type: 'posted', message: PostedMessage }
  /** enter chat mode with `peer` (found by a stranger's nickname: `stranger`), or leave it */
  | { type: 'chat', peer?: string, stranger?: boolean }
  /** enter chat mode with a room, by its name as joined and its id */
  | { type: 'chatRoom', room: string, id: string }
  | { type: 'history', peer: string, messages: ChatMessage[] }
  | { type: 'roomHistory', room: string, id: string, messages: RoomMessage[] }
  | { type: 'connected', peerId: string }
  | { type: 'whoami', self: WhoamiInfo }
  | { type: 'requests', requests: RequestView[] }
  | { type: 'accepted', outcome: RequestOutcome }
  | { type: 'declined', outcome: RequestOutcome }
  /** /block, /unblock, /name, /verify: the peer as it is now */
  | { type: 'contact', contact: ContactView }
  | { type: 'safety', safety: SafetyView }
  /** /join, /leave: the room as it is now */
  | { type: 'room', room: RoomView, status: 'joined' | 'left' }
  | { type: 'rooms', rooms: RoomView[] }
  /** /send, /accept-file, /decline-file: the transfer as it is now */
  | { type: 'transfer', transfer: TransferResult, action: TransferAction }
  | { type: 'files', files: TransferView[] }

const PROMPT = '> '
const COMMAND_WORDS = COMMANDS.flatMap(c => [c.name, ...c.aliases]).map(n => `/${n}`)
const PEER_COMMANDS = new Set(COMMANDS.filter(c => c.takesPeer).flatMap(c => [c.name, ...c.aliases]))

export async function runRepl (init: ReplInit, options: ReplOptions = {}): Promise<ReplEnd> {
  const { app, output, directory, input, tty } = init
  const { signal } = options
  const ctx: ReplState = {}

  const rl = createInterface({
    input,
    output: tty?.stdout,
    terminal: tty != null,
    prompt: PROMPT,
    crlfDelay: Infinity,
    historySize: tty != null ? 200 : 0,
    ...(tty != null ? { completer: (line: string) => complete(line, directory) } : {})
  })

  let closed = false
  rl.once('close', () => { closed = true })
  const close = (): void => { if (!closed) rl.close() }
  signal?.addEventListener('abort', close, { once: true })

  // `bob> ` or `#demo> ` in chat mode; the nickname may become known, or change, at any time
  const updatePrompt = (): void => {
    rl.setPrompt(ctx.chat == null ? PROMPT : `${promptLabel(ctx.chat, directory)}> `)
  }

  if (tty != null) {
    // a room's key stays out of the history: readline lets this listener take a line back out
    rl.on('history', (history: string[]) => {
      for (let i = history.length - 1; i >= 0; i--) {
        if (!keepInHistory(history[i] ?? '')) history.splice(i, 1)
      }
    })
    tty.terminal.attach(rl, updatePrompt)
    rl.on('SIGINT', () => {
      if (rl.line !== '') {
        // like a shell: Ctrl+C discards the line being typed
        rl.write(null, { ctrl: true, name: 'e' })
        rl.write(null, { ctrl: true, name: 'u' })
        return
      }

      options.onInterrupt?.()
    })
  }

  // a function, so that TypeScript does not narrow it once and for all
  const aborted = (): boolean => signal?.aborted === true

  const prompt = (): void => {
    if (tty != null && !closed && !aborted()) {
      updatePrompt()
      rl.prompt()
    }
  }

  try {
    if (aborted()) {
      return 'aborted'
    }

    prompt()

    for await (const line of rl) {
      if (aborted()) {
        break
      }

      const result = await run(line)

      if (result != null) {
        await render(result, ctx, output, directory)

        if (result.type === 'quit') {
          return 'quit'
        }
      }

      prompt()
    }

    return aborted() ? 'aborted' : 'eof'
  } catch (err) {
    // readline itself failed (the input stream errored): report, end as at EOF
    output.error(toErrorInfo(err))
    return 'eof'
  } finally {
    signal?.removeEventListener('abort', close)
    close()
  }

  async function run (line: string): Promise<Result | undefined> {
    try {
      return await perform(parseLine(line), app, ctx, signal == null ? {} : { signal })
    } catch (err) {
      if (!aborted()) {
        output.error(toErrorInfo(err))
      }

      return undefined
    }
  }
}

/**
 * Runs one parsed line: what only the REPL knows (chat mode, help, quit)
 * here, everything else as a command of the application API, which also
 * resolves `<peer>` arguments.
 */
async function perform (command: ReplCommand, app: ChatApi, ctx: ReplState, options: { signal?: AbortSignal }): Promise<Result> {
  switch (command.type) {
    case 'none':
    case 'quit':
    case 'help':
      return { type: command.type }
    case 'peers':
      return { type: 'peers', peers: await app.execute({ type: 'peers' }, options) }
    case 'whoami':
      return { type: 'whoami', self: await app.execute({ type: 'whoami' }, options) }
    case 'msg':
      return { type: 'pending', message: await app.execute({ type: 'send', peer: command.peer, text: command.text }, options) }
    case 'post':
      return { type: 'posted', message: await app.execute(command, options) }
    case 'say': {
      const chat = ctx.chat

      if (chat == null) {
        throw new NoActiveChatError()
      }

      // by id: two rooms may share a name (one with a key, one without)
      return 'room' in chat
        ? { type: 'posted', message: await app.execute({ type: 'post', room: chat.id, text: command.text }, options) }
        : { type: 'pending', message: await app.execute({ type: 'send', peer: chat.peer, text: command.text }, options) }
    }
    case 'chat': {
      if (command.peer == null) {
        return { type: 'chat' }
      }

      const { peerId, stranger } = await app.execute({ type: 'resolve', peer: command.peer }, options)
      return stranger ? { type: 'chat', peer: peerId, stranger: true } : { type: 'chat', peer: peerId }
    }
    case 'chatRoom': {
      // the app's answer says whether the room is joined (UnknownRoomError), its name as joined and its id
      const { room, id } = await app.execute({ type: 'roomHistory', room: command.room, limit: 1 }, options)
      return { type: 'chatRoom', room, id }
    }
    case 'history': {
      const { peer, messages } = await app.execute({ type: 'history', peer: command.peer, limit: command.limit }, options)
      return { type: 'history', peer, messages }
    }
    case 'roomHistory': {
      const { room, id, messages } = await app.execute(command, options)
      return { type: 'roomHistory', room, id, messages }
    }
    case 'connect': {
      const { peerId } = await app.execute({ type: 'connect', multiaddr: command.multiaddr }, options)
      return { type: 'connected', peerId }
    }
    case 'requests':
      return { type: 'requests', requests: await app.execute({ type: 'requests' }, options) }
    case 'accept':
      return { type: 'accepted', outcome: await app.execute({ type: 'accept', peer: command.peer }, options) }
    case 'decline':
      return { type: 'declined', outcome: await app.execute({ type: 'decline', peer: command.peer }, options) }
    case 'block':
    case 'unblock':
    case 'verify':
      return { type: 'contact', contact: await app.execute({ type: command.type, peer: command.peer }, options) }
    case 'name':
      return { type: 'contact', contact: await app.execute({ type: 'name', peer: command.peer, petname: command.petname }, options) }
    case 'safety':
      return { type: 'safety', safety: await app.execute({ type: 'safety', peer: command.peer }, options) }
    case 'join':
      return { type: 'room', room: await app.execute(command, options), status: 'joined' }
    case 'leave':
      return { type: 'room', room: await app.execute({ type: 'leave', room: command.room }, options), status: 'left' }
    case 'rooms':
      return { type: 'rooms', rooms: await app.execute({ type: 'rooms' }, options) }
    case 'sendFile': {
      // `~` and relative paths are the user's, where securechat runs
      const path = expandPath(command.path, { home: homedir(), cwd: process.cwd() })
      return { type: 'transfer', transfer: await app.execute({ type: 'sendFile', peer: command.peer, path }, options), action: 'send' }
    }
    case 'acceptFile':
      return { type: 'transfer', transfer: await app.execute(command, options), action: 'accept' }
    case 'declineFile':
      return { type: 'transfer', transfer: await app.execute(command, options), action: 'decline' }
    case 'files':
      return { type: 'files', files: await app.execute({ type: 'files' }, options) }
  }
}

/** Shows a result, and applies what it changes in the REPL's state */
async function render (result: Result, ctx: ReplState, output: Output, directory: PeerDirectory): Promise<void> {
  switch (result.type) {
    case 'none':
    case 'quit':
      return
    case 'help':
      output.help()
      return
    case 'peers':
      directory.replace(result.peers)
      output.peers(result.peers)
      return
    case 'pending':
      output.pending(result.message)
      return
    case 'posted':
      output.posted(result.message)
      return
    case 'chat':
      ctx.chat = result.peer == null ? undefined : { peer: result.peer }
      output.chat(result.peer, result.stranger === true)
      return
    case 'chatRoom':
      ctx.chat = { room: result.room, id: result.id }
      output.chatRoom(result.room, result.id)
      return
    case 'history':
      output.history(result.peer, result.messages)
      return
    case 'roomHistory':
      output.roomHistory(result.room, result.id, result.messages)
      return
    case 'connected':
      directory.see(result.peerId)
      output.connected(result.peerId)
      return
    case 'whoami':
      output.whoami(result.self)
      return
    case 'requests':
      for (const r of result.requests) {
        directory.see(r.peerId, r.name)
      }
      output.requests(result.requests)
      return
    case 'accepted':
      directory.relate(result.outcome.peerId, 'contact')
      output.accepted(result.outcome)
      return
    case 'declined':
      directory.relate(result.outcome.peerId, 'stranger')
      output.declined(result.outcome)
      return
    case 'contact':
      directory.onContact(result.contact)
      output.contact(result.contact, 'command')
      return
    case 'safety':
      await output.safety(result.safety)
      return
    case 'room':
      output.room({ room: result.room.name, id: result.room.id, status: result.status }, 'command', result.status === 'joined' && !result.room.hasKey)

      // the room of chat mode left: plain lines have nowhere to go
      if (result.status === 'left' && ctx.chat != null && 'room' in ctx.chat && ctx.chat.id === result.room.id) {
        ctx.chat = undefined
        output.chat(undefined)
      }
      return
    case 'rooms':
      for (const m of result.rooms.flatMap(r => r.members)) {
        directory.see(m.peerId, m.name)
      }
      output.rooms(result.rooms)
      return
    case 'transfer':
      directory.see(result.transfer.peer)
      output.transfer(result.transfer, result.action)
      return
    case 'files':
      output.files(result.files)
  }
}

function promptLabel (chat: NonNullable<ReplState['chat']>, directory: PeerDirectory): string {
  return sanitize('room' in chat ? `#${chat.room}` : directory.name(chat.peer) ?? shortId(chat.peer))
}

/**
 * Tab completion: command names after a leading slash; petnames, nicknames
 * (those without white space, which could not be typed as one argument; not
 * a blocked peer's, which resolution ignores) and peer ids after a command
 * that takes a peer.
 */
export function complete (line: string, directory: PeerDirectory): [string[], string] {
  if (/^\/\S*$/.test(line)) {
    const hits = COMMAND_WORDS.filter(w => w.startsWith(line.toLowerCase()))
    return [hits.length === 1 ? [`${hits[0]} `] : hits, line]
  }

  const m = /^\/(\S+)\s+(\S*)$/.exec(line)

  if (m?.[1] != null && m[2] != null && PEER_COMMANDS.has(m[1].toLowerCase())) {
    const partial = m[2]
    const words = new Set<string>()

    const typable = (name: string | undefined): name is string => name != null && name !== '' && !/[\s\p{Cc}]/u.test(name)

    for (const p of directory.list()) {
      if (typable(p.petname)) {
        words.add(p.petname)
      }

      if (typable(p.name) && p.relation !== 'blocked') {
        words.add(p.name)
      }

      words.add(p.peerId)
    }

    const hits = [...words].filter(w => w.startsWith(partial)).sort()
    return [hits.length === 1 ? [`${hits[0]} `] : hits, partial]
  }

  return [[], line]
}
