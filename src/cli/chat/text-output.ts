/**
 * The renderer for people: nicknames with (short) peer ids, times, ticks for
 * delivered and read, a table of peers, optional colour. Every piece of
 * remote-controlled text goes through sanitize.
 */
import { styleText } from 'node:util'
import { shortId } from '../../app/index.ts'
import { replHelp } from './help.ts'
import { sanitize } from './output.ts'
import type { ChatMessage, PeerView, WhoamiInfo } from '../../app/index.ts'
import type { ErrorInfo } from '../errors.ts'
import type { Sink } from '../terminal.ts'
import type {
  DeliveredEventDetail, MessageEventDetail, Output, PeerEventDetail, ReadEventDetail, RelayEventDetail, SelfInfo, SentEventDetail
} from './output.ts'

export interface TextOutputInit {
  /** colour with util.styleText (decide from isTTY and NO_COLOR) */
  color?: boolean
  /** the nickname of a peer id, if known, for display */
  names?: (peerId: string) => string | undefined
  /** clock, for "today or not" in timestamps; tests pin it */
  now?: () => number
}

type Style = Parameters<typeof styleText>[0]

/** Outgoing texts remembered (bounded) so `delivered` can say what arrived */
const MAX_REMEMBERED = 1000
const PREVIEW_CHARS = 40

export class TextOutput implements Output {
  private readonly sink: Sink
  private readonly color: boolean
  private readonly names: (peerId: string) => string | undefined
  private readonly now: () => number
  private readonly previews = new Map<string, string>()

  constructor (sink: Sink, init: TextOutputInit = {}) {
    this.sink = sink
    this.color = init.color ?? false
    this.names = init.names ?? (() => undefined)
    this.now = init.now ?? Date.now
  }

  private style (format: Style, text: string): string {
    return this.color ? styleText(format, text, { validateStream: false }) : text
  }

  /** `bob`, or the short id of a peer with no known nickname; always safe to print */
  private label (peerId: string, name?: string): string {
    return this.style('bold', sanitize(name ?? this.names(peerId) ?? shortId(peerId)))
  }

  /** `bob (12D3KooW…a1b2c3)`, or just the short id when no nickname is known */
  private labelWithId (peerId: string, name?: string): string {
    const known = name ?? this.names(peerId)
    return known == null
      ? this.style('bold', shortId(peerId))
      : `${this.label(peerId, known)} ${this.style('dim', `(${shortId(peerId)})`)}`
  }

  /**
   * The sender of an incoming message: nickname plus the end of its peer id,
   * so a stranger announcing someone else's nickname never looks like them
   */
  private sender (peerId: string, name?: string): string {
    return `${this.style('cyan', this.label(peerId, name))} ${this.style('dim', `(…${peerId.slice(-6)})`)}`
  }

  private time (ts: number, withDate = false): string {
    return this.style('dim', `[${formatTime(ts, withDate && !sameDay(ts, this.now()))}]`)
  }

  ready (self: SelfInfo): void {
    this.sink.out(`you are ${this.labelWithId(self.peerId, self.name)}`)
    this.addresses(self.addrs)
    this.sink.out(this.style('dim', 'type /help for commands'))
  }

  private addresses (addrs: string[]): void {
    if (addrs.length === 0) {
      this.sink.out('not listening on any address')
      return
    }

    this.sink.out('listening on:')

    for (const addr of addrs) {
      this.sink.out(`  ${sanitize(addr)}`)
    }
  }

  peer (event: PeerEventDetail): void {
    const who = this.labelWithId(event.peerId, event.name)
    const text = event.status === 'connected'
      ? `${who} is online${event.connection != null ? ` (${event.connection})` : ''}`
      : event.status === 'disconnected'
        ? `${who} went offline`
        : `discovered ${who}`

    this.sink.out(this.style('dim', '* ') + text)
  }

  message (event: MessageEventDetail): void {
    this.sink.out(`${this.time(event.ts)} ${this.sender(event.from, event.name)}: ${formatText(event.text)}`)
  }

  pending (message: ChatMessage): void {
    this.remember(message.id, message.text)
    this.sink.out(`${this.time(message.ts)} ${this.label(message.from, message.name)} → ${this.label(message.peer)}: ${formatText(message.text)} ${this.style('dim', '…')}`)
  }

  sent (_event: SentEventDetail): void {
    // on a terminal, the … after a pending message stands until ✓ arrives
  }

  read (event: ReadEventDetail): void {
    this.sink.out(this.style('dim', `✓✓ ${this.label(event.by)} read message ${event.id.slice(0, 8)}`))
  }

  delivered (event: DeliveredEventDetail): void {
    const preview = this.previews.get(event.id)
    this.previews.delete(event.id)
    this.sink.out(`${this.style('green', '✓')} ${this.label(event.to)} received ${preview != null ? `"${sanitize(preview)}"` : `message ${event.id.slice(0, 8)}`}`)
  }

  relay (event: RelayEventDetail): void {
    const text = event.status === 'reserved'
      ? `reachable through relay ${shortId(event.peerId)}`
      : `lost the reservation on relay ${shortId(event.peerId)}, retrying`

    this.sink.out(this.style('dim', '* ') + text)
  }

  history (peer: string, messages: ChatMessage[]): void {
    if (messages.length === 0) {
      this.sink.out(`no messages with ${this.labelWithId(peer)}`)
      return
    }

    this.sink.out(`last ${messages.length} message${messages.length === 1 ? '' : 's'} with ${this.labelWithId(peer)}:`)

    for (const m of messages) {
      const mark = m.direction === 'out'
        ? ` ${m.status === 'read' ? this.style('green', '✓✓') : m.status === 'delivered' ? this.style('green', '✓') : this.style('dim', m.status === 'sent' ? '→' : '…')}`
        : ''
      const who = m.direction === 'in' ? this.sender(m.from, m.name) : this.label(m.from, m.name)
      this.sink.out(`${this.time(m.ts, true)} ${who}: ${formatText(m.text)}${mark}`)
    }
  }

  peers (peers: PeerView[]): void {
    if (peers.length === 0) {
      this.sink.out('no known peers yet (peers on the LAN appear by themselves; or /connect <multiaddr>)')
      return
    }

    const rows = peers.map(p => [
      sanitize(p.name ?? '?'),
      shortId(p.peerId),
      p.online ? `online${p.connection != null ? `, ${p.connection}` : ''}` : 'offline',
      p.rtt != null ? `${p.rtt} ms` : '-',
      p.online ? 'now' : formatTime(p.lastSeen, !sameDay(p.lastSeen, this.now())),
      p.addrs.length === 0 ? '-' : `${sanitize(p.addrs[0] ?? '')}${p.addrs.length > 1 ? ` (+${p.addrs.length - 1})` : ''}`
    ])
    const header = ['NAME', 'PEER', 'STATUS', 'RTT', 'LAST SEEN', 'ADDRESS']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => [...(r[i] ?? '')].length)))
    const format = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)).join('  ')

    this.sink.out(this.style('bold', format(header)))

    for (const r of rows) {
      this.sink.out(format(r))
    }
  }

  whoami (self: WhoamiInfo): void {
    this.sink.out(`${this.label(self.peerId, self.name)}`)
    this.sink.out(`peer id: ${self.peerId}`)
    this.addresses(self.addrs)

    if (self.relays.length > 0) {
      this.sink.out('relays:')

      for (const r of self.relays) {
        const state = r.reserved ? 'reserved' : r.connected ? 'connected, no reservation' : 'not connected'
        this.sink.out(`  ${sanitize(r.addr)} (${state})`)
      }
    }
  }

  connected (peerId: string): void {
    this.sink.out(`connected to ${this.labelWithId(peerId)}`)
  }

  chat (peer: string | undefined): void {
    this.sink.out(peer == null
      ? 'left chat mode'
      : `chatting with ${this.labelWithId(peer)}: plain lines go to them, /chat alone leaves`)
  }

  help (): void {
    for (const line of replHelp().split('\n')) {
      this.sink.out(line)
    }
  }

  error (error: ErrorInfo): void {
    const about = error.peer != null ? ` (${this.label(error.peer)})` : ''
    this.sink.err(`${this.style('red', 'error:')} ${sanitize(error.message)}${about}`)
  }

  private remember (id: string, text: string): void {
    if (this.previews.size >= MAX_REMEMBERED) {
      const oldest = this.previews.keys().next()

      if (oldest.done !== true) {
        this.previews.delete(oldest.value)
      }
    }

    this.previews.set(id, [...text].length > PREVIEW_CHARS ? `${[...text].slice(0, PREVIEW_CHARS - 1).join('')}…` : text)
  }
}

/** Message text: like sanitize, but line breaks continue on an indented line */
function formatText (text: string): string {
  return text.split(/\r\n|[\n\r\u2028\u2029]/).map(sanitize).join('\n    ')
}

function pad (n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function formatTime (ts: number, withDate: boolean): string {
  const d = new Date(ts)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time
}

function sameDay (a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString()
}
