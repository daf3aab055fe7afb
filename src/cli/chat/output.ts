/**
 * Rendering: one method per thing the chat subcommand can report. The
 * Output interface and the event shapes it takes, and sanitize (with
 * sanitizeLines for a message's text), which makes remote-controlled text
 * safe to print. The renderers: TextOutput (text-output.ts) is for people,
 * JsonOutput (json-output.ts) prints exactly one JSON object per line (the
 * `--json` schema, documented in the README). Neither ever prints key
 * material, a room's key included.
 */
import type { ChatEvents, ChatMessage, CommandResults, ContactView, PeerView, RequestView, RoomEvent, RoomMessage, RoomView, SafetyView, TransferView, WhoamiInfo } from '../../app/index.ts'
import type { ErrorInfo } from '../errors.ts'

export type SelfInfo = Pick<WhoamiInfo, 'peerId' | 'name' | 'addrs'>
export type PeerEventDetail = ChatEvents['peer']['detail']
export type MessageEventDetail = ChatEvents['message']['detail']
export type DeliveredEventDetail = ChatEvents['delivered']['detail']
export type SentEventDetail = ChatEvents['sent']['detail']
export type ReadEventDetail = ChatEvents['read']['detail']
export type RelayEventDetail = ChatEvents['relay']['detail']
export type OfferEventDetail = ChatEvents['offer']['detail']
export type OfferedEventDetail = ChatEvents['offered']['detail']
export type ProgressEventDetail = ChatEvents['progress']['detail']
export type FileEventDetail = ChatEvents['file']['detail']
/** A transfer as /send, /accept-file or /decline-file left it; `stranger` (/send): its peer was found by a stranger's nickname */
export type TransferResult = TransferView & { stranger?: true }
/** Which command a TransferResult answers */
export type TransferAction = 'send' | 'accept' | 'decline'
/** An outgoing message just stored; `stranger`: its peer was found by a stranger's nickname */
export type PendingMessage = CommandResults['send']
/** A message posted to a room, just stored; `to`: the members it was queued for (none: nobody was sent it) */
export type PostedMessage = CommandResults['post']
/** How many held messages /accept or /decline moved or dropped */
export type RequestOutcome = CommandResults['accept']

/**
 * Where a contact line comes from: a `contact` event (the node changed a
 * relation, petname or mark), or the result of /block, /unblock, /name or
 * /verify (which usually follows the event it caused)
 */
export type ContactOrigin = 'event' | 'command'

/**
 * Where a room line comes from: a `room` event, or the result of /join or
 * /leave (the room, as the event of that change would say it). Either may
 * come first: a renderer that prints both may leave out the second.
 */
export type RoomOrigin = 'event' | 'command'

export interface Output {
  /** the node is up */
  ready(self: SelfInfo): void
  peer(event: PeerEventDetail): void
  /** an incoming message, direct or (`room` set) to a room */
  message(event: MessageEventDetail): void
  /** an outgoing message was stored and queued */
  pending(message: PendingMessage): void
  /** a message to a room was stored and queued for its members */
  posted(message: PostedMessage): void
  /** a frame went out; for a room message (`room` set) once per member */
  sent(event: SentEventDetail): void
  read(event: ReadEventDetail): void
  /** a peer stored an outgoing message; for a room message (`room` set) once per member */
  delivered(event: DeliveredEventDetail): void
  /** a reservation on a configured relay was made or lost */
  relay(event: RelayEventDetail): void
  history(peer: string, messages: ChatMessage[]): void
  /** a room's history (the room by its name as joined, and its id), in (clock, sender) order */
  roomHistory(room: string, id: string, messages: RoomMessage[]): void
  peers(peers: PeerView[]): void
  whoami(self: WhoamiInfo): void
  /** the held message requests (/requests) */
  requests(requests: RequestView[]): void
  /** /accept: the peer is a contact, its held messages history */
  accepted(outcome: RequestOutcome): void
  /** /decline: the peer's held messages are gone */
  declined(outcome: RequestOutcome): void
  /** a peer's relation, petname or verified mark, as it is now */
  contact(view: ContactView, origin: ContactOrigin): void
  /** a room joined or left, a member online or offline (an event), or the room /join or /leave changed */
  /** `keyless`: the result of a /join without a key (a face warns that the room is open to whoever guesses its name) */
  room(event: RoomEvent, origin: RoomOrigin, keyless?: boolean): void
  /** /rooms: the joined rooms and their members */
  rooms(rooms: RoomView[]): void
  /** /safety: the safety number to compare (a renderer may draw it, hence async) */
  safety(view: SafetyView): Promise<void>
  /** a peer offers us a file (`request`: not a contact) */
  offer(event: OfferEventDetail): void
  /** the peer has our offer */
  offered(event: OfferedEventDetail): void
  /** bytes of a transfer so far, either way */
  progress(event: ProgressEventDetail): void
  /** a transfer ended: complete, failed or declined */
  file(event: FileEventDetail): void
  /** the transfer /send made, or the one /accept-file or /decline-file changed (its `file` event, if any, may come first) */
  transfer(transfer: TransferResult, action: TransferAction): void
  /** /files: every transfer, oldest first */
  files(transfers: TransferView[]): void
  /** /connect succeeded */
  connected(peerId: string): void
  /**
   * chat mode entered with `peer`, or left when undefined; `stranger`: the
   * peer was found by the nickname of someone who is not a contact
   */
  chat(peer: string | undefined, stranger?: boolean): void
  /** chat mode entered with a room, by its name as joined, and its id */
  chatRoom(room: string, id: string): void
  help(): void
  /** --web: the web app is served at `url` (its token is in it); `waiting`: the account is to be created or unlocked there */
  web(url: string, waiting: 'create' | 'unlock' | undefined): void
  error(error: ErrorInfo): void
  /** the session ends: anything still drawn (progress bars) goes, no timer is left */
  close(): void
}

/** Line breaks of every kind: sanitize makes them spaces, sanitizeLines splits at them */
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g

/**
 * White space and characters that print as a blank or as nothing: the
 * braille blank, the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0, which
 * terminals draw one or two columns wide) and the other default-ignorable
 * code points, bar the ones text needs (the joiners of emoji and Persian,
 * variation selectors, Mongolian ones, the tags of subdivision flags). A run
 * of them could pad a line to the terminal's width, so that what follows
 * starts a visual line of its own, with no name or id in front of it.
 */
const BLANK_RUN = /(?:\s|\u2800|(?!\u200c|\u200d|[\u180b-\u180f]|[\ufe00-\ufe0f]|[\u{e0020}-\u{e007f}]|[\u{e0100}-\u{e01ef}])\p{Default_Ignorable_Code_Point})+/gu

/**
 * Makes remote-controlled text safe for a terminal: no escape sequences, no
 * carriage returns, no bidi overrides, nothing that could fake a line; each
 * run of white space or blank-looking characters becomes one space.
 */
export function sanitize (text: string): string {
  return text
    .replace(LINE_BREAK, ' ')
    .replace(/\t/g, ' ')
    .replace(/[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '\ufffd')
    .replace(BLANK_RUN, ' ')
}

/**
 * A message's text as lines, each one sanitized: split at its line breaks,
 * with no blank line first or last and never two in a row (a wall of empty
 * lines would push everything else off the screen)
 */
export function sanitizeLines (text: string): string[] {
  const lines: string[] = []

  for (const line of text.split(LINE_BREAK).map(l => sanitize(l).trim())) {
    if (line !== '' || (lines.length > 0 && lines.at(-1) !== '')) {
      lines.push(line)
    }
  }

  if (lines.at(-1) === '') {
    lines.pop()
  }

  return lines
}
