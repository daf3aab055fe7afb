/**
 * The renderer for people: names with short peer ids, relations and the
 * verified mark, times, ticks for delivered and read, a table of peers,
 * safety numbers with a QR code, optional colour. Every piece of
 * remote-controlled text goes through sanitize (petnames too: they are the
 * user's, but they are printed the same way).
 *
 * A message is laid out in rows (wrap.ts): the first starts with the time
 * and the sender (a room's message with the room before them), every other
 * one with a gutter, so each row on screen says whose message it belongs
 * to. Presence lines of strangers are rationed (a few every
 * STRANGER_WINDOW_MS, then one line that counts the rest): a peer that
 * makes up fresh identities would otherwise fill the screen.
 *
 * File transfers: an offer says who offers what and how to answer it;
 * progress is a bar per transfer on a terminal, a line every 10 %
 * otherwise (progress.ts); the end says where the file landed, or why not.
 * A file name is the sender's choice: sanitized, quoted, and never first.
 */
import { stripVTControlCharacters, styleText } from 'node:util'
import { toString as qrText } from 'qrcode'
import { formatSafetyNumber, scannableSafetyPayload, shortId } from '../../app/index.ts'
import { replHelp } from './help.ts'
import { sanitize, sanitizeLines } from './output.ts'
import { BarDisplay, LineDisplay, formatBytes } from './progress.ts'
import { layoutRows } from './wrap.ts'
import type { ChatMessage, ContactView, Direction, PeerRelation, PeerView, RequestView, RoomEvent, RoomMessage, RoomView, SafetyView, TransferView, WhoamiInfo } from '../../app/index.ts'
import type { ErrorInfo } from '../errors.ts'
import type { Sink } from '../terminal.ts'
import type { KnownPeer } from './directory.ts'
import type {
  ContactOrigin, DeliveredEventDetail, FileEventDetail, MessageEventDetail, OfferEventDetail, OfferedEventDetail, Output, PeerEventDetail, PendingMessage, PostedMessage, ProgressEventDetail,
  ReadEventDetail, RelayEventDetail, RequestOutcome, RoomOrigin, SelfInfo, SentEventDetail, TransferAction, TransferResult
} from './output.ts'
import type { ProgressDisplay } from './progress.ts'

export interface TextOutputInit {
  /** colour with util.styleText (decide from isTTY and NO_COLOR) */
  color?: boolean
  /** what the REPL knows of a peer id (petname, nickname, relation, verified), for display */
  peers?: (peerId: string) => KnownPeer | undefined
  /** draw safety numbers as QR codes too: only on a terminal */
  qr?: boolean
  /** clock, for "today or not" in timestamps and the rationing of strangers' presence lines; tests pin it */
  now?: () => number
  /**
   * the terminal's width in columns, asked before each message (it may be
   * resized); undefined: unknown, long lines are left to the terminal
   * @default process.stdout.columns when stdout is a terminal (the sink writes there)
   */
  columns?: () => number | undefined
  /**
   * runs `fn` in `ms` (the count of the strangers' presence lines left out
   * is printed when their window ends); tests drive it by hand
   * @default an unref'd setTimeout
   */
  schedule?: (fn: () => void, ms: number) => void
  /**
   * draws rows between the output and the prompt (the Terminal's footer):
   * given, transfers under way are progress bars there; not given (no
   * terminal), a progress line every 10 %
   */
  footer?: (rows: string[]) => void
}

/** What the renderer knows of a transfer, to name it in its progress and end */
interface KnownTransfer {
  peer: string
  direction: Direction
  name: string
  size: number
}

type Style = Parameters<typeof styleText>[0]

/** Outgoing texts (and room posts' members) remembered, each bounded, so `delivered` can say what arrived */
const MAX_REMEMBERED = 1000
const PREVIEW_CHARS = 40
/** A transfer's path line again, after its first change, at most this often */
const PATH_LINE_INTERVAL_MS = 10_000

/** What starts the second and further rows of a message: no message text can start a row */
const GUTTER = '  │ '

/**
 * Presence lines (online, offline, discovered) of peers that are neither
 * contacts nor named by the user: at most STRANGER_LINES a window of
 * STRANGER_WINDOW_MS, then one line at its end with how many more there were
 */
const STRANGER_LINES = 5
const STRANGER_WINDOW_MS = 10_000
/** Peers told apart in the count of one window; beyond, every event counts as a new peer */
const MAX_COUNTED_STRANGERS = 10_000

/** A post to a room, as its `delivered` lines need it */
interface RoomPost {
  preview: string
  /** the members it was queued for */
  to: ReadonlySet<string>
  /** the members that have it */
  delivered: Set<string>
}

interface StrangerWindow {
  start: number
  shown: number
  /** the strangers whose lines were left out */
  hidden: Set<string>
  /** left-out lines beyond MAX_COUNTED_STRANGERS */
  more: number
}

const RELATION_TEXT: Record<PeerRelation, string> = {
  contact: 'a contact',
  request: 'a stranger whose messages are held as a request (/accept or /decline)',
  stranger: 'a stranger',
  blocked: 'blocked: it cannot connect and nothing it sends is stored'
}

export class TextOutput implements Output {
  private readonly sink: Sink
  private readonly color: boolean
  private readonly known: (peerId: string) => KnownPeer | undefined
  private readonly qr: boolean
  private readonly now: () => number
  private readonly columns: () => number | undefined
  private readonly schedule: (fn: () => void, ms: number) => void
  private strangers?: StrangerWindow
  private readonly previews = new Map<string, string>()
  private readonly posts = new Map<string, RoomPost>()
  private readonly transfers = new Map<string, KnownTransfer>()
  /** the path each transfer under way takes, so that a change of it is said once */
  private readonly paths = new Map<string, { via: 'direct' | 'relay', at: number, changes: number }>()
  private readonly progressDisplay: ProgressDisplay
  /** the transfer whose `declined` line was printed last, if nothing was printed since: /decline-file need not repeat it */
  private lastDeclined?: string
  /** the contact event line printed last, if nothing was printed since: the command that caused it need not repeat it */
  private lastContactEvent?: string
  /** the room line printed last and where it came from, if nothing was printed since: its twin from the other origin need not repeat it */
  private lastRoomLine?: { line: string, origin: RoomOrigin }

  constructor (sink: Sink, init: TextOutputInit = {}) {
    this.sink = sink
    this.color = init.color ?? false
    this.known = init.peers ?? (() => undefined)
    this.qr = init.qr ?? false
    this.now = init.now ?? Date.now
    this.columns = init.columns ?? (() => process.stdout.isTTY ? process.stdout.columns : undefined)
    this.schedule = init.schedule ?? ((fn, ms) => { setTimeout(fn, ms).unref() })
    const footer = init.footer
    this.progressDisplay = footer != null
      ? new BarDisplay({ footer, columns: this.columns })
      : new LineDisplay(line => { this.out(this.style('dim', line)) })
  }

  private out (line: string): void {
    this.lastContactEvent = undefined
    this.lastRoomLine = undefined
    this.lastDeclined = undefined
    this.sink.out(line)
  }

  private style (format: Style, text: string): string {
    return this.color ? styleText(format, text, { validateStream: false }) : text
  }

  /**
   * `bob`: the user's petname for the peer, else the nickname given (what a
   * message or handshake announced), else the last one known, else the
   * short id; always safe to print
   */
  private label (peerId: string, name?: string): string {
    const known = this.known(peerId)
    return this.style('bold', sanitize(known?.petname ?? name ?? known?.name ?? shortId(peerId)))
  }

  /** `bob (…a1b2c3d4e5f6)`, or just the short id when no name is known */
  private labelWithId (peerId: string, name?: string, notes: string[] = []): string {
    const known = this.known(peerId)
    const id = [shortId(peerId), ...notes].join(', ')
    return known?.petname == null && name == null && known?.name == null
      ? this.style('bold', id)
      : `${this.label(peerId, name)} ${this.style('dim', `(${id})`)}`
  }

  /**
   * The sender of an incoming message: petname or nickname plus the end of
   * its peer id, so a stranger announcing someone else's nickname never
   * looks like them; `[request]` before a stranger's held message, ✓ after
   * the id of a verified peer. The marks are outside the name, which the
   * peer chooses, and the id comes last: a nickname cannot fake them.
   */
  private sender (peerId: string, name?: string, request = false): string {
    const verified = this.known(peerId)?.verified === true ? ` ${this.style('green', '✓')}` : ''
    const mark = request ? `${this.style('yellow', '[request]')} ` : ''
    return `${mark}${this.style('cyan', this.label(peerId, name))} ${this.style('dim', `(${shortId(peerId)}`)}${verified}${this.style('dim', ')')}`
  }

  private time (ts: number, withDate = false): string {
    return this.style('dim', `[${formatTime(ts, withDate && !sameDay(ts, this.now()))}]`)
  }

  /** The URL holds the token: anyone who has it can use this account, so it is for the user's eyes only */
  web (url: string, waiting: 'create' | 'unlock' | undefined): void {
    this.out(`web app: ${url}`)
    this.out(this.style('dim', '  open it in a browser on this machine; the token in it gives full use of this account: do not share it'))
    if (waiting != null) this.out(`${waiting === 'create' ? 'create your identity' : 'unlock your account'} in the web app to start the node`)
  }

  ready (self: SelfInfo): void {
    this.out(`you are ${this.labelWithId(self.peerId, self.name)}`)
    this.addresses(self.addrs)
    this.out(this.style('dim', 'type /help for commands'))
  }

  private addresses (addrs: string[]): void {
    if (addrs.length === 0) {
      this.out('not listening on any address')
      return
    }

    this.out('listening on:')

    for (const addr of addrs) {
      this.out(`  ${sanitize(addr)}`)
    }
  }

  peer (event: PeerEventDetail): void {
    const who = this.labelWithId(event.peerId, event.name)
    const text = event.status === 'connected'
      ? `${who} is online${event.connection != null ? ` (${event.connection})` : ''}`
      : event.status === 'disconnected'
        ? `${who} went offline`
        : `discovered ${who}`

    if (this.presenceShown(event.peerId)) {
      this.out(this.style('dim', '* ') + text)
    }
  }

  /**
   * Whether a presence line of `peerId` is to be printed: always for a
   * contact or a peer the user named; for a stranger, while its window has
   * room. The first line left out schedules the count at the window's end.
   */
  private presenceShown (peerId: string): boolean {
    const known = this.known(peerId)

    if (known?.relation === 'contact' || known?.petname != null) {
      return true
    }

    const now = this.now()

    if (this.strangers != null && now - this.strangers.start >= STRANGER_WINDOW_MS) {
      this.countStrangers()
    }

    const window = this.strangers ?? { start: now, shown: 0, hidden: new Set<string>(), more: 0 }
    this.strangers = window

    if (window.shown < STRANGER_LINES) {
      window.shown++
      return true
    }

    if (window.hidden.size === 0 && window.more === 0) {
      this.schedule(() => {
        if (this.strangers === window) {
          this.countStrangers()
        }
      }, window.start + STRANGER_WINDOW_MS - now)
    }

    if (window.hidden.size < MAX_COUNTED_STRANGERS || window.hidden.has(peerId)) {
      window.hidden.add(peerId)
    } else {
      window.more++
    }

    return false
  }

  /** Ends the strangers' window: how many were left out, if any */
  private countStrangers (): void {
    const window = this.strangers
    this.strangers = undefined
    const n = (window?.hidden.size ?? 0) + (window?.more ?? 0)

    if (n > 0) {
      this.out(`${this.style('dim', '* ')}… and ${n} more stranger${n === 1 ? '' : 's'} came and went`)
    }
  }

  /**
   * `[14:05] bob (…a1b2c3d4e5f6): hi`; a room's message `[#demo] [14:05]
   * bob (…a1b2c3d4e5f6): hi`. The room starts the row, where nothing a peer
   * chooses can be: a direct message's row starts with its time, so a
   * nickname such as `[#demo] bob` cannot pass one for a room's.
   */
  message (event: MessageEventDetail): void {
    const room = event.room != null ? `${this.roomTag(event.room)} ` : ''
    this.out(this.rows(`${room}${this.time(event.ts)} ${this.sender(event.from, event.name, event.request === true)}: `, event.text))
  }

  /** A message: the head, then its text in rows that each start with the head or the gutter */
  private rows (head: string, text: string, tail = ''): string {
    return layoutRows(sanitizeLines(text), { head, gutter: this.style('dim', GUTTER), tail, width: this.width() }).join('\n')
  }

  /** The columns a row may fill: one short of the terminal's width, so no row ends right at its edge */
  private width (): number | undefined {
    const columns = this.columns()
    return columns != null && Number.isFinite(columns) && columns > 0 ? columns - 1 : undefined
  }

  pending (message: PendingMessage): void {
    this.remember(message.id, message.text)
    // found by a stranger's nickname: say so, with the id, so the user can tell whether it is who they meant
    const to = message.stranger === true ? this.labelWithId(message.peer, undefined, ['stranger']) : this.label(message.peer)
    this.out(this.rows(`${this.time(message.ts)} ${this.label(message.from, message.name)} → ${to}: `, message.text, ` ${this.style('dim', '…')}`))
  }

  /**
   * `[#demo] [14:05] alice: hi …`, as an incoming room message with our own
   * name (no id, as in history); in a room with no member yet, no `…` (there
   * is nobody to wait for) but a warning: the message is stored, and nobody
   * was sent it
   */
  posted (message: PostedMessage): void {
    this.keep(this.posts, message.id, { preview: preview(message.text), to: new Set(message.to), delivered: new Set<string>() })
    const waiting = message.to.length === 0 ? '' : ` ${this.style('dim', '…')}`
    this.out(this.rows(`${this.roomTag(message.room)} ${this.time(message.ts)} ${this.label(message.from, message.name)}: `, message.text, waiting))

    if (message.to.length === 0) {
      this.out(this.style('dim', `  ${this.roomName(message.room)} has no members yet: the message is kept in its history, but nobody was sent it`))
    }
  }

  sent (_event: SentEventDetail): void {
    // on a terminal, the … after a pending message stands until ✓ arrives
  }

  read (event: ReadEventDetail): void {
    this.out(this.style('dim', `✓✓ ${this.label(event.by)} read message ${event.id.slice(0, 8)}`))
  }

  delivered (event: DeliveredEventDetail): void {
    if (event.room != null) {
      this.roomDelivered(event, event.room)
      return
    }

    const preview = this.previews.get(event.id)
    this.previews.delete(event.id)
    this.out(`${this.style('green', '✓')} ${this.label(event.to)} received ${preview != null ? `"${sanitize(preview)}"` : `message ${event.id.slice(0, 8)}`}`)
  }

  /**
   * `✓ [#demo] "hi" delivered to 2 of 3 members, last to bob (…a1b2c3d4e5f6)`:
   * how many of the members it was queued for have it, the one that just
   * stored it last (the part a peer chooses, its nickname, comes after
   * everything we say, and its id after it)
   */
  private roomDelivered (event: DeliveredEventDetail, room: string): void {
    const post = this.posts.get(event.id)
    const who = this.labelWithId(event.to)

    if (post == null) {
      this.out(`${this.style('green', '✓')} ${this.roomTag(room)} message ${event.id.slice(0, 8)} delivered to ${who}`)
      return
    }

    post.delivered.add(event.to)
    // a member proven just as it was posted may have been sent it too
    const total = new Set([...post.to, ...post.delivered]).size
    this.out(`${this.style('green', '✓')} ${this.roomTag(room)} "${sanitize(post.preview)}" delivered to ${post.delivered.size} of ${plural(total, 'member')}, last to ${who}`)
  }

  relay (event: RelayEventDetail): void {
    const text = event.status === 'reserved'
      ? `reachable through relay ${shortId(event.peerId)}`
      : `lost the reservation on relay ${shortId(event.peerId)}, retrying`

    this.out(this.style('dim', '* ') + text)
  }

  history (peer: string, messages: ChatMessage[]): void {
    if (messages.length === 0) {
      this.out(`no messages with ${this.labelWithId(peer)}`)
      return
    }

    this.out(`last ${messages.length} message${messages.length === 1 ? '' : 's'} with ${this.labelWithId(peer)}:`)

    // a peer whose messages are held: every incoming message shown is a request
    const request = this.known(peer)?.relation === 'request'

    for (const m of messages) {
      this.historyRow(m, request)
    }
  }

  /** `last 3 messages in #demo:`, each row as in a peer's history (a room's are never requests) */
  roomHistory (room: string, _id: string, messages: RoomMessage[]): void {
    if (messages.length === 0) {
      this.out(`no messages in ${this.roomName(room)}`)
      return
    }

    this.out(`last ${plural(messages.length, 'message')} in ${this.roomName(room)}:`)

    for (const m of messages) {
      this.historyRow(m, false)
    }
  }

  /** One message of a history: the sender with its id if it came in, our name and the status mark if it went out */
  private historyRow (m: ChatMessage, request: boolean): void {
    const mark = m.direction === 'out'
      ? ` ${m.status === 'read' ? this.style('green', '✓✓') : m.status === 'delivered' ? this.style('green', '✓') : this.style('dim', m.status === 'sent' ? '→' : '…')}`
      : ''
    const who = m.direction === 'in' ? this.sender(m.from, m.name, request) : this.label(m.from, m.name)
    this.out(this.rows(`${this.time(m.ts, true)} ${who}: `, m.text, mark))
  }

  peers (peers: PeerView[]): void {
    if (peers.length === 0) {
      this.out('no known peers yet (peers on the LAN appear by themselves; or /connect <multiaddr>)')
      return
    }

    const rows = peers.map(p => [
      sanitize(p.petname ?? p.name ?? '?'),
      shortId(p.peerId),
      `${p.relation}${p.verified ? ' ✓ verified' : ''}`,
      p.online ? `online${p.connection != null ? `, ${p.connection}` : ''}` : 'offline',
      p.rtt != null ? `${p.rtt} ms` : '-',
      p.online ? 'now' : formatTime(p.lastSeen, !sameDay(p.lastSeen, this.now())),
      p.addrs.length === 0 ? '-' : `${sanitize(p.addrs[0] ?? '')}${p.addrs.length > 1 ? ` (+${p.addrs.length - 1})` : ''}`
    ])
    const header = ['NAME', 'PEER', 'RELATION', 'STATUS', 'RTT', 'LAST SEEN', 'ADDRESS']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => [...(r[i] ?? '')].length)))
    const format = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)).join('  ')

    this.out(this.style('bold', format(header)))

    for (const r of rows) {
      this.out(format(r))
    }
  }

  whoami (self: WhoamiInfo): void {
    this.out(`${this.label(self.peerId, self.name)}`)
    this.out(`peer id: ${self.peerId}`)
    this.addresses(self.addrs)

    if (self.relays.length > 0) {
      this.out('relays:')

      for (const r of self.relays) {
        const state = r.reserved ? 'reserved' : r.connected ? 'connected, no reservation' : 'not connected'
        this.out(`  ${sanitize(r.addr)} (${state})`)
      }
    }
  }

  requests (requests: RequestView[]): void {
    if (requests.length === 0) {
      this.out('no message requests')
      return
    }

    this.out(`message request${requests.length === 1 ? '' : 's'}, held until you /accept or /decline:`)

    for (const r of requests) {
      this.out(`  ${this.labelWithId(r.peerId, r.name)}: ${plural(r.messages, 'message')}, ${formatBytes(r.bytes)}`)
    }
  }

  accepted (outcome: RequestOutcome): void {
    this.out(`accepted ${this.labelWithId(outcome.peerId)}: a contact now, ${plural(outcome.messages, 'held message')} moved to the history`)
  }

  declined (outcome: RequestOutcome): void {
    this.out(`declined ${this.labelWithId(outcome.peerId)}: ${plural(outcome.messages, 'held message')} dropped`)
  }

  /**
   * `* bob (…a1b2c3d4e5f6) is a contact, ✓ verified`. A command's result
   * right after the event it caused would say the same again: it is left out.
   */
  contact (view: ContactView, origin: ContactOrigin): void {
    const who = view.petname != null
      ? `${this.style('bold', sanitize(view.petname))} ${this.style('dim', `(${shortId(view.peerId)})`)}`
      : this.labelWithId(view.peerId)
    const verified = view.verified ? `, ${this.style('green', '✓')} verified` : ''
    const line = `${this.style('dim', '* ')}${who} is ${RELATION_TEXT[view.relation]}${verified}`

    if (origin === 'command' && line === this.lastContactEvent) {
      this.lastContactEvent = undefined
      return
    }

    this.out(line)

    if (origin === 'event') {
      this.lastContactEvent = line
    }
  }

  /**
   * `* joined #demo`, `* left #demo`, `* bob (…a1b2c3d4e5f6) is in #demo`,
   * `* bob (…a1b2c3d4e5f6) went offline in #demo`. A member who is not a
   * contact is rationed as its presence lines are. The result of /join or
   * /leave right after its event, or the event right after the result, is
   * left out: the same line again.
   */
  room (event: RoomEvent, origin: RoomOrigin, keyless = false): void {
    const room = this.roomName(event.room)
    // the /join result comes before or after its event, whose line is shown once: the warning follows either way
    const warn = (): void => {
      if (keyless) {
        this.out(this.style('dim', `  ${room} has no key: whoever guesses its name can join it, and a relay can test guesses. For a private room: /leave it, then /join ${sanitize(event.room)} <key>`))
      }
    }
    const member = event.member

    if (member != null) {
      if (this.presenceShown(member)) {
        const who = this.labelWithId(member, event.name)
        this.out(this.style('dim', '* ') + (event.status === 'offline' ? `${who} went offline in ${room}` : `${who} is in ${room}`))
      }

      return
    }

    const line = `${this.style('dim', '* ')}${event.status === 'left' ? 'left' : 'joined'} ${room}`
    const last = this.lastRoomLine

    if (last?.line === line && last.origin !== origin) {
      this.lastRoomLine = undefined
      warn()
      return
    }

    this.out(line)
    this.lastRoomLine = { line, origin }
    warn()
  }

  /** `#demo`, safe to print */
  private roomName (name: string): string {
    return this.style('bold', `#${sanitize(name)}`)
  }

  /** `[#demo]`, the mark of a room's message */
  private roomTag (name: string): string {
    return `[${this.roomName(name)}]`
  }

  /**
   * Each room with how many members it has and how many are online, then
   * its members as /peers shows peers (name, short id), online first, with
   * when an offline one last proved it is in the room
   */
  rooms (rooms: RoomView[]): void {
    if (rooms.length === 0) {
      this.out('no rooms yet (/join <room> [<key>])')
      return
    }

    for (const r of rooms) {
      const online = r.members.filter(m => m.online).length
      const key = r.hasKey ? ` ${this.style('dim', '(with a key)')}` : ''
      this.out(r.members.length === 0
        ? `${this.roomName(r.name)}${key}: no members seen yet`
        : `${this.roomName(r.name)}${key}: ${plural(r.members.length, 'member')}, ${online} online`)

      const members = [...r.members].sort((a, b) => Number(b.online) - Number(a.online) || b.provenAt - a.provenAt)
      const rows = members.map(m => {
        const known = this.known(m.peerId)
        return [
          sanitize(known?.petname ?? m.name ?? known?.name ?? '?'),
          shortId(m.peerId),
          m.online ? 'online' : `offline, seen ${formatTime(m.provenAt, !sameDay(m.provenAt, this.now()))}`
        ]
      })
      const widths = [0, 1].map(i => Math.max(...rows.map(row => [...(row[i] ?? '')].length)))

      for (const row of rows) {
        this.out(`  ${row.map((c, i) => i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)).join('  ')}`)
      }
    }
  }

  async safety (view: SafetyView): Promise<void> {
    // drawn before anything is printed, so the lines stay together
    const code = this.qr ? await this.qrCode(scannableSafetyPayload(view.number)) : []
    const who = this.labelWithId(view.peerId)
    this.out(`safety number with ${who}${view.verified ? ` (${this.style('green', '✓')} verified)` : ''}:`)

    for (const line of formatSafetyNumber(view.number).split('\n')) {
      this.out(`  ${this.style('bold', line)}`)
    }

    for (const line of code) {
      this.out(line)
    }

    if (view.verified) {
      this.out(this.style('dim', 'you compared it before; if it no longer matches theirs, the key changed: compare again'))
      return
    }

    this.out(this.style('dim', 'compare it with theirs, read out or scanned (in person, or on a call you trust);'))
    this.out(this.style('dim', `if they match: /verify ${shortId(view.peerId)}`))
  }

  /** The rows of a compact QR code: black on white with colour, else plain block characters */
  private async qrCode (payload: string): Promise<string[]> {
    const text = this.color
      ? await qrText(payload, { type: 'terminal', small: true })
      : await qrText(payload, { type: 'utf8', margin: 2 })
    // the terminal renderer ends with a row of colour codes only
    return text.split('\n').filter(row => stripVTControlCharacters(row) !== '')
  }

  /**
   * `* [request] bob (…a1b2c3d4e5f6) offers you a file: "report.pdf" (1.2 MiB)`,
   * then how to answer, by the id's first 8 characters. From a peer who is
   * not a contact, a warning too: accept only what you expect.
   */
  offer (event: OfferEventDetail): void {
    this.know(event.id, { peer: event.from, direction: 'in', name: event.name, size: event.size })
    const request = event.request === true
    this.out(`${this.style('dim', '* ')}${this.sender(event.from, undefined, request)} offers you a file: ${this.fileName(event.name)} (${formatBytes(event.size)})`)
    const id = event.id.slice(0, 8)
    if (event.accepted === true) {
      this.out(this.style('dim', `  downloading it: a verified contact, and --auto-accept-files is on (/decline-file ${id} stops it)`))
      return
    }
    this.out(this.style('dim', `  /accept-file ${id} to download it, /decline-file ${id} to refuse it${request ? ' (not a contact: accept only a file you expect)' : ''}`))
  }

  offered (event: OfferedEventDetail): void {
    this.know(event.id, { peer: event.to, direction: 'out', name: event.name, size: event.size })
    this.out(`${this.style('dim', '* ')}${this.labelWithId(event.to)} has your offer of ${this.fileName(event.name)} (${formatBytes(event.size)}): it is sent once they accept`)
  }

  progress (event: ProgressEventDetail): void {
    const known = this.transfers.get(event.id)
    // no colour: a bar's row is cut to the terminal's width, and a cut must not fall inside a colour code
    const peer = (id: string): string => { const p = this.known(id); return sanitize(p?.petname ?? p?.name ?? shortId(id)) }
    const name = known == null ? `transfer ${event.id.slice(0, 8)}` : `"${sanitize(known.name)}" ${known.direction === 'in' ? 'from' : 'to'} ${peer(known.peer)}`
    const label = `${known == null ? '' : known.direction === 'in' ? '↓ ' : '↑ '}${name} (${event.via})`
    const told = this.paths.get(event.id)
    const now = Date.now()
    // the path in use is said when the bytes start and when they first move (through the relay, then direct);
    // a later change at most every 10 s, so that a peer switching paths cannot flood the screen (the bar says it anyway)
    if (told == null || (told.via !== event.via && (told.changes === 0 || now - told.at >= PATH_LINE_INTERVAL_MS))) {
      const moved = told != null
      this.keep(this.paths, event.id, { via: event.via, at: now, changes: moved ? told.changes + 1 : 0 })
      this.out(`${this.style('dim', '* ')}${name} ${moved ? 'now goes' : 'goes'} ${event.via === 'direct' ? 'over a direct connection' : 'through the relay (end-to-end encrypted: the relay cannot read it)'}`)
    }
    this.progressDisplay.update({ id: event.id, label, bytes: event.bytes, size: event.size, rate: event.rate })
  }

  /**
   * `✓ received "report.pdf" from bob (…a1b2c3d4e5f6): /home/…/report.pdf`,
   * `✓ bob (…a1b2c3d4e5f6) received "report.pdf"`, `✗ … failed: reason`,
   * `declined "report.pdf" from bob …` or `bob … declined "report.pdf"`
   */
  file (event: FileEventDetail): void {
    this.progressDisplay.end(event.id)
    this.paths.delete(event.id)
    const known = this.transfers.get(event.id)
    const what = known == null ? `transfer ${event.id.slice(0, 8)}` : this.fileName(known.name)
    const incoming = known?.direction === 'in'
    const peer = known == null ? '' : this.labelWithId(known.peer)
    const fromOrTo = known == null ? what : `${what} ${incoming ? 'from' : 'to'} ${peer}`

    switch (event.status) {
      case 'complete':
        this.out(known == null || incoming
          ? `${this.style('green', '✓')} received ${fromOrTo}${event.path != null ? `: ${sanitize(event.path)}` : ''}`
          : `${this.style('green', '✓')} ${peer} received ${what}`)
        return
      case 'failed':
        this.out(`${this.style('red', '✗')} ${fromOrTo} failed${event.reason != null ? `: ${sanitize(event.reason)}` : ''}`)
        return
      case 'declined':
        this.out(known == null || incoming ? `${this.style('dim', '* ')}declined ${fromOrTo}` : `${this.style('dim', '* ')}${peer} declined ${what}`)
        this.lastDeclined = event.id
    }
  }

  transfer (transfer: TransferResult, action: TransferAction): void {
    this.know(transfer.id, transfer)
    const what = `${this.fileName(transfer.name)} (${formatBytes(transfer.size)})`
    const id = transfer.id.slice(0, 8)

    switch (action) {
      case 'send': {
        const to = transfer.stranger === true ? this.labelWithId(transfer.peer, undefined, ['stranger']) : this.labelWithId(transfer.peer)
        this.out(`offering ${what} to ${to}, id ${id}: it is sent once they accept (/files shows how far it got)`)
        return
      }
      case 'accept':
        this.out(transfer.state === 'accepted'
          ? `accepted ${what} from ${this.labelWithId(transfer.peer)}: downloading`
          : `${this.fileName(transfer.name)} from ${this.labelWithId(transfer.peer)} is ${transfer.state} already${transfer.path != null ? `: ${sanitize(transfer.path)}` : ''}`)
        return
      case 'decline':
        // its `declined` event line said it just now
        if (transfer.state === 'declined' && this.lastDeclined === transfer.id) {
          this.lastDeclined = undefined
          return
        }

        this.out(transfer.state === 'declined'
          ? `${this.style('dim', '* ')}declined ${this.fileName(transfer.name)} from ${this.labelWithId(transfer.peer)}`
          : `${this.fileName(transfer.name)} from ${this.labelWithId(transfer.peer)} is ${transfer.state} already`)
    }
  }

  /** A table of every transfer: id (8 characters, enough for /accept-file), direction, peer, size, state and how far, name last */
  files (transfers: TransferView[]): void {
    if (transfers.length === 0) {
      this.out('no file transfers yet (/send <peer> <path>)')
      return
    }

    for (const t of transfers) {
      this.know(t.id, t)
    }

    const rows = transfers.map(t => {
      const known = this.known(t.peer)
      return [
        t.id.slice(0, 8),
        t.direction === 'in' ? 'from' : 'to',
        sanitize(known?.petname ?? known?.name ?? shortId(t.peer)),
        formatBytes(t.size),
        `${t.state}${t.request === true && t.state === 'offered' ? ' [request]' : ''}`,
        `${t.size === 0 ? (t.state === 'complete' ? 100 : 0) : Math.floor(Math.min(t.bytes, t.size) * 100 / t.size)} %`,
        `"${sanitize(t.name)}"`
      ]
    })
    const header = ['ID', 'DIR', 'PEER', 'SIZE', 'STATE', 'DONE', 'NAME']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => [...(r[i] ?? '')].length)))
    const format = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)).join('  ')

    this.out(this.style('bold', format(header)))

    for (const r of rows) {
      this.out(format(r))
    }
  }

  /** `"report.pdf"`, as the sender named it, safe to print */
  private fileName (name: string): string {
    return this.style('bold', `"${sanitize(name)}"`)
  }

  private know (id: string, t: KnownTransfer): void {
    this.keep(this.transfers, id, { peer: t.peer, direction: t.direction, name: t.name, size: t.size })
  }

  close (): void {
    this.progressDisplay.close()
  }

  connected (peerId: string): void {
    this.out(`connected to ${this.labelWithId(peerId)}`)
  }

  chat (peer: string | undefined, stranger = false): void {
    this.out(peer == null
      ? 'left chat mode'
      : `chatting with ${this.labelWithId(peer, undefined, stranger ? ['stranger'] : [])}: plain lines go to them, /chat alone leaves`)
  }

  chatRoom (room: string, _id: string): void {
    this.out(`chatting in ${this.roomName(room)}: plain lines go to its members, /chat alone leaves`)
  }

  help (): void {
    for (const line of replHelp().split('\n')) {
      this.out(line)
    }
  }

  error (error: ErrorInfo): void {
    const about = error.peer != null ? ` (${this.label(error.peer)})` : ''
    this.lastContactEvent = undefined
    this.lastRoomLine = undefined
    this.lastDeclined = undefined
    this.sink.err(`${this.style('red', 'error:')} ${sanitize(error.message)}${about}`)
  }

  private remember (id: string, text: string): void {
    this.keep(this.previews, id, preview(text))
  }

  /** Sets `id` in a map of at most MAX_REMEMBERED entries, the oldest dropped first */
  private keep<V>(map: Map<string, V>, id: string, value: V): void {
    if (map.size >= MAX_REMEMBERED) {
      const oldest = map.keys().next()

      if (oldest.done !== true) {
        map.delete(oldest.value)
      }
    }

    map.set(id, value)
  }
}

/** The start of an outgoing text, for the line that says it arrived */
function preview (text: string): string {
  return [...text].length > PREVIEW_CHARS ? `${[...text].slice(0, PREVIEW_CHARS - 1).join('')}…` : text
}

function plural (n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
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
