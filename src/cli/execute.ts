/**
 * Runs one parsed REPL command against a ChatNode and returns data; the REPL
 * hands that to an Output to render, as text or JSON.
 */
import { NoActiveChatError } from './errors.ts'
import { resolvePeer } from './resolve.ts'
import type { Command } from './commands.ts'
import type { WhoamiInfo } from './output.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { ChatMessage, ChatNode, PeerView } from '../types.ts'

export interface CommandContext {
  node: ChatNode
  /** peer id of chat mode, if on */
  chatPeer?: string
}

export type Result =
  | { type: 'none' }
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'peers', peers: PeerView[] }
  | { type: 'pending', message: ChatMessage }
  /** enter chat mode with `peer`, or leave it */
  | { type: 'chat', peer?: string }
  | { type: 'history', peer: string, messages: ChatMessage[] }
  | { type: 'connected', peerId: string }
  | { type: 'whoami', self: WhoamiInfo }

export async function execute (command: Command, ctx: CommandContext, options: AbortOptions = {}): Promise<Result> {
  const { node } = ctx
  const resolve = async (peer: string): Promise<string> => resolvePeer(peer, await node.peers(options))

  switch (command.type) {
    case 'none':
    case 'quit':
    case 'help':
      return { type: command.type }
    case 'peers':
      return { type: 'peers', peers: await node.peers(options) }
    case 'whoami':
      return { type: 'whoami', self: { peerId: node.peerId, name: node.name, addrs: node.addrs(), relays: node.relays() } }
    case 'msg': {
      const peer = await resolve(command.peer)
      return { type: 'pending', message: await node.send(peer, command.text, options) }
    }
    case 'say': {
      if (ctx.chatPeer == null) {
        throw new NoActiveChatError()
      }

      return { type: 'pending', message: await node.send(ctx.chatPeer, command.text, options) }
    }
    case 'chat':
      return command.peer == null ? { type: 'chat' } : { type: 'chat', peer: await resolve(command.peer) }
    case 'history': {
      const peer = await resolve(command.peer)
      return { type: 'history', peer, messages: await node.history(peer, { ...options, limit: command.limit }) }
    }
    case 'connect':
      return { type: 'connected', peerId: await node.connect(command.multiaddr, options) }
  }
}
