import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { sanitize } from '../../../src/cli/chat/output.ts'
import { TextOutput } from '../../../src/cli/chat/text-output.ts'
import { UsageError, toErrorInfo } from '../../../src/cli/errors.ts'
import { peerView } from '../stub-node.ts'
import type { ChatMessage } from '../../../src/app/index.ts'
import type { KnownPeer } from '../../../src/cli/chat/directory.ts'
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

function text (color = false, known: KnownPeer[] = [{ peerId: BOB, name: 'bob', relation: 'contact' }], qr = false): { output: TextOutput, sink: ReturnType<typeof capture> } {
  const sink = capture()
  const peers = new Map(known.map(p => [p.peerId, p]))
  return { sink, output: new TextOutput(sink, { color, qr, peers: id => peers.get(id), now: () => NOW }) }
}

const outgoing: ChatMessage = { id: 'f'.repeat(32), peer: BOB, direction: 'out', from: ME, name: 'alice', text: 'hi bob', ts: NOW, status: 'pending' }

void describe('TextOutput', () => {
  void it('messages as [hh:mm] name: text', () => {
    const { output, sink } = text()
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hello  world', ts: NOW })
    assert.deepEqual(sink.lines, ['[14:05] bob (…bGYxFrWHxgB2): hello  world'])
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
      '[14:05] bob\ufffd[2J (…bGYxFrWHxgB2): a\ufffd]0;pwned\ufffdb\n    [14:00] alice: fake\ufffd',
      '[14:05] bob (…bGYxFrWHxgB2): line one\n    line two'
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

  void it('/safety never prints a QR code, whatever the output', async () => {
    const { output, sink } = json()
    await output.safety({ peerId: BOB, number: DIGITS, verified: true })
    assert.deepEqual(sink.lines, [JSON.stringify({ type: 'safety', peer: BOB, number: DIGITS, verified: true })])
  })
})
