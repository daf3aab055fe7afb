import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { sanitize } from '../../../src/cli/chat/output.ts'
import { TextOutput } from '../../../src/cli/chat/text-output.ts'
import { UsageError, toErrorInfo } from '../../../src/cli/errors.ts'
import { peerView } from '../stub-node.ts'
import type { ChatMessage, RoomMessage } from '../../../src/app/index.ts'
import type { KnownPeer } from '../../../src/cli/chat/directory.ts'
import type { Output } from '../../../src/cli/chat/output.ts'
import type { Sink } from '../../../src/cli/terminal.ts'

const ME = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const BOB = '12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2'
const MALLORY = '12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X'
const DIGITS = '066734964277886313851977314002522156210035501675650851842307'
const NOW = new Date(2024, 4, 17, 14, 5).getTime()

function capture (): Sink & { out: (line: string) => void, lines: string[], errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: l => { lines.push(l) }, err: l => { errors.push(l) } }
}

/** the LAST SEEN cell of a time on another day, in this machine's time zone */
function formatLastSeen (ts: number): string {
  const d = new Date(ts)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function text (color = false, known: KnownPeer[] = [{ peerId: BOB, name: 'bob', relation: 'contact' }], qr = false, columns?: number): { output: TextOutput, sink: ReturnType<typeof capture> } {
  const sink = capture()
  const peers = new Map(known.map(p => [p.peerId, p]))
  return { sink, output: new TextOutput(sink, { color, qr, peers: id => peers.get(id), now: () => NOW, columns: () => columns }) }
}

/**
 * What a terminal of `columns` shows for printed lines: each split at its
 * line breaks, then soft-wrapped every `columns` characters (every character
 * here is one column wide), colour codes left out
 */
function screen (lines: string[], columns: number): string[] {
  return lines.flatMap(l => stripVTControlCharacters(l).split('\n')).flatMap(row => {
    const chars = [...row]
    const rows: string[] = []

    for (let i = 0; i < chars.length || i === 0; i += columns) {
      rows.push(chars.slice(i, i + columns).join(''))
    }

    return rows
  })
}

/** A row that starts like the head of an incoming message: `[hh:mm] name (…` */
const HEAD = /^\[\d\d:\d\d\] .*\(…/

const outgoing: ChatMessage = { id: 'f'.repeat(32), peer: BOB, direction: 'out', from: ME, name: 'alice', text: 'hi bob', ts: NOW, status: 'pending' }

const ROOM_ID = '5b4841584e6830d200188e8808473261'
/** a post to #demo, as the app answers it */
const posted: RoomMessage & { to: string[] } = { id: 'd'.repeat(32), peer: `#${ROOM_ID}`, direction: 'out', from: ME, name: 'alice', text: 'hi all', ts: NOW, status: 'pending', room: 'demo', clock: 4, to: [BOB, MALLORY] }

void describe('TextOutput', () => {
  void it('messages as [hh:mm] name: text', () => {
    const { output, sink } = text()
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hello world', ts: NOW })
    assert.deepEqual(sink.lines, ['[14:05] bob (…bGYxFrWHxgB2): hello world'])
  })

  void it('outgoing messages, then their delivery', () => {
    const { output, sink } = text()
    output.pending(outgoing)
    output.delivered({ id: outgoing.id, to: BOB })
    output.delivered({ id: 'e'.repeat(32), to: BOB })
    assert.deepEqual(sink.lines, ['[14:05] alice → bob: hi bob …', '✓ bob received "hi bob"', '✓ bob received message eeeeeeee'])
  })

  void it('history with status marks, and a date for other days', () => {
    const { output, sink } = text()
    const yesterday = NOW - 86_400_000
    output.history(BOB, [
      { ...outgoing, ts: yesterday, status: 'delivered' },
      { id: 'b'.repeat(32), peer: BOB, direction: 'in', from: BOB, name: 'bob', text: 'yo', ts: NOW },
      { ...outgoing, text: 'still there?', status: 'sent' },
      { ...outgoing, text: 'hello?', status: 'pending' }
    ])
    output.history(ME, [])
    assert.deepEqual(sink.lines, [
      'last 4 messages with bob (…bGYxFrWHxgB2):',
      '[2024-05-16 14:05] alice: hi bob ✓',
      '[14:05] bob (…bGYxFrWHxgB2): yo',
      '[14:05] alice: still there? →',
      '[14:05] alice: hello? …',
      'no messages with …oGTxrMLvKXtf'
    ])
  })

  void it('a peers table', () => {
    const { output, sink } = text()
    output.peers([
      { ...peerView(BOB, 'bob', true), connection: 'relayed', rtt: 42, addrs: ['/ip4/10.0.0.2/tcp/4001', '/ip4/10.0.0.3/tcp/4001'] },
      { ...peerView(ME), lastSeen: NOW }
    ])
    assert.deepEqual(sink.lines, [
      'NAME  PEER           RELATION  STATUS           RTT    LAST SEEN  ADDRESS',
      'bob   …bGYxFrWHxgB2  contact   online, relayed  42 ms  now        /ip4/10.0.0.2/tcp/4001 (+1)',
      '?     …oGTxrMLvKXtf  contact   offline          -      14:05      -'
    ])
  })

  void it('errors as error: <message> lines on the error sink', () => {
    const { output, sink } = text()
    output.error(toErrorInfo(new UsageError('usage: /msg <peer> <text>')))
    output.error({ code: 'UnreachablePeerError', message: 'not delivered', peer: BOB })
    assert.deepEqual(sink.errors, ['error: usage: /msg <peer> <text>', 'error: not delivered (bob)'])
    assert.deepEqual(sink.lines, [])
  })

  void it('colours only when asked', () => {
    const plain = text(false)
    plain.output.error({ code: 'X', message: 'boom' })
    assert.ok(!plain.sink.errors.join('').includes('\u001b'))
    const coloured = text(true)
    coloured.output.error({ code: 'X', message: 'boom' })
    assert.ok(coloured.sink.errors.join('').includes('\u001b[31m'))
  })

  void it('neutralises terminal escapes, bidi overrides and fake lines from peers', () => {
    const { output, sink } = text()
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob\u001b[2J', text: 'a\u001b]0;pwned\u0007b\r[14:00] alice: fake\u202e', ts: NOW })
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'line one\nline two', ts: NOW })
    assert.deepEqual(sink.lines, [
      '[14:05] bob\ufffd[2J (…bGYxFrWHxgB2): a\ufffd]0;pwned\ufffdb\n  │ [14:00] alice: fake\ufffd',
      '[14:05] bob (…bGYxFrWHxgB2): line one\n  │ line two'
    ])
    assert.equal(sanitize('a\tb\nc'), 'a b c')
  })

  void it('incoming messages: the petname first, [request] before a held one, ✓ after a verified peer\'s id', () => {
    const { output, sink } = text(false, [
      { peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact', verified: true },
      { peerId: MALLORY, name: 'bob', relation: 'request' }
    ])
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW })
    // a stranger taking bob's nickname: its own id, and marked
    output.message({ id: 'b'.repeat(32), from: MALLORY, name: 'bob', text: 'it is me, bob', ts: NOW, request: true })
    // a nickname cannot fake the marks: they are outside it, and the real id comes last
    output.message({ id: 'c'.repeat(32), from: MALLORY, name: `Bobby (${BOB.slice(-12)} ✓)`, text: 'really', ts: NOW, request: true })
    assert.deepEqual(sink.lines, [
      '[14:05] Bobby (…bGYxFrWHxgB2 ✓): hi',
      `[14:05] [request] bob (…${MALLORY.slice(-12)}): it is me, bob`,
      `[14:05] [request] Bobby (${BOB.slice(-12)} ✓) (…${MALLORY.slice(-12)}): really`
    ])
  })

  void it('history: petnames, the verified mark, and [request] while the peer\'s messages are held', () => {
    const { output, sink } = text(false, [
      { peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact', verified: true },
      { peerId: MALLORY, name: 'mallory', relation: 'request' }
    ])
    output.history(BOB, [{ id: 'b'.repeat(32), peer: BOB, direction: 'in', from: BOB, name: 'bob', text: 'yo', ts: NOW }, { ...outgoing, status: 'read' }])
    output.history(MALLORY, [{ id: 'c'.repeat(32), peer: MALLORY, direction: 'in', from: MALLORY, name: 'mallory', text: 'buy now', ts: NOW }])
    assert.deepEqual(sink.lines, [
      `last 2 messages with Bobby (…bGYxFrWHxgB2):`,
      '[14:05] Bobby (…bGYxFrWHxgB2 ✓): yo',
      '[14:05] alice: hi bob ✓✓',
      `last 1 message with mallory (…${MALLORY.slice(-12)}):`,
      `[14:05] [request] mallory (…${MALLORY.slice(-12)}): buy now`
    ])
  })

  void it('a message sent to a peer found by a stranger\'s nickname says so', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', relation: 'contact' }, { peerId: MALLORY, name: 'carol', relation: 'contact' }])
    output.pending(outgoing)
    output.pending({ ...outgoing, id: 'e'.repeat(32), peer: MALLORY, text: 'hi carol', stranger: true })
    assert.deepEqual(sink.lines, [
      '[14:05] alice → bob: hi bob …',
      `[14:05] alice → carol (…${MALLORY.slice(-12)}, stranger): hi carol …`
    ])
  })

  void it('chat mode with a peer found by a stranger\'s nickname says so', () => {
    const { output, sink } = text(false, [{ peerId: MALLORY, name: 'carol', relation: 'stranger' }, { peerId: BOB, name: 'bob', relation: 'contact' }])
    output.chat(MALLORY, true)
    output.chat(BOB)
    assert.deepEqual(sink.lines, [
      `chatting with carol (…${MALLORY.slice(-12)}, stranger): plain lines go to them, /chat alone leaves`,
      'chatting with bob (…bGYxFrWHxgB2): plain lines go to them, /chat alone leaves'
    ])
  })

  void it('the peers table: petname or nickname, relation, verified', () => {
    const { output, sink } = text()
    output.peers([
      { ...peerView(BOB, 'bob'), petname: 'Bobby', verified: true },
      peerView(MALLORY, 'mallory\u001b[2J', false, 'request'),
      { ...peerView(ME, 'eve', false, 'blocked'), lastSeen: NOW }
    ])
    assert.deepEqual(sink.lines, [
      'NAME         PEER           RELATION            STATUS   RTT  LAST SEEN         ADDRESS',
      'Bobby        …bGYxFrWHxgB2  contact ✓ verified  offline  -    2023-11-14 23:13  -',
      `mallory\ufffd[2J  …${MALLORY.slice(-12)}  request             offline  -    2023-11-14 23:13  -`,
      'eve          …oGTxrMLvKXtf  blocked             offline  -    14:05             -'
    ].map(l => l.replace(/2023-11-14 23:13/g, formatLastSeen(1_700_000_000_000))))
  })

  void it('/requests, /accept, /decline', () => {
    const { output, sink } = text(false, [{ peerId: MALLORY, name: 'mallory', relation: 'request' }, { peerId: BOB, name: 'bob', relation: 'contact' }])
    output.requests([])
    output.requests([{ peerId: MALLORY, name: 'mallory', messages: 3, bytes: 1536 }, { peerId: ME, name: 'x\u202ey', messages: 1, bytes: 20 }])
    output.accepted({ peerId: MALLORY, messages: 3 })
    output.declined({ peerId: ME, messages: 1 })
    output.accepted({ peerId: BOB, messages: 0 })
    assert.deepEqual(sink.lines, [
      'no message requests',
      'message requests, held until you /accept or /decline:',
      `  mallory (…${MALLORY.slice(-12)}): 3 messages, 1.5 KiB`,
      '  x\ufffdy (…oGTxrMLvKXtf): 1 message, 20 B',
      `accepted mallory (…${MALLORY.slice(-12)}): a contact now, 3 held messages moved to the history`,
      'declined …oGTxrMLvKXtf: 1 held message dropped',
      'accepted bob (…bGYxFrWHxgB2): a contact now, 0 held messages moved to the history'
    ])
  })

  void it('contact lines; a command\'s result right after the event it caused is not repeated', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', relation: 'contact' }, { peerId: MALLORY, name: 'mallory', relation: 'request' }])
    // /block mallory: the node's event, then the command's result
    output.contact({ peerId: MALLORY, relation: 'blocked', verified: false }, 'event')
    output.contact({ peerId: MALLORY, relation: 'blocked', verified: false }, 'command')
    // a result with no event before it (or after other output) is printed
    output.contact({ peerId: BOB, relation: 'contact', petname: 'Bobby\u202e', verified: false }, 'command')
    output.contact({ peerId: BOB, relation: 'contact', verified: true }, 'event')
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW })
    output.contact({ peerId: BOB, relation: 'contact', verified: true }, 'command')
    output.contact({ peerId: MALLORY, relation: 'stranger', verified: false }, 'event')
    output.contact({ peerId: MALLORY, relation: 'stranger', verified: false }, 'event')
    assert.deepEqual(sink.lines, [
      `* mallory (…${MALLORY.slice(-12)}) is blocked: it cannot connect and nothing it sends is stored`,
      '* Bobby\ufffd (…bGYxFrWHxgB2) is a contact',
      '* bob (…bGYxFrWHxgB2) is a contact, ✓ verified',
      '[14:05] bob (…bGYxFrWHxgB2): hi',
      '* bob (…bGYxFrWHxgB2) is a contact, ✓ verified',
      `* mallory (…${MALLORY.slice(-12)}) is a stranger`,
      `* mallory (…${MALLORY.slice(-12)}) is a stranger`
    ])
  })

  void it('room lines: joined, left, members in and offline; a /join or /leave result next to its event is not repeated, whichever comes first', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact' }])
    const id = 'a'.repeat(32)
    // /join demo: the event, then the result
    output.room({ room: 'demo', id, status: 'joined' }, 'event')
    output.room({ room: 'demo', id, status: 'joined' }, 'command')
    // the result first, then the event
    output.room({ room: 'Team', id: 'b'.repeat(32), status: 'joined' }, 'command')
    output.room({ room: 'Team', id: 'b'.repeat(32), status: 'joined' }, 'event')
    // a room joined already: the result alone
    output.room({ room: 'demo', id, status: 'joined' }, 'command')
    output.room({ room: 'demo', id, status: 'online', member: BOB, name: 'bob' }, 'event')
    output.room({ room: 'demo', id, status: 'online', member: MALLORY, name: 'mallory\u202e' }, 'event')
    output.room({ room: 'demo', id, status: 'offline', member: MALLORY }, 'event')
    output.room({ room: 'demo', id, status: 'left' }, 'event')
    output.room({ room: 'demo', id, status: 'left' }, 'command')
    output.room({ room: 'x\u001b[2J', id, status: 'left' }, 'command')
    assert.deepEqual(sink.lines, [
      '* joined #demo',
      '* joined #Team',
      '* joined #demo',
      '* Bobby (…bGYxFrWHxgB2) is in #demo',
      `* mallory\ufffd (…${MALLORY.slice(-12)}) is in #demo`,
      `* …${MALLORY.slice(-12)} went offline in #demo`,
      '* left #demo',
      '* left #x\ufffd[2J'
    ])
  })

  void it('room members who are not contacts are rationed with the presence lines', () => {
    const { output, sink } = text()
    const strangers = Array.from({ length: 8 }, (_, i) => `12D3KooWStranger${String(i).padStart(4, '0')}`)
    for (const member of strangers) output.room({ room: 'demo', id: 'a'.repeat(32), status: 'online', member }, 'event')
    output.room({ room: 'demo', id: 'a'.repeat(32), status: 'online', member: BOB }, 'event')
    assert.equal(sink.lines.length, 6)
    assert.equal(sink.lines.at(-1), '* bob (…bGYxFrWHxgB2) is in #demo')
  })

  void it('/rooms: each room with its members, online first, names and short ids as /peers shows them', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact' }])
    output.rooms([])
    output.rooms([
      {
        id: 'a'.repeat(32),
        name: 'demo',
        hasKey: false,
        joinedAt: NOW,
        members: [
          { peerId: ME, online: false, provenAt: NOW - 86_400_000 },
          { peerId: MALLORY, name: 'mallory\u202e', online: false, provenAt: NOW },
          { peerId: BOB, name: 'bob', online: true, provenAt: NOW - 60_000 }
        ]
      },
      { id: 'b'.repeat(32), name: 'Team', hasKey: true, joinedAt: NOW, members: [] }
    ])
    assert.deepEqual(sink.lines, [
      'no rooms yet (/join <room> [<key>])',
      '#demo: 3 members, 1 online',
      '  Bobby     …bGYxFrWHxgB2  online',
      `  mallory\ufffd  …${MALLORY.slice(-12)}  offline, seen 14:05`,
      '  ?         …oGTxrMLvKXtf  offline, seen 2024-05-16 14:05',
      '#Team (with a key): no members seen yet'
    ])
  })

  void it('room messages: [#room] first, then the time and the sender with its id, as a direct message', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact', verified: true }])
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hi all', ts: NOW, room: 'demo' })
    output.message({ id: 'b'.repeat(32), from: MALLORY, name: 'mallory', text: 'line one\nline two', ts: NOW, room: 'demo' })
    output.message({ id: 'c'.repeat(32), from: MALLORY, name: 'm', text: 'x', ts: NOW, room: 'x\u001b[2J' })
    assert.deepEqual(sink.lines, [
      '[#demo] [14:05] Bobby (…bGYxFrWHxgB2 ✓): hi all',
      `[#demo] [14:05] mallory (…${MALLORY.slice(-12)}): line one\n  │ line two`,
      `[#x\ufffd[2J] [14:05] m (…${MALLORY.slice(-12)}): x`
    ])
  })

  void it('a nickname cannot make a direct message pass for a room\'s: the room mark starts the row, a direct message\'s row its time', () => {
    const { output, sink } = text(false, [{ peerId: MALLORY, name: 'mallory', relation: 'contact' }])
    output.message({ id: 'a'.repeat(32), from: MALLORY, name: '[#demo] bob', text: 'psst', ts: NOW })
    output.message({ id: 'b'.repeat(32), from: MALLORY, name: 'mallory', text: 'psst', ts: NOW, room: 'demo' })
    assert.ok(!(sink.lines[0] ?? '').startsWith('[#'), sink.lines[0])
    assert.ok((sink.lines[1] ?? '').startsWith('[#demo] '), sink.lines[1])
  })

  void it('own posts echo as own sends do, then delivery as a count of the members that have it, the member last', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', relation: 'contact' }, { peerId: MALLORY, name: 'mallory', relation: 'stranger' }])
    output.posted(posted)
    output.sent({ id: posted.id, to: BOB, room: 'demo' })
    output.delivered({ id: posted.id, to: BOB, room: 'demo' })
    output.delivered({ id: posted.id, to: MALLORY, room: 'demo' })
    // a member proven just as it was posted: the count grows rather than passing the total
    output.delivered({ id: posted.id, to: ME, room: 'demo' })
    // a post this output never saw (another session's)
    output.delivered({ id: 'e'.repeat(32), to: BOB, room: 'demo' })
    // a direct message with the same id as nothing: a room delivery takes no preview away from it
    output.pending(outgoing)
    output.delivered({ id: outgoing.id, to: BOB })
    assert.deepEqual(sink.lines, [
      '[#demo] [14:05] alice: hi all …',
      '✓ [#demo] "hi all" delivered to 1 of 2 members, last to bob (…bGYxFrWHxgB2)',
      `✓ [#demo] "hi all" delivered to 2 of 2 members, last to mallory (…${MALLORY.slice(-12)})`,
      '✓ [#demo] "hi all" delivered to 3 of 3 members, last to …oGTxrMLvKXtf',
      '✓ [#demo] message eeeeeeee delivered to bob (…bGYxFrWHxgB2)',
      '[14:05] alice → bob: hi bob …',
      '✓ bob received "hi bob"'
    ])
  })

  void it('a post to a room with no member yet: echoed with nothing to wait for, then a warning that nobody was sent it', () => {
    const { output, sink } = text()
    output.posted({ ...posted, to: [] })
    output.posted({ ...posted, id: 'e'.repeat(32), text: 'x'.repeat(60), to: [BOB] })
    output.delivered({ id: 'e'.repeat(32), to: BOB, room: 'demo' })
    assert.deepEqual(sink.lines, [
      '[#demo] [14:05] alice: hi all',
      '  #demo has no members yet: the message is kept in its history, but nobody was sent it',
      `[#demo] [14:05] alice: ${'x'.repeat(60)} …`,
      `✓ [#demo] "${'x'.repeat(39)}…" delivered to 1 of 1 member, last to bob (…bGYxFrWHxgB2)`
    ])
  })

  void it('a room\'s history: in the order given, marks on our own, ids on the members\'; chat mode with a room', () => {
    const { output, sink } = text(false, [{ peerId: BOB, name: 'bob', relation: 'contact', verified: true }, { peerId: MALLORY, name: 'mallory', relation: 'request' }])
    const inRoom = (m: Partial<RoomMessage>): RoomMessage => ({ ...posted, ...m })
    output.roomHistory('demo', ROOM_ID, [
      inRoom({ id: '1'.repeat(32), direction: 'in', from: BOB, name: 'bob', text: 'first', ts: NOW - 86_400_000, clock: 1, status: undefined }),
      // a member whose direct messages are held: its room messages are no requests
      inRoom({ id: '2'.repeat(32), direction: 'in', from: MALLORY, name: 'mallory', text: 'second', clock: 2, status: undefined }),
      inRoom({ clock: 3, status: 'delivered' }),
      inRoom({ text: 'waiting', clock: 4 })
    ])
    output.roomHistory('Team', 'b'.repeat(32), [])
    output.chatRoom('demo', ROOM_ID)
    assert.deepEqual(sink.lines, [
      'last 4 messages in #demo:',
      '[2024-05-16 14:05] bob (…bGYxFrWHxgB2 ✓): first',
      `[14:05] mallory (…${MALLORY.slice(-12)}): second`,
      '[14:05] alice: hi all ✓',
      '[14:05] alice: waiting …',
      'no messages in #Team',
      'chatting in #demo: plain lines go to its members, /chat alone leaves'
    ])
  })

  void it('/safety: the digits in groups of five, no QR code off a terminal', async () => {
    const { output, sink } = text()
    await output.safety({ peerId: BOB, number: DIGITS, verified: false })
    await output.safety({ peerId: BOB, number: DIGITS, verified: true })
    assert.deepEqual(sink.lines, [
      'safety number with bob (…bGYxFrWHxgB2):',
      '  06673 49642 77886 31385',
      '  19773 14002 52215 62100',
      '  35501 67565 08518 42307',
      'compare it with theirs, read out or scanned (in person, or on a call you trust);',
      'if they match: /verify …bGYxFrWHxgB2',
      'safety number with bob (…bGYxFrWHxgB2) (✓ verified):',
      '  06673 49642 77886 31385',
      '  19773 14002 52215 62100',
      '  35501 67565 08518 42307',
      'you compared it before; if it no longer matches theirs, the key changed: compare again'
    ])
  })

  void it('/safety on a terminal: a compact QR code of the scannable payload', async () => {
    for (const color of [false, true]) {
      const { output, sink } = text(color, undefined, true)
      await output.safety({ peerId: BOB, number: DIGITS, verified: false })
      const plain = sink.lines.map(l => stripVTControlCharacters(l))
      assert.equal(plain[1], '  06673 49642 77886 31385')
      const code = plain.slice(4, -2)
      // half blocks: two modules a character row, so a code of 25 to 33 modules is at most 19 rows with its margin
      assert.ok(code.length >= 13 && code.length <= 19, `${code.length} rows`)
      assert.ok(code.every(row => /^[ █▀▄]+$/.test(row)), code.join('\n'))
      assert.ok(code.some(row => row.includes('█')))
      // escape codes (black on white) only when colour is on
      assert.equal(sink.lines.slice(4, -2).some(l => l.includes('\u001b[')), color)
    }
  })
})

void describe('TextOutput: every row of a message says whose it is', () => {
  // the review's spoof: mallory, a stranger, pads a request to the end of the
  // row, so that a fake line of alice's (a verified contact) starts the next
  const alice = '12D3KooWDBegVLZask1Qftk8p8CcD56MgPf68tsHe6ES7bpRLMqf'
  const mallory = '12D3KooWLvSxSH68JSURAMBszQVPi2ZvayFwa1zEchVB5496eCrF'
  const known: KnownPeer[] = [{ peerId: alice, name: 'alice', relation: 'contact', verified: true }, { peerId: mallory, name: 'x', relation: 'request' }]
  const prefix = `[14:05] [request] x (…${mallory.slice(-12)}): `
  const fake = `[14:05] alice (…${alice.slice(-12)} ✓): the new wifi password is on my site, log in at evil.example`
  const pad = (unit: string): string => unit.repeat(80 - [...prefix].length)

  function spoof (padding: string, columns: number | undefined): string[] {
    const { output, sink } = text(false, known, false, columns)
    output.message({ id: 'a'.repeat(32), from: alice, name: 'alice', text: 'real message from alice', ts: NOW })
    output.message({ id: 'b'.repeat(32), from: mallory, name: 'x', text: padding + fake, ts: NOW, request: true })
    return screen(sink.lines, 80)
  }

  function assertAttributable (rows: string[], what: string): void {
    const heads = rows.filter(r => HEAD.test(r))
    const real = `[14:05] alice (…${alice.slice(-12)} ✓): `
    assert.deepEqual(heads.map(r => r.startsWith(real) ? real : r.startsWith(prefix.trimEnd()) ? prefix : r), [real, prefix], `${what}:\n${rows.join('\n')}`)
    // every row after mallory's head is behind the gutter
    const after = rows.slice(rows.findIndex(r => r.startsWith(prefix.trimEnd())) + 1)
    assert.ok(after.every(r => r.startsWith('  │ ')), `${what}:\n${rows.join('\n')}`)
  }

  for (const [what, unit] of [['spaces', ' '], ['Hangul fillers', '\u3164'], ['braille blanks', '\u2800'], ['em spaces', '\u2003'], ['half-width fillers', '\uffa0'], ['zero-width spaces', '\u200b']] as const) {
    void it(`a request padded with ${what} to push a fake line of a verified contact onto a row of its own`, () => {
      // the width known: wrapped by us, behind the gutter
      assertAttributable(spoof(pad(unit), 80), `${what}, 80 columns known`)
      // unknown (not a terminal, or it cannot say): the padding is one space, the fake stays inside mallory's row
      const rows = spoof(pad(unit), undefined)
      assert.equal(rows.filter(r => HEAD.test(r)).length, 2, rows.join('\n'))
      assert.ok(rows.some(r => r.startsWith(`${prefix}${fake.slice(0, 20)}`)), rows.join('\n'))
    })
  }

  void it('a request padded with visible characters: the width known, we wrap it behind the gutter', () => {
    assertAttributable(spoof(pad('x'), 80), 'x, 80 columns known')
    assertAttributable(spoof(pad('xy '), 80), 'xy, 80 columns known')
  })

  void it('runs of white space and blank-looking characters become one space, in text and names', () => {
    const { output, sink } = text(false, [])
    output.message({ id: 'a'.repeat(32), from: MALLORY, name: 'x\u3164\u3164y  z', text: `a${'\u3164'.repeat(30)}b\u2800\u2800c \t d\u115f\u1160\uffa0e\u3000\u3000f\u200b\u2060g`, ts: NOW })
    assert.deepEqual(sink.lines, [`[14:05] x y z (…${MALLORY.slice(-12)}): a b c d e f g`])
    assert.equal(sanitize('  a  \u2800 b  '), ' a b ')
    // what text needs stays: the joiners of emoji and Persian, variation selectors
    assert.equal(sanitize('👨\u200d👩\u200d👧 می\u200cخواهم ❤\ufe0f'), '👨\u200d👩\u200d👧 می\u200cخواهم ❤\ufe0f')
  })

  void it('long lines wrap at the width, word by word, every further row behind the gutter', () => {
    const { output, sink } = text(false, undefined, false, 50)
    const words = 'the quick brown fox jumps over the lazy dog and keeps running far away'
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: words, ts: NOW })
    output.message({ id: 'b'.repeat(32), from: BOB, name: 'bob', text: `see ${'w'.repeat(70)} ok`, ts: NOW })
    output.pending({ ...outgoing, text: 'a reply that is long enough to wrap at forty' })
    assert.deepEqual(sink.lines.map(l => l.split('\n')), [
      ['[14:05] bob (…bGYxFrWHxgB2): the quick brown fox', '  │ jumps over the lazy dog and keeps running', '  │ far away'],
      // a word longer than a row is cut where it stands
      [`[14:05] bob (…bGYxFrWHxgB2): see ${'w'.repeat(15)}`, `  │ ${'w'.repeat(44)}`, `  │ ${'w'.repeat(11)} ok`],
      ['[14:05] alice → bob: a reply that is long enough', '  │ to wrap at forty …']
    ])
    // no row reaches the edge (the gutter's bar and the ellipsis counted two wide: a terminal may draw them so)
    assert.ok(screen(sink.lines, 50).every(r => [...r].length < 50))
  })

  void it('line breaks: rows behind the gutter; no blank row first or last, never two in a row', () => {
    const { output, sink } = text(false, undefined, false, 80)
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: '\n\nfirst\r\n\n\n\n  second\u2028third\n\n', ts: NOW })
    assert.deepEqual(sink.lines, ['[14:05] bob (…bGYxFrWHxgB2): first\n  │ \n  │ second\n  │ third'])
  })

  void it('a status mark that does not fit moves to a row of its own behind the gutter', () => {
    const { output, sink } = text(false, undefined, false, 40)
    output.history(BOB, [{ ...outgoing, text: 'exactly enough to fill a row', status: 'read' }])
    assert.deepEqual(sink.lines.slice(1), ['[14:05] alice: exactly enough to fill a\n  │ row ✓✓'])
  })

  void it('a terminal too narrow for the head: the text starts on the next row', () => {
    const { output, sink } = text(false, [{ peerId: MALLORY, name: 'mallory', relation: 'request' }], false, 44)
    output.message({ id: 'a'.repeat(32), from: MALLORY, name: 'mallory', text: 'buy now', ts: NOW, request: true })
    assert.deepEqual(sink.lines, [`[14:05] [request] mallory (…${MALLORY.slice(-12)}):\n  │ buy now`])
  })

  void it('with colour: widths leave the colour codes out, the gutter is dim', () => {
    const { output, sink } = text(true, undefined, false, 50)
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'the quick brown fox jumps over the lazy dog', ts: NOW })
    assert.deepEqual(screen(sink.lines, 50), ['[14:05] bob (…bGYxFrWHxgB2): the quick brown fox', '  │ jumps over the lazy dog'])
    assert.ok(sink.lines[0]?.includes('\u001b[2m  │ \u001b[22m'), JSON.stringify(sink.lines))
  })
})

void describe('TextOutput: strangers\' presence lines are rationed', () => {
  const strangers = Array.from({ length: 40 }, (_, i) => `12D3KooWStranger${String(i).padStart(4, '0')}`)

  /** a text output on a clock the test moves, with timers the test fires */
  function rationed (known: KnownPeer[] = [{ peerId: BOB, name: 'bob', relation: 'contact' }]): { output: TextOutput, sink: ReturnType<typeof capture>, advance: (ms: number) => void, timers: number } {
    const sink = capture()
    const peers = new Map(known.map(p => [p.peerId, p]))
    let now = NOW
    let timers: Array<{ at: number, fn: () => void }> = []
    const output = new TextOutput(sink, { peers: id => peers.get(id), now: () => now, schedule: (fn, ms) => { timers.push({ at: now + ms, fn }) } })
    return {
      output,
      sink,
      advance: ms => {
        now += ms
        const due = timers.filter(t => t.at <= now)
        timers = timers.filter(t => t.at > now)
        for (const t of due) t.fn()
      },
      get timers () { return timers.length }
    }
  }

  const flood = (output: Output): void => {
    for (const peerId of strangers) {
      output.peer({ peerId, status: 'connected', connection: 'direct' })
      output.peer({ peerId, status: 'disconnected' })
    }
  }

  void it('40 fresh identities in 10 s: five lines, then one that counts the rest when the window ends; contacts always', () => {
    const r = rationed()
    flood(r.output)
    r.output.peer({ peerId: BOB, status: 'connected', connection: 'relayed' })
    assert.equal(r.timers, 1, 'one count scheduled')
    r.advance(9_999)
    r.output.peer({ peerId: BOB, status: 'disconnected' })
    r.advance(1)
    const s = (i: number): string => `…${(strangers[i] ?? '').slice(-12)}`
    assert.deepEqual(r.sink.lines, [
      `* ${s(0)} is online (direct)`,
      `* ${s(0)} went offline`,
      `* ${s(1)} is online (direct)`,
      `* ${s(1)} went offline`,
      `* ${s(2)} is online (direct)`,
      '* bob (…bGYxFrWHxgB2) is online (relayed)',
      '* bob (…bGYxFrWHxgB2) went offline',
      '* … and 38 more strangers came and went'
    ])
    // a new window: strangers are shown again
    r.output.peer({ peerId: strangers[39] ?? '', status: 'discovered' })
    assert.equal(r.sink.lines.at(-1), `* discovered ${s(39)}`)
    assert.equal(r.timers, 0)
  })

  void it('the count: when the window ends, or before the next window\'s first line if that comes sooner; never twice', () => {
    const r = rationed()
    for (const peerId of strangers.slice(0, 6)) {
      r.output.peer({ peerId, status: 'discovered' })
    }
    r.output.peer({ peerId: BOB, status: 'connected' })
    assert.equal(r.sink.lines.length, 6, 'a contact\'s line ends no window')
    r.advance(10_000)
    assert.equal(r.sink.lines.at(-1), '* … and 1 more stranger came and went')
    r.output.peer({ peerId: strangers[7] ?? '', status: 'discovered' })
    assert.equal(r.sink.lines.length, 8)

    // a stranger's event after the window's end, before its timer fired
    const sink = capture()
    let now = NOW
    const timers: Array<() => void> = []
    const output = new TextOutput(sink, { now: () => now, schedule: fn => { timers.push(fn) } })
    for (const peerId of strangers.slice(0, 7)) {
      output.peer({ peerId, status: 'discovered' })
    }
    now += 10_000
    output.peer({ peerId: strangers[8] ?? '', status: 'discovered' })
    assert.deepEqual(sink.lines.slice(5), ['* … and 2 more strangers came and went', `* discovered …${(strangers[8] ?? '').slice(-12)}`])
    // the old window's timer, late: nothing more to say
    assert.equal(timers.length, 1)
    timers[0]?.()
    assert.equal(sink.lines.length, 7)
  })

  void it('a peer the user named is no stranger', () => {
    const r = rationed([{ peerId: MALLORY, name: 'mallory', petname: 'Mal', relation: 'stranger' }])
    flood(r.output)
    r.output.peer({ peerId: MALLORY, status: 'connected' })
    assert.equal(r.sink.lines.at(-1), `* Mal (…${MALLORY.slice(-12)}) is online`)
  })

  void it('--json prints every event: it is for scripts', () => {
    const sink = capture()
    flood(new JsonOutput(sink))
    assert.equal(sink.lines.length, 80)
  })
})

void describe('JsonOutput', () => {
  function json (): { output: JsonOutput, events: () => unknown[], sink: ReturnType<typeof capture> } {
    const sink = capture()
    return { sink, output: new JsonOutput(sink), events: () => sink.lines.map(l => JSON.parse(l) as unknown) }
  }

  void it('one object per line, documented fields only', () => {
    const { output, events, sink } = json()
    output.ready({ peerId: ME, name: 'alice', addrs: ['/ip4/1.2.3.4/tcp/1'] })
    output.peer({ peerId: BOB, status: 'discovered' })
    output.pending({ ...outgoing, text: 'two\nlines' })
    output.history(BOB, [{ ...outgoing, secret: 'x' } as unknown as ChatMessage])
    output.peers([{ ...peerView(BOB, 'bob'), publicKey: 'x' } as unknown as ReturnType<typeof peerView>])
    output.connected(BOB)
    output.chat(undefined)
    output.error(toErrorInfo('thrown string'))

    assert.ok(sink.lines.every(l => !l.includes('\n')))
    assert.deepEqual(events(), [
      { type: 'ready', peerId: ME, name: 'alice', addrs: ['/ip4/1.2.3.4/tcp/1'] },
      { type: 'peer', peerId: BOB, status: 'discovered' },
      { type: 'pending', id: outgoing.id, to: BOB, text: 'two\nlines', ts: NOW },
      { type: 'history', peer: BOB, messages: [outgoing] },
      { type: 'peers', peers: [peerView(BOB, 'bob')] },
      { type: 'connected', peerId: BOB },
      { type: 'chat' },
      { type: 'error', code: 'Error', message: 'thrown string' }
    ])
  })

  void it('the contact lines: exactly the documented fields', async () => {
    const { output, events } = json()
    const extra = { publicKey: 'x', secret: 'y' }
    output.requests([{ peerId: BOB, name: 'bob', messages: 2, bytes: 300, ...extra }, { peerId: MALLORY, messages: 1, bytes: 10 }])
    output.accepted({ peerId: BOB, messages: 2, ...extra })
    output.declined({ peerId: MALLORY, messages: 0 })
    output.contact({ peerId: BOB, relation: 'contact', petname: 'Bobby', verified: true, ...extra }, 'event')
    output.contact({ peerId: MALLORY, relation: 'blocked', verified: false }, 'command')
    await output.safety({ peerId: BOB, number: DIGITS, verified: false, ...extra })
    output.message({ id: 'a'.repeat(32), from: MALLORY, name: 'mallory', text: 'hi', ts: NOW, request: true })
    output.message({ id: 'b'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW })
    output.pending({ ...outgoing, stranger: true })
    output.pending(outgoing)
    output.peers([{ ...peerView(BOB, 'bob', true), petname: 'Bobby', verified: true, connection: 'direct' }, peerView(MALLORY, undefined, false, 'request')])

    assert.deepEqual(events(), [
      { type: 'requests', requests: [{ peerId: BOB, name: 'bob', messages: 2, bytes: 300 }, { peerId: MALLORY, messages: 1, bytes: 10 }] },
      { type: 'accepted', peerId: BOB, messages: 2 },
      { type: 'declined', peerId: MALLORY, messages: 0 },
      { type: 'contact', peerId: BOB, relation: 'contact', petname: 'Bobby', verified: true },
      { type: 'contact', peerId: MALLORY, relation: 'blocked', verified: false },
      { type: 'safety', peer: BOB, number: DIGITS, verified: false },
      { type: 'message', id: 'a'.repeat(32), from: MALLORY, name: 'mallory', text: 'hi', ts: NOW, request: true },
      { type: 'message', id: 'b'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW },
      { type: 'pending', id: outgoing.id, to: BOB, text: 'hi bob', ts: NOW, stranger: true },
      { type: 'pending', id: outgoing.id, to: BOB, text: 'hi bob', ts: NOW },
      {
        type: 'peers',
        peers: [
          { peerId: BOB, name: 'bob', petname: 'Bobby', relation: 'contact', verified: true, online: true, connection: 'direct', addrs: [], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000 },
          { peerId: MALLORY, relation: 'request', verified: false, online: false, addrs: [], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000 }
        ]
      }
    ])
  })

  void it('room and rooms lines: exactly the documented fields, never a key', () => {
    const { output, events, sink } = json()
    const extra = { key: 'hunter2', proofKey: 'x' }
    output.room({ room: 'demo', id: 'a'.repeat(32), status: 'joined', ...extra }, 'event')
    output.room({ room: 'demo', id: 'a'.repeat(32), status: 'joined' }, 'command')
    output.room({ room: 'demo', id: 'a'.repeat(32), status: 'online', member: BOB, name: 'bob' }, 'event')
    output.room({ room: 'demo', id: 'a'.repeat(32), status: 'offline', member: BOB }, 'event')
    output.rooms([
      { id: 'a'.repeat(32), name: 'demo', hasKey: true, joinedAt: NOW, members: [{ peerId: BOB, name: 'bob', online: true, provenAt: NOW, ...extra }, { peerId: MALLORY, online: false, provenAt: 1 }], ...extra }
    ])
    output.rooms([])
    assert.ok(sink.lines.every(l => !l.includes('hunter2') && !l.includes('proofKey')))
    assert.deepEqual(events(), [
      { type: 'room', room: 'demo', id: 'a'.repeat(32), status: 'joined' },
      { type: 'room', room: 'demo', id: 'a'.repeat(32), status: 'joined' },
      { type: 'room', room: 'demo', id: 'a'.repeat(32), status: 'online', member: BOB, name: 'bob' },
      { type: 'room', room: 'demo', id: 'a'.repeat(32), status: 'offline', member: BOB },
      {
        type: 'rooms',
        rooms: [{ id: 'a'.repeat(32), name: 'demo', hasKey: true, joinedAt: NOW, members: [{ peerId: BOB, name: 'bob', online: true, provenAt: NOW }, { peerId: MALLORY, online: false, provenAt: 1 }] }]
      },
      { type: 'rooms', rooms: [] }
    ])
  })

  void it('room messages: message, posted, sent, delivered, history and chat lines carry the room, documented fields only', () => {
    const { output, events } = json()
    const extra = { key: 'hunter2', outbox: 'x' }
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW, room: 'demo', ...extra })
    output.posted({ ...posted, ...extra })
    output.posted({ ...posted, to: [] })
    output.sent({ id: posted.id, to: BOB, room: 'demo', ...extra })
    output.delivered({ id: posted.id, to: BOB, room: 'demo', ...extra })
    output.roomHistory('demo', ROOM_ID, [{ ...posted, ...extra }, { ...posted, id: 'b'.repeat(32), direction: 'in', from: BOB, name: 'bob', status: undefined, clock: 5 }])
    output.roomHistory('Team', 'b'.repeat(32), [])
    output.chatRoom('demo', ROOM_ID)
    const { to, ...stored } = posted
    assert.deepEqual(events(), [
      { type: 'message', id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hi', ts: NOW, room: 'demo' },
      { type: 'posted', id: posted.id, room: 'demo', text: 'hi all', ts: NOW, clock: 4, to },
      { type: 'posted', id: posted.id, room: 'demo', text: 'hi all', ts: NOW, clock: 4, to: [] },
      { type: 'sent', id: posted.id, to: BOB, room: 'demo' },
      { type: 'delivered', id: posted.id, to: BOB, room: 'demo' },
      { type: 'history', room: 'demo', id: ROOM_ID, messages: [stored, { ...stored, id: 'b'.repeat(32), direction: 'in', from: BOB, name: 'bob', status: undefined, clock: 5 }].map(m => JSON.parse(JSON.stringify(m)) as unknown) },
      { type: 'history', room: 'Team', id: 'b'.repeat(32), messages: [] },
      { type: 'chat', room: 'demo', id: ROOM_ID }
    ])
  })

  void it('/safety never prints a QR code, whatever the output', async () => {
    const { output, sink } = json()
    await output.safety({ peerId: BOB, number: DIGITS, verified: true })
    assert.deepEqual(sink.lines, [JSON.stringify({ type: 'safety', peer: BOB, number: DIGITS, verified: true })])
  })
})
