/**
 * A ChatNode without a network: it records calls, keeps sent messages as
 * history, and lets tests fire node events and fail or stall any method.
 */
import { randomBytes } from 'node:crypto'
import { TypedEventEmitter } from '@libp2p/interface'
import { EmptyMessageError, InvalidMultiaddrError, NodeStoppedError } from '../../src/errors.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { ChatMessage, ChatNode, ChatNodeEvents, HistoryOptions, PeerView, RelayView, SendOptions } from '../../src/types.ts'

export function peerView (peerId: string, name?: string, online = false): PeerView {
  return { peerId, name, online, addrs: [], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000 }
}

export interface StubNodeInit {
  peerId: string
  name?: string
  peers?: PeerView[]
}

export class StubNode extends TypedEventEmitter<ChatNodeEvents> implements ChatNode {
  readonly peerId: string
  readonly name: string
  knownPeers: PeerView[]
  knownRelays: RelayView[] = []
  readonly sent: ChatMessage[] = []
  readonly calls: string[] = []
  stopped = false
  /** replace to make a method fail or hang */
  failNext?: Error
  /** awaited at the start of every method except stop(): delay or stall calls */
  gate?: (call: string, options: AbortOptions) => Promise<void>
  /** stop() waits for this */
  stopGate: Promise<void> = Promise.resolve()
  /** commands running right now, and the most at once */
  running = 0
  maxRunning = 0

  constructor (init: StubNodeInit) {
    super()
    this.peerId = init.peerId
    this.name = init.name ?? 'me'
    this.knownPeers = init.peers ?? []
  }

  addrs (): string[] {
    return [`/ip4/127.0.0.1/tcp/4001/p2p/${this.peerId}`]
  }

  relays (): RelayView[] {
    return this.knownRelays.map(r => ({ ...r }))
  }

  private async enter (call: string, options: AbortOptions = {}): Promise<void> {
    this.calls.push(call)
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)

    try {
      await this.gate?.(call, options)
    } finally {
      this.running--
    }

    options.signal?.throwIfAborted()

    if (this.stopped) {
      throw new NodeStoppedError()
    }

    const err = this.failNext

    if (err != null) {
      this.failNext = undefined
      throw err
    }
  }

  async send (peer: string, text: string, options: SendOptions = {}): Promise<ChatMessage> {
    await this.enter(`send ${peer} ${text}`, options)

    if (text.trim() === '') {
      throw new EmptyMessageError()
    }

    const message: ChatMessage = {
      id: randomBytes(16).toString('hex'),
      peer,
      direction: 'out',
      from: this.peerId,
      name: this.name,
      text,
      ts: Date.now(),
      status: 'pending'
    }
    this.sent.push(message)
    return { ...message }
  }

  /** read receipts the session asked for, as `peer id` */
  readonly marked: string[] = []

  markRead (peer: string, ids: string[]): void {
    for (const id of ids) this.marked.push(`${peer} ${id}`)
  }

  async history (peer: string, options: HistoryOptions = {}): Promise<ChatMessage[]> {
    await this.enter(`history ${peer} ${options.limit}`, options)
    return this.sent.filter(m => m.peer === peer).slice(-(options.limit ?? 50))
  }

  async peers (options: AbortOptions = {}): Promise<PeerView[]> {
    await this.enter('peers', options)
    return this.knownPeers.map(p => ({ ...p }))
  }

  async connect (multiaddr: string, options: AbortOptions = {}): Promise<string> {
    await this.enter(`connect ${multiaddr}`, options)
    const peer = /\/p2p\/([^/]+)$/.exec(multiaddr)?.[1]

    if (peer == null) {
      throw new InvalidMultiaddrError('multiaddr must end in /p2p/<peer id>')
    }

    return peer
  }

  async stop (): Promise<void> {
    this.calls.push('stop')
    this.stopped = true
    await this.stopGate
  }
}
