import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { sanitize } from '../../../src/cli/chat/output.ts'
import { TextOutput } from '../../../src/cli/chat/text-output.ts'
import { UsageError, toErrorInfo } from '../../../src/cli/errors.ts'
import { peerView } from '../stub-node.ts'
import type { ChatMessage } from '../../../src/app/index.ts'
import type { Sink } from '../../../src/cli/terminal.ts'

const ME = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const BOB = '12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2'
const NOW = new Date(2024, 4, 17, 14, 5).getTime()

function capture (): Sink & { out: (line: string) => void, lines: string[], errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: l => { lines.push(l) }, err: l => { errors.push(l) } }
}

function text (color = false): { output: TextOutput, sink: ReturnType<typeof capture> } {
  const sink = capture()
  const names: Record<string, string> = { [BOB]: 'bob' }
  return { sink, output: new TextOutput(sink, { color, names: id => names[id], now: () => NOW }) }
}

const outgoing: ChatMessage = { id: 'f'.repeat(32), peer: BOB, direction: 'out', from: ME, name: 'alice', text: 'hi bob', ts: NOW, status: 'pending' }

void describe('TextOutput', () => {
  void it('messages as [hh:mm] name: text', () => {
    const { output, sink } = text()
    output.message({ id: 'a'.repeat(32), from: BOB, name: 'bob', text: 'hello  world', ts: NOW })
    assert.deepEqual(sink.lines, ['[14:05] bob (…WHxgB2): hello  world'])
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
      'last 4 messages with bob (12D3KooW…WHxgB2):',
      '[2024-05-16 14:05] alice: hi bob ✓',
      '[14:05] bob (…WHxgB2): yo',
      '[14:05] alice: still there? →',
      '[14:05] alice: hello? …',
      'no messages with 12D3KooW…LvKXtf'
    ])
  })

  void it('a peers table', () => {
    const { output, sink } = text()
    output.peers([
      { ...peerView(BOB, 'bob', true), connection: 'relayed', rtt: 42, addrs: ['/ip4/10.0.0.2/tcp/4001', '/ip4/10.0.0.3/tcp/4001'] },
      { ...peerView(ME), lastSeen: NOW }
    ])
    assert.deepEqual(sink.lines, [
      'NAME  PEER             STATUS           RTT    LAST SEEN  ADDRESS',
      'bob   12D3KooW…WHxgB2  online, relayed  42 ms  now        /ip4/10.0.0.2/tcp/4001 (+1)',
      '?     12D3KooW…LvKXtf  offline          -      14:05      -'
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
      '[14:05] bob\ufffd[2J (…WHxgB2): a\ufffd]0;pwned\ufffdb\n    [14:00] alice: fake\ufffd',
      '[14:05] bob (…WHxgB2): line one\n    line two'
    ])
    assert.equal(sanitize('a\tb\nc'), 'a b c')
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
})
