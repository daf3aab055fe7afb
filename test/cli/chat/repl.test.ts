/**
 * The REPL in line mode (no TTY), driven through real streams against the
 * real application API over a stub node, with `--json` output: what scripts
 * and the black-box tests see.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, before, beforeEach, describe, it } from 'node:test'
import { MAX_TEXT_BYTES, chatApp } from '../../../src/app/index.ts'
import { PeerDirectory } from '../../../src/cli/chat/directory.ts'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { complete } from '../../../src/cli/chat/repl.ts'
import { runSession } from '../../../src/cli/chat/session.ts'
import { Terminal } from '../../../src/cli/terminal.ts'
import { UnreachablePeerError } from '../../../src/errors.ts'
import { newPeerId } from '../../helpers/peers.ts'
import { StubNode, peerView } from '../stub-node.ts'

type Json = Record<string, unknown> & { type: string }

interface Harness {
  node: StubNode
  input: PassThrough
  signals: EventEmitter
  exits: number[]
  events: Json[]
  stderr: () => string
  done: Promise<number>
  /** write lines to stdin */
  send: (...lines: string[]) => void
  /** resolves once `count` events have been printed (ready included) */
  waitForEvents: (count: number) => Promise<Json[]>
}

function harness (node: StubNode): Harness {
  const input = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const signals = new EventEmitter()
  const exits: number[] = []
  const events: Json[] = []
  let out = ''
  let err = ''

  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    let nl: number
    while ((nl = out.indexOf('\n')) !== -1) {
      const line = out.slice(0, nl)
      out = out.slice(nl + 1)
      // exactly one JSON object per line, or the test fails here
      const value = JSON.parse(line) as Json
      assert.equal(typeof value, 'object')
      assert.equal(typeof value.type, 'string')
      events.push(value)
    }
  })
  stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })

  const directory = new PeerDirectory()
  const done = runSession({
    app: chatApp(node),
    output: new JsonOutput(new Terminal(stdout, stderr)),
    directory,
    input,
    signals,
    exit: code => { exits.push(code) }
  })

  return {
    node,
    input,
    signals,
    exits,
    events,
    stderr: () => err,
    done,
    send: (...lines) => { input.write(lines.map(l => `${l}\n`).join('')) },
    waitForEvents: async (count) => {
      const deadline = Date.now() + 5000
      while (events.length < count) {
        if (Date.now() > deadline) {
          assert.fail(`expected ${count} events, got ${events.length}: ${JSON.stringify(events)}`)
        }
        await sleep(2)
      }
      return events
    }
  }
}

/** Send `lines`, end stdin, wait for the session to end; returns the events after `ready` */
async function script (node: StubNode, lines: string[]): Promise<{ events: Json[], code: number, h: Harness }> {
  const h = harness(node)
  h.send(...lines)
  h.input.end()
  const code = await h.done
  assert.equal(h.events[0]?.type, 'ready')
  return { events: h.events.slice(1), code, h }
}

void describe('REPL (line mode, --json)', () => {
  let me: string, bob: string, bob2: string, carol: string, stranger: string
  let node: StubNode

  before(async () => {
    [me, bob, bob2, carol, stranger] = await Promise.all([newPeerId(), newPeerId(), newPeerId(), newPeerId(), newPeerId()])
  })

  beforeEach(() => {
    node = new StubNode({ peerId: me, name: 'alice', peers: [peerView(bob, 'bob', true), peerView(carol, 'carol')] })
    node.knownRelays = [{ addr: `/ip4/10.0.0.1/tcp/4001/p2p/${stranger}`, peerId: stranger, connected: true, reserved: true }]
  })

  afterEach(() => {
    assert.equal(node.stopped, true, 'every session stops its node')
  })

  void it('prints ready first', async () => {
    const h = harness(node)
    const [ready] = await h.waitForEvents(1)
    assert.deepEqual(ready, { type: 'ready', peerId: me, name: 'alice', addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${me}`] })
    h.input.end()
    assert.equal(await h.done, 0)
  })

  void it('each command prints the right JSON line', async () => {
    const { events, code } = await script(node, [
      '/whoami',
      '/peers',
      '/msg bob hi  there',
      '/chat carol',
      'hello carol',
      '//slash',
      '/chat',
      `/history ${carol.slice(0, -3)} 1`,
      `/connect /ip4/10.0.0.2/tcp/4001/p2p/${stranger}`,
      '/help',
      ''
    ])

    assert.equal(code, 0)
    assert.deepEqual(events.map(e => e.type), ['whoami', 'peers', 'pending', 'chat', 'pending', 'pending', 'chat', 'history', 'connected', 'help'])

    const [whoami, peers, p1, chat, p2, p3, unchat, history, connected, help] = events
    assert.deepEqual(whoami, { type: 'whoami', peerId: me, name: 'alice', addrs: node.addrs(), relays: node.knownRelays })
    assert.deepEqual(peers, { type: 'peers', peers: node.knownPeers })
    assert.deepEqual(p1, { type: 'pending', id: node.sent[0]?.id, to: bob, text: 'hi  there', ts: node.sent[0]?.ts })
    assert.match(String(p1?.id), /^[0-9a-f]{32}$/)
    assert.deepEqual(chat, { type: 'chat', peer: carol })
    assert.deepEqual({ ...p2, id: 0, ts: 0 }, { type: 'pending', id: 0, to: carol, text: 'hello carol', ts: 0 })
    assert.deepEqual({ ...p3, id: 0, ts: 0 }, { type: 'pending', id: 0, to: carol, text: '/slash', ts: 0 })
    assert.deepEqual(unchat, { type: 'chat' })
    assert.deepEqual(history, { type: 'history', peer: carol, messages: [node.sent[2]] })
    assert.deepEqual(connected, { type: 'connected', peerId: stranger })
    assert.equal(help?.type, 'help')
    assert.ok(Array.isArray(help?.commands) && help.commands.length === 8)
    assert.ok(node.calls.includes(`history ${carol} 1`))
  })

  void it('errors are one line each and the REPL keeps going', async () => {
    node.knownPeers.push(peerView(bob2, 'bob'))
    const lines = [
      '/bogus',
      '/msg',
      '/history bob2x 0',
      'hello?',
      '/msg dave hi',
      '/msg bob hi',
      `/msg carol ${'x'.repeat(MAX_TEXT_BYTES + 1)}`,
      '/msg carol \u200b',
      `/connect /ip4/10.0.0.2/tcp/4001/p2p/${stranger}`,
      '/connect /ip4/10.0.0.2/tcp/4001',
      '/whoami'
    ]
    const h = harness(node)
    node.gate = async (call) => {
      if (call.startsWith('connect /ip4/10.0.0.2/tcp/4001/p2p/')) throw new UnreachablePeerError('dial failed')
      await Promise.resolve()
    }
    h.send(...lines)
    h.input.end()
    assert.equal(await h.done, 0)
    const events = h.events.slice(1)

    assert.deepEqual(events.map(e => e.type === 'error' ? e.code : e.type), [
      'UnknownCommandError',
      'UsageError',
      'UsageError',
      'NoActiveChatError',
      'UnknownPeerError',
      'AmbiguousPeerError',
      'MessageTooLargeError',
      'EmptyMessageError',
      'UnreachablePeerError',
      'InvalidMultiaddrError',
      'whoami'
    ])

    for (const e of events.filter(e => e.type === 'error')) {
      assert.deepEqual(Object.keys(e), ['type', 'code', 'message'])
      assert.ok(typeof e.message === 'string' && e.message !== '' && !e.message.includes('\n'))
    }

    assert.match(String(events[5]?.message), new RegExp(`bob \\(.*\\), bob \\(`))
    assert.equal(node.sent.length, 0)
    assert.equal(h.stderr(), '', 'in --json mode everything goes to stdout')
  })

  void it('runs commands one at a time, in order', async () => {
    // the first send is the slowest: a concurrent REPL would print it last
    const delays = [40, 0, 20, 0]
    let n = 0
    node.gate = async (call) => {
      if (call.startsWith('send')) await sleep(delays[n++] ?? 0)
    }
    const { events } = await script(node, ['/msg bob 1', '/msg bob 2', '/chat bob', '3', '/msg carol 4', '/history bob'])
    assert.deepEqual(events.filter(e => e.type === 'pending').map(e => e.text), ['1', '2', '3', '4'])
    assert.equal(node.maxRunning, 1)
    assert.deepEqual((events.at(-1)?.messages as unknown[]).length, 3)
  })

  void it('end of input stops the node after the commands read so far', async () => {
    node.gate = async (call) => { if (call.startsWith('send')) await sleep(30) }
    const { events, code } = await script(node, ['/msg bob a', '/msg bob b'])
    assert.equal(code, 0)
    assert.equal(events.length, 2)
    assert.deepEqual(node.calls.filter(c => c !== 'peers'), [`send ${bob} a`, `send ${bob} b`, 'stop'])
  })

  void it('/quit and /exit stop the node and ignore later lines', async () => {
    for (const quit of ['/quit', '/exit']) {
      node = new StubNode({ peerId: me, name: 'alice' })
      const { events, code } = await script(node, ['/whoami', quit, '/whoami', '/msg bob x'])
      assert.equal(code, 0)
      assert.deepEqual(events.map(e => e.type), ['whoami'])
      assert.equal(node.calls.at(-1), 'stop')
      assert.ok(!node.calls.some(c => c.startsWith('send')))
    }
  })

  void it('prints node events as they come', async () => {
    const h = harness(node)
    await h.waitForEvents(1)
    node.safeDispatchEvent('peer', { detail: { peerId: stranger, name: 'dave', status: 'connected', connection: 'relayed' } })
    node.safeDispatchEvent('peer', { detail: { peerId: carol, status: 'disconnected' } })
    node.safeDispatchEvent('message', { detail: { id: 'a'.repeat(32), from: stranger, name: 'dave', text: 'hi alice', ts: 1_700_000_000_000 } })
    node.safeDispatchEvent('delivered', { detail: { id: 'b'.repeat(32), to: bob } })
    node.safeDispatchEvent('relay', { detail: { peerId: stranger, addr: `/ip4/10.0.0.1/tcp/4001/p2p/${stranger}`, status: 'lost' } })
    node.safeDispatchEvent('error', { detail: { code: 'UnreachablePeerError', message: 'not delivered', id: 'b'.repeat(32), peer: bob } })
    // the peer event fed the directory: a nickname learnt from an event resolves too
    h.send('/msg dave back at you')
    h.input.end()
    assert.equal(await h.done, 0)

    assert.deepEqual(h.events.slice(1, 7), [
      { type: 'peer', peerId: stranger, name: 'dave', status: 'connected', connection: 'relayed' },
      { type: 'peer', peerId: carol, status: 'disconnected' },
      { type: 'message', id: 'a'.repeat(32), from: stranger, name: 'dave', text: 'hi alice', ts: 1_700_000_000_000 },
      { type: 'delivered', id: 'b'.repeat(32), to: bob },
      { type: 'relay', peerId: stranger, addr: `/ip4/10.0.0.1/tcp/4001/p2p/${stranger}`, status: 'lost' },
      { type: 'error', code: 'UnreachablePeerError', message: 'not delivered', id: 'b'.repeat(32), peer: bob }
    ])
    // 'dave' is not in node.peers(): resolution goes by what the node knows
    assert.equal(h.events[7]?.code, 'UnknownPeerError')

    // after the session, events are no longer printed
    const count = h.events.length
    node.safeDispatchEvent('message', { detail: { id: 'c'.repeat(32), from: stranger, name: 'dave', text: 'late', ts: 0 } })
    await sleep(5)
    assert.equal(h.events.length, count)
  })

  void it('SIGINT stops the node and exits 0', async () => {
    const h = harness(node)
    await h.waitForEvents(1)
    h.signals.emit('SIGINT')
    assert.equal(await h.done, 0)
    assert.deepEqual(h.exits, [])
    assert.equal(h.signals.listenerCount('SIGINT'), 0)
    assert.equal(h.signals.listenerCount('SIGTERM'), 0)
  })

  void it('SIGTERM aborts the running command, prints no error for it, and stops', async () => {
    node.gate = async (call, options) => {
      if (!call.startsWith('connect')) return
      await new Promise((resolve, reject) => {
        options.signal?.addEventListener('abort', () => { reject(new Error('aborted', { cause: options.signal?.reason })) })
      })
    }
    const h = harness(node)
    await h.waitForEvents(1)
    while (node.running > 0 || !node.calls.includes('peers')) await sleep(1)
    node.calls.length = 0
    h.send(`/connect /ip4/10.0.0.2/tcp/4001/p2p/${stranger}`, '/whoami')
    while (node.running === 0) await sleep(1)
    h.signals.emit('SIGTERM')
    assert.equal(await h.done, 0)
    assert.deepEqual(h.events.slice(1), [])
    assert.deepEqual(node.calls, [`connect /ip4/10.0.0.2/tcp/4001/p2p/${stranger}`, 'stop'])
  })

  void it('a second SIGINT while stopping forces exit 130, a second SIGTERM 143', async () => {
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      node = new StubNode({ peerId: me })
      let release = (): void => {}
      node.stopGate = new Promise(resolve => { release = resolve })
      const h = harness(node)
      await h.waitForEvents(1)
      h.signals.emit(signal)
      while (!node.stopped) await sleep(1)
      h.signals.emit(signal)
      assert.deepEqual(h.exits, [code])
      release()
      await h.done
    }
  })

  void it('a failing stop is reported and exits 1', async () => {
    node.stop = async () => {
      node.stopped = true
      await Promise.resolve()
      throw new Error('store close failed')
    }
    const { events, code } = await script(node, [])
    assert.equal(code, 1)
    assert.deepEqual(events, [{ type: 'error', code: 'Error', message: 'store close failed' }])
  })
})

void describe('tab completion', () => {
  const directory = new PeerDirectory()
  directory.replace([peerView('12D3KooWAAAA', 'bob'), peerView('12D3KooWBBBB', 'bobby'), peerView('12D3KooWCCCC', 'two words')])

  void it('completes command names', () => {
    assert.deepEqual(complete('/p', directory), [['/peers '], '/p'])
    assert.deepEqual(complete('/h', directory), [['/history', '/help'], '/h'])
    assert.deepEqual(complete('/e', directory), [['/exit '], '/e'])
    assert.equal(complete('/', directory)[0].length, 9)
  })

  void it('completes peers after commands that take one', () => {
    assert.deepEqual(complete('/msg bo', directory), [['bob', 'bobby'], 'bo'])
    assert.deepEqual(complete('/chat bobb', directory), [['bobby '], 'bobb'])
    assert.deepEqual(complete('/history 12D3KooWC', directory), [['12D3KooWCCCC '], '12D3KooWC'])
    assert.deepEqual(complete('/msg t', directory), [[], 't'], 'nicknames with spaces cannot be typed as one argument')
  })

  void it('completes nothing else', () => {
    assert.deepEqual(complete('/connect 12', directory), [[], '/connect 12'])
    assert.deepEqual(complete('/msg bob hel', directory), [[], '/msg bob hel'])
    assert.deepEqual(complete('hello', directory), [[], 'hello'])
  })

  void it('follows peer events', () => {
    directory.onPeer({ peerId: '12D3KooWDDDD', name: 'dave', status: 'discovered' })
    assert.deepEqual(complete('/msg da', directory), [['dave '], 'da'])
  })
})
