/**
 * The application API over a running ChatNode: checks each command's shape
 * (a face may be a web page), resolves `<peer>` arguments the same way for
 * every face, runs the command and passes the node's events on.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { CHAT_EVENT_TYPES } from './api.ts'
import { COMMAND_TYPES } from './commands.ts'
import { InvalidCommandError } from './errors.ts'
import { InvalidNameError } from '../errors.ts'
import { nicknameProblem } from '../protocol/nickname.ts'
import { resolvePeer, resolvePeerId } from './resolve.ts'
import { resolveTransfer } from './transfers.ts'
import { InvalidRoomKeyError, InvalidRoomNameError, UnknownRoomError } from '../rooms/errors.ts'
import { canonicalRoomName, roomKeyProblem, roomNameProblem } from '../rooms/room-keys.ts'
import { validateText } from '../protocol/text.ts'
import type { ChatApi, ChatEvents } from './api.ts'
import type { Command, CommandResults, ResultOf } from './commands.ts'
import type { Resolved } from './resolve.ts'
import type { ChatNode, RoomView } from '../types.ts'
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
    // a full peer id is looked up in memory: no peer-book scan per message shown or sent
    const resolve = async (peer: string): Promise<Resolved> => resolvePeerId(peer, id => node.contact(id).relation) ?? resolvePeer(peer, await node.peers(options))
    const peerOf = async (peer: string): Promise<string> => (await resolve(peer)).peerId

    switch (command.type) {
      case 'send': {
        // the one text rule, whatever node is underneath (the node applies it too)
        validateText(command.text)
        const to = await resolve(command.peer)
        const message = await node.send(to.peerId, command.text, options)
        return to.stranger ? { ...message, stranger: true } : message
      }
      case 'history': {
        const peer = await peerOf(command.peer)
        return { peer, messages: await node.history(peer, { ...options, limit: command.limit }) }
      }
      case 'peers':
        return node.peers(options)
      case 'connect':
        return { peerId: await node.connect(command.multiaddr, options) }
      case 'whoami':
        return { peerId: node.peerId, name: node.name, addrs: node.addrs(), relays: node.relays() }
      case 'markRead': {
        const peer = await peerOf(command.peer)
        node.markRead(peer, command.ids)
        return { peer, ids: command.ids }
      }
      case 'resolve':
        return resolve(command.peer)
      case 'requests':
        return node.requests(options)
      case 'accept': {
        const peerId = await peerOf(command.peer)
        return { peerId, messages: await node.accept(peerId, options) }
      }
      case 'decline': {
        const peerId = await peerOf(command.peer)
        return { peerId, messages: await node.decline(peerId, options) }
      }
      case 'block':
        return node.block(await peerOf(command.peer), options)
      case 'unblock':
        return node.unblock(await peerOf(command.peer), options)
      case 'name': {
        if (command.petname != null) {
          const problem = nicknameProblem(command.petname)
          if (problem != null) throw new InvalidNameError(`petname ${problem}`)
        }
        return node.setPetname(await peerOf(command.peer), command.petname, options)
      }
      case 'safety':
        return node.safety(await peerOf(command.peer), options)
      case 'verify':
        return node.verify(await peerOf(command.peer), options)
      case 'join': {
        // the room rules, whatever node is underneath (the node applies them too),
        // before the node spends half a second on the room's KDF
        const nameProblem = roomNameProblem(command.room)
        if (nameProblem != null) throw new InvalidRoomNameError(`room name ${nameProblem}`)
        // the problem only, never the key
        const keyProblem = command.key === undefined ? undefined : roomKeyProblem(command.key)
        if (keyProblem != null) throw new InvalidRoomKeyError(`room key ${keyProblem}`)
        return node.join(command.room, command.key, options)
      }
      case 'leave':
        return node.leave(command.room, options)
      case 'rooms':
        return node.rooms(options)
      case 'post':
        // the one text rule, whatever node is underneath (the node applies it too)
        validateText(command.text)
        return node.post(roomArgument(command.room), command.text, options)
      case 'roomHistory': {
        const room = roomArgument(command.room)
        // the node says whether the room is joined (UnknownRoomError), then which it is: a message's conversation, else the room as the node finds it
        const messages = await node.roomHistory(room, { ...options, limit: command.limit })
        const rooms = await node.rooms(options)
        const last = messages.at(-1)
        const view = last == null ? findRoom(rooms, room) : rooms.find(r => `#${r.id}` === last.peer)

        if (view != null) {
          return { room: view.name, id: view.id, messages }
        }

        if (last == null) {
          // left between the two reads
          throw new UnknownRoomError(`not in room '${room}'`)
        }

        return { room: last.room, id: last.peer.slice(1), messages }
      }
      case 'sendFile': {
        const to = await resolve(command.peer)
        const transfer = await node.sendFile(to.peerId, command.path, options)
        return to.stranger ? { ...transfer, stranger: true } : transfer
      }
      case 'acceptFile':
        return node.acceptFile(resolveTransfer(command.id, await node.files(options)).id, options)
      case 'declineFile':
        return node.declineFile(resolveTransfer(command.id, await node.files(options)).id, options)
      case 'files':
        return node.files(options)
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
  resolve: ['peer'],
  accept: ['peer'],
  decline: ['peer'],
  block: ['peer'],
  unblock: ['peer'],
  name: ['peer'],
  safety: ['peer'],
  verify: ['peer'],
  join: ['room'],
  leave: ['room'],
  post: ['room', 'text'],
  roomHistory: ['room'],
  sendFile: ['peer', 'path'],
  acceptFile: ['id'],
  declineFile: ['id']
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

  if ((type === 'history' || type === 'roomHistory') && c.limit !== undefined && (!Number.isSafeInteger(c.limit) || (c.limit as number) < 1)) {
    throw new InvalidCommandError(`${type}: limit must be a positive integer`)
  }

  if (type === 'name' && c.petname !== null && typeof c.petname !== 'string') {
    throw new InvalidCommandError('name: petname must be a string or null')
  }

  if (type === 'join' && c.key !== undefined && typeof c.key !== 'string') {
    throw new InvalidCommandError('join: key must be a string')
  }

  if (type === 'sendFile' && c.path === '') {
    throw new InvalidCommandError('sendFile: path must not be empty')
  }

  if (type === 'markRead' && (!Array.isArray(c.ids) || !c.ids.every(id => typeof id === 'string'))) {
    throw new InvalidCommandError('markRead: ids must be an array of strings')
  }
}

/** A `room` field as the node takes it: `#demo` is `demo` (no room name starts with `#`, roomNameProblem) */
function roomArgument (room: string): string {
  return room.startsWith('#') ? room.slice(1) : room
}

/**
 * A joined room by id, or by its name in any case, as the node finds it:
 * of two rooms with one name (one with a key, one without) the one joined
 * first, which comes first in `rooms` too (sorted by name, stably)
 */
function findRoom (rooms: readonly RoomView[], room: string): RoomView | undefined {
  const canonical = canonicalRoomName(room)
  return rooms.find(r => r.id === room) ?? rooms.find(r => canonicalRoomName(r.name) === canonical)
}

/** The application API over a started node; stopping the API stops the node */
export function chatApp (node: ChatNode): ChatApi {
  return new ChatApp(node)
}
