/**
 * The application API over a running ChatNode: checks each command's shape
 * (a face may be a web page), resolves `<peer>` arguments the same way for
 * every face, runs the command and passes the node's events on.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { CHAT_EVENT_TYPES } from './api.ts'
import { COMMAND_TYPES } from './commands.ts'
import { InvalidCommandError } from './errors.ts'
import { resolvePeer } from './resolve.ts'
import { validateText } from '../protocol/text.ts'
import type { ChatApi, ChatEvents } from './api.ts'
import type { Command, CommandResults, ResultOf } from './commands.ts'
import type { ChatNode } from '../types.ts'
import type { AbortOptions } from '@libp2p/interface'

class ChatApp extends TypedEventEmitter<ChatEvents> implements ChatApi {
  private readonly node: ChatNode
  private readonly unsubscribe: () => void

  constructor (node: ChatNode) {
    super()
    this.node = node
    const forward = (evt: Event): void => {
      this.safeDispatchEvent(evt.type as keyof ChatEvents, { detail: (evt as CustomEvent<unknown>).detail })
    }

    for (const type of CHAT_EVENT_TYPES) {
      node.addEventListener(type, forward)
    }

    this.unsubscribe = () => {
      for (const type of CHAT_EVENT_TYPES) {
        node.removeEventListener(type, forward)
      }
    }
  }

  get peerId (): string {
    return this.node.peerId
  }

  get name (): string {
    return this.node.name
  }

  async execute<C extends Command>(command: C, options: AbortOptions = {}): Promise<ResultOf<C>> {
    checkCommand(command)
    options.signal?.throwIfAborted()
    return await this.run(command, options) as ResultOf<C>
  }

  private async run (command: Command, options: AbortOptions): Promise<CommandResults[Command['type']]> {
    const node = this.node
    const resolve = async (peer: string): Promise<string> => resolvePeer(peer, await node.peers(options))

    switch (command.type) {
      case 'send':
        // the one text rule, whatever node is underneath (the node applies it too)
        validateText(command.text)
        return node.send(await resolve(command.peer), command.text, options)
      case 'history': {
        const peer = await resolve(command.peer)
        return { peer, messages: await node.history(peer, { ...options, limit: command.limit }) }
      }
      case 'peers':
        return node.peers(options)
      case 'connect':
        return { peerId: await node.connect(command.multiaddr, options) }
      case 'whoami':
        return { peerId: node.peerId, name: node.name, addrs: node.addrs(), relays: node.relays() }
      case 'markRead': {
        const peer = await resolve(command.peer)
        node.markRead(peer, command.ids)
        return { peer, ids: command.ids }
      }
      case 'resolve':
        return { peerId: await resolve(command.peer) }
    }
  }

  async stop (): Promise<void> {
    try {
      await this.node.stop()
    } finally {
      this.unsubscribe()
    }
  }
}

const STRING_FIELDS: Partial<Record<Command['type'], string[]>> = {
  send: ['peer', 'text'],
  history: ['peer'],
  connect: ['multiaddr'],
  markRead: ['peer'],
  resolve: ['peer']
}

/** Throws InvalidCommandError unless `command` has a known type and fields of the right types */
function checkCommand (command: unknown): asserts command is Command {
  if (typeof command !== 'object' || command == null) {
    throw new InvalidCommandError('a command is an object with a type')
  }

  const c = command as Record<string, unknown>
  const type = c.type

  if (typeof type !== 'string' || !(COMMAND_TYPES as readonly string[]).includes(type)) {
    throw new InvalidCommandError(`unknown command type: ${String(type).slice(0, 32)}`)
  }

  for (const field of STRING_FIELDS[type as Command['type']] ?? []) {
    if (typeof c[field] !== 'string') {
      throw new InvalidCommandError(`${type}: ${field} must be a string`)
    }
  }

  if (type === 'history' && c.limit !== undefined && (!Number.isSafeInteger(c.limit) || (c.limit as number) < 1)) {
    throw new InvalidCommandError('history: limit must be a positive integer')
  }

  if (type === 'markRead' && (!Array.isArray(c.ids) || !c.ids.every(id => typeof id === 'string'))) {
    throw new InvalidCommandError('markRead: ids must be an array of strings')
  }
}

/** The application API over a started node; stopping the API stops the node */
export function chatApp (node: ChatNode): ChatApi {
  return new ChatApp(node)
}
