/**
 * The REPL in line mode (no TTY), driven through real streams against the
 * real application API over a stub node, with `--json` output: what scripts
 * and the black-box tests see.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { stripVTControlCharacters } from 'node:util'
import { afterEach, before, beforeEach, describe, it } from 'node:test'
import { MAX_TEXT_BYTES, chatApp, formatSafetyNumber, shortId } from '../../../src/app/index.ts'
import { COMMANDS } from '../../../src/cli/chat/commands.ts'
import { PeerDirectory } from '../../../src/cli/chat/directory.ts'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { complete, runRepl } from '../../../src/cli/chat/repl.ts'
import { runSession } from '../../../src/cli/chat/session.ts'
import { TextOutput } from '../../../src/cli/chat/text-output.ts'
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

/** The same session with the text output (no TTY): send `lines`, end stdin; every stdout and stderr line */
async function textScript (node: StubNode, lines: string[]): Promise<{ out: string[], err: string[] }> {
  const input = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const directory = new PeerDirectory()
  const done = runSession({
    app: chatApp(node),
    output: new TextOutput(new Terminal(stdout, stderr), { peers: id => directory.get(id) }),
    directory,
    input,
    signals: new EventEmitter(),
    exit: () => { assert.fail('no forced exit') }
  })
  input.end(lines.map(l => `${l}\n`).join(''))
  assert.equal(await done, 0)
  await new Promise(resolve => setImmediate(resolve))
  const split = (text: string): string[] => text === '' ? [] : text.replace(/\n$/, '').split('\n')
  return { out: split(out), err: split(err) }
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
    assert.ok(Array.isArray(help?.commands) && help.commands.length === COMMANDS.length)
    assert.deepEqual((help?.commands as Array<{ usage: string }>).map(c => c.usage.split(' ')[0]), [
      '/peers', '/msg', '/chat', '/history', '/connect', '/whoami',
      '/requests', '/accept', '/decline', '/block', '/unblock', '/name', '/safety', '/verify',
      '/join', '/leave', '/rooms', '/room',
      '/send', '/accept-file', '/decline-file', '/files',
      '/help', '/quit'
    ])
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
      // later than the launcher's echo of the first (src/cli/signals.ts): a second request
      await sleep(600)
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

  void describe('contacts', () => {
    let mallory: string, dave: string

    before(async () => {
      [mallory, dave] = await Promise.all([newPeerId(), newPeerId()])
    })

    /** the fields of every line of these types are exactly the documented ones */
    const FIELDS: Record<string, string[]> = {
      requests: ['type', 'requests'],
      accepted: ['type', 'peerId', 'messages'],
      declined: ['type', 'peerId', 'messages'],
      contact: ['type', 'peerId', 'relation', 'petname', 'verified'],
      safety: ['type', 'peer', 'number', 'verified']
    }

    function checkFields (events: Json[]): void {
      for (const e of events) {
        const allowed = FIELDS[e.type]
        if (allowed == null) continue
        assert.deepEqual(Object.keys(e).filter(k => !allowed.includes(k)), [], `${e.type}: ${JSON.stringify(e)}`)
        for (const k of allowed.filter(k => k !== 'petname')) assert.ok(k in e, `${e.type} has ${k}: ${JSON.stringify(e)}`)
      }
    }

    void it('each contact command runs through the app and prints its JSON line', async () => {
      node.knownPeers.push(peerView(mallory, 'mallory', false, 'stranger'))
      node.receive(mallory, 'mallory', 'hi alice', 1_700_000_000_001)
      node.receive(mallory, 'mallory', 'are you there?', 1_700_000_000_002)
      node.knownPeers.push(peerView(dave, 'dave', false, 'stranger'))
      node.receive(dave, 'dave', 'spam', 1_700_000_000_003)
      const safety = { ...await node.safety(mallory), verified: true }

      const { events, code } = await script(node, [
        '/requests',
        '/accept mallory',
        '/name mallory Mal',
        '/verify Mal',
        '/safety Mal',
        '/name Mal',
        '/block mallory',
        `/unblock ${shortId(mallory)}`,
        '/decline dave',
        '/requests',
        '/history mallory'
      ])
      assert.equal(code, 0)
      const [m1, m2] = node.received

      assert.deepEqual(events, [
        { type: 'requests', requests: [{ peerId: mallory, name: 'mallory', messages: 2, bytes: 22 }, { peerId: dave, name: 'dave', messages: 1, bytes: 4 }] },
        // the node's event, then the command's result: the same line
        { type: 'contact', peerId: mallory, relation: 'contact', verified: false },
        { type: 'accepted', peerId: mallory, messages: 2 },
        { type: 'contact', peerId: mallory, relation: 'contact', petname: 'Mal', verified: false },
        { type: 'contact', peerId: mallory, relation: 'contact', petname: 'Mal', verified: false },
        { type: 'contact', peerId: mallory, relation: 'contact', petname: 'Mal', verified: true },
        { type: 'contact', peerId: mallory, relation: 'contact', petname: 'Mal', verified: true },
        { type: 'safety', peer: mallory, number: safety.number, verified: true },
        { type: 'contact', peerId: mallory, relation: 'contact', verified: true },
        { type: 'contact', peerId: mallory, relation: 'contact', verified: true },
        { type: 'contact', peerId: mallory, relation: 'blocked', verified: true },
        { type: 'contact', peerId: mallory, relation: 'blocked', verified: true },
        { type: 'contact', peerId: mallory, relation: 'stranger', verified: true },
        { type: 'contact', peerId: mallory, relation: 'stranger', verified: true },
        { type: 'declined', peerId: dave, messages: 1 },
        { type: 'requests', requests: [] },
        { type: 'history', peer: mallory, messages: [m1, m2] }
      ])
      checkFields(events)
      assert.match(safety.number, /^\d{60}$/)
      assert.deepEqual(node.calls.filter(c => !['peers', 'requests', 'stop'].includes(c) && !c.startsWith('history') && !c.startsWith('safety')), [
        `accept ${mallory}`, `name ${mallory} Mal`, `verify ${mallory}`, `name ${mallory} null`, `block ${mallory}`, `unblock ${mallory}`, `decline ${dave}`
      ])
    })

    void it('usage errors and the app\'s errors, one line each', async () => {
      node.knownPeers.push(peerView(mallory, 'mallory', false, 'blocked'), peerView(dave, 'mallory', false, 'stranger'))
      const { events } = await script(node, [
        '/accept',
        '/block bob carol',
        '/name bob 12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2',
        '/name bob a\u200bb',
        '/verify nobody',
        // a blocked peer is not found by its nickname: the stranger with the same one is
        '/safety mallory',
        `/msg ${mallory} hi`,
        '/peers'
      ])
      assert.deepEqual(events.map(e => e.type === 'error' ? e.code : e.type), [
        'UsageError', 'UsageError', 'UsageError', 'UsageError', 'UnknownPeerError', 'safety', 'BlockedPeerError', 'peers'
      ])
      assert.match(String(events[2]?.message), /^usage: \/name <peer> \[<petname>\]: the petname must not be or look like a peer id$/)
      assert.match(String(events[3]?.message), /the petname must have no control, line-separator, text-direction or invisible characters/)
      assert.equal(events[5]?.peer, dave)
      assert.ok(!node.calls.some(c => c.startsWith('name ') || c.startsWith('verify ')))
      // the peers line carries the relation, petname and mark
      const peers = events.at(-1)?.peers as Array<Record<string, unknown>>
      assert.deepEqual(peers.map(p => [p.peerId, p.relation, p.verified]), [[bob, 'contact', false], [carol, 'contact', false], [mallory, 'blocked', false], [dave, 'stranger', false]])
    })

    void it('/msg to a peer found by a stranger\'s nickname: the pending line says stranger, once', async () => {
      node.knownPeers.push(peerView(dave, 'dave', false, 'stranger'))
      const { events } = await script(node, ['/msg dave hi', '/msg dave again', `/msg ${dave} by id`, '/chat dave'])
      assert.deepEqual(events.map(e => ({ ...e, id: 0, ts: 0 })), [
        // writing to it made it a contact
        { type: 'contact', id: 0, ts: 0, peerId: dave, relation: 'contact', verified: false },
        { type: 'pending', id: 0, ts: 0, to: dave, text: 'hi', stranger: true },
        { type: 'pending', id: 0, ts: 0, to: dave, text: 'again' },
        { type: 'pending', id: 0, ts: 0, to: dave, text: 'by id' },
        { type: 'chat', id: 0, ts: 0, peer: dave }
      ])
    })

    void it('a contact and a stranger with one nickname: the contact; two strangers: an error listing both', async () => {
      node.knownPeers.push(peerView(dave, 'bob', false, 'stranger'), peerView(mallory, 'eve', false, 'request'), peerView(stranger, 'eve', false, 'stranger'))
      const { events } = await script(node, ['/msg bob hi', '/msg eve hi'])
      assert.deepEqual({ ...events[0], id: 0, ts: 0 }, { type: 'pending', id: 0, ts: 0, to: bob, text: 'hi' })
      assert.equal(events[1]?.code, 'AmbiguousPeerError')
      assert.ok(String(events[1]?.message).includes(`eve (${shortId(mallory)}, request)`), String(events[1]?.message))
      assert.ok(String(events[1]?.message).includes(`eve (${shortId(stranger)}, stranger)`), String(events[1]?.message))
      assert.equal(node.sent.length, 1)
    })

    void it('an incoming request: a message line with request, held until /accept', async () => {
      node.knownPeers.push(peerView(mallory, 'mallory', false, 'stranger'))
      const h = harness(node)
      await h.waitForEvents(1)
      const held = node.receive(mallory, 'mallory', 'hello?', 1_700_000_000_000)
      node.receive(bob, 'bob', 'hi', 1_700_000_000_001)
      h.send('/history mallory', '/accept mallory', '/history mallory')
      h.input.end()
      assert.equal(await h.done, 0)
      assert.deepEqual(h.events.slice(1), [
        { type: 'message', id: held?.id, from: mallory, name: 'mallory', text: 'hello?', ts: 1_700_000_000_000, request: true },
        { type: 'message', id: node.received[0]?.id, from: bob, name: 'bob', text: 'hi', ts: 1_700_000_000_001 },
        { type: 'history', peer: mallory, messages: [] },
        { type: 'contact', peerId: mallory, relation: 'contact', verified: false },
        { type: 'accepted', peerId: mallory, messages: 1 },
        { type: 'history', peer: mallory, messages: [held] }
      ])
      // a read receipt for the contact's message only: strangers get none
      assert.deepEqual(node.marked, [`${bob} ${node.received[0]?.id}`])
    })
  })

  void describe('rooms', () => {
    const KEY = 'correct horse  battery staple'

    void it('--json: /join, /rooms, /leave and the room events, each one line; the key never printed', async () => {
      const h = harness(node)
      await h.waitForEvents(1)
      h.send('/join #demo', `/join Team ${KEY}`, '/join demo')
      const joined = await h.waitForEvents(6)
      const demo = [...node.joined.values()].find(r => r.name === 'demo')
      const team = [...node.joined.values()].find(r => r.name === 'Team')
      assert.ok(demo != null && team != null)
      assert.equal(team.key, KEY, 'the key reaches the node as typed, inner spaces kept')
      assert.deepEqual(joined.slice(1), [
        // the node's event, then the command's result: the same line
        { type: 'room', room: 'demo', id: demo.id, status: 'joined' },
        { type: 'room', room: 'demo', id: demo.id, status: 'joined' },
        { type: 'room', room: 'Team', id: team.id, status: 'joined' },
        { type: 'room', room: 'Team', id: team.id, status: 'joined' },
        // joined already: the result alone
        { type: 'room', room: 'demo', id: demo.id, status: 'joined' }
      ])

      node.roomMember('demo', bob, true, 1_700_000_000_000)
      node.roomMember('demo', stranger, true, 1_700_000_000_001)
      node.roomMember('demo', stranger, false)
      h.send('/rooms', '/leave #DEMO', '/leave demo', `/leave ${team.id}`, '/rooms', '/leave two words', '/join demo', `/join bad\u200bname ${KEY}`)
      h.input.end()
      assert.equal(await h.done, 0)
      const events = h.events.slice(6)

      assert.deepEqual(events, [
        { type: 'room', room: 'demo', id: demo.id, status: 'online', member: bob, name: 'bob' },
        { type: 'room', room: 'demo', id: demo.id, status: 'online', member: stranger },
        { type: 'room', room: 'demo', id: demo.id, status: 'offline', member: stranger },
        {
          type: 'rooms',
          rooms: [
            { id: team.id, name: 'Team', hasKey: true, joinedAt: team.joinedAt, members: [] },
            {
              id: demo.id,
              name: 'demo',
              hasKey: false,
              joinedAt: demo.joinedAt,
              members: [{ peerId: bob, name: 'bob', online: true, provenAt: 1_700_000_000_000 }, { peerId: stranger, online: false, provenAt: 1_700_000_000_001 }]
            }
          ]
        },
        { type: 'room', room: 'demo', id: demo.id, status: 'left' },
        { type: 'room', room: 'demo', id: demo.id, status: 'left' },
        { type: 'error', code: 'UnknownRoomError', message: 'not in room \'demo\': /rooms lists the rooms joined' },
        { type: 'room', room: 'Team', id: team.id, status: 'left' },
        { type: 'room', room: 'Team', id: team.id, status: 'left' },
        { type: 'rooms', rooms: [] },
        { type: 'error', code: 'UsageError', message: 'usage: /leave <room>' },
        { type: 'room', room: 'demo', id: demo.id, status: 'joined' },
        { type: 'room', room: 'demo', id: demo.id, status: 'joined' },
        { type: 'error', code: 'UsageError', message: 'usage: /join <room> [<key>]: the room name contains white space, control or invisible characters' }
      ])
      assert.ok(!JSON.stringify(h.events).includes('horse'), 'the key is never printed')
      assert.deepEqual(node.calls.filter(c => c.startsWith('join') || c.startsWith('leave') || c === 'rooms'), [
        'join demo', 'join Team with a key', 'join demo', 'rooms', 'leave DEMO', 'leave demo', `leave ${team.id}`, 'rooms', 'join demo'
      ])
      assert.equal(h.stderr(), '')
    })

    void it('the app\'s room errors, by name; a limit of 64 rooms', async () => {
      for (let i = 0; i < 64; i++) await node.join(`room${i}`)
      const { events } = await script(node, ['/join one-more', `/join other ${KEY}`, '/leave nowhere'])
      assert.deepEqual(events.map(e => e.code), ['RoomLimitError', 'RoomLimitError', 'UnknownRoomError'])
      assert.ok(!JSON.stringify(events).includes('horse'))
    })

    void it('text output: the room lines and the /rooms listing; the key never printed', async () => {
      await node.join('demo')
      await node.join('Team', KEY)
      node.roomMember('demo', bob, true)
      node.roomMember('demo', carol, false, new Date(2024, 4, 17, 14, 5).getTime())
      const { out, err } = await textScript(node, ['/rooms', '/join #demo', `/join ops ${KEY}`, '/leave #team', '/leave team', '/rooms'])
      const b = shortId(bob)
      const c = shortId(carol)
      assert.deepEqual(out.slice(out.indexOf('type /help for commands') + 1), [
        '#Team (with a key): no members seen yet',
        '#demo: 2 members, 1 online',
        `  bob    ${b}  online`,
        `  carol  ${c}  offline, seen 2024-05-17 14:05`,
        '* joined #demo',
        '  #demo has no key: whoever guesses its name can join it, and a relay can test guesses. For a private room: /leave it, then /join demo <key>',
        '* joined #ops',
        '* left #Team',
        '#demo: 2 members, 1 online',
        `  bob    ${b}  online`,
        `  carol  ${c}  offline, seen 2024-05-17 14:05`,
        '#ops (with a key): no members seen yet'
      ])
      assert.deepEqual(err, ['error: not in room \'team\': /rooms lists the rooms joined'])
      assert.ok(![...out, ...err].some(l => l.includes('horse')), 'the key is never printed')
    })

    void describe('messages', () => {
      /** what is left of a message or posted line to compare: not its id and time */
      const pinned = (e: Json | undefined): Json | undefined => e == null || (e.type !== 'message' && e.type !== 'posted') ? e : { ...e, id: 0, ts: 0 }

      void it('--json: /room, /chat #room, /history #room and the room\'s events, each one line; the errors by name', async () => {
        const demo = await node.join('demo')
        await node.join('Team', KEY)
        node.roomMember('demo', bob, true)
        node.roomMember('demo', carol, false)
        const h = harness(node)
        await h.waitForEvents(1)
        const incoming = node.roomReceive('demo', bob, 'bob', 'hello room', { ts: 1_700_000_000_000 })
        h.send(
          '/room demo hi  all',
          '/chat #DEMO',
          'plain line',
          '//slash',
          '/history #demo 2',
          '/chat',
          '/room #team anyone?',
          '/room nowhere hi',
          '/room demo \u200b',
          '/room demo',
          '/history #nowhere',
          '/chat #nowhere',
          '/history #demo 0',
          'stray line'
        )
        const events = (await h.waitForEvents(16)).slice(1)
        const first = node.roomMessages.find(m => m.text === 'hi  all')
        assert.ok(first != null)
        node.safeDispatchEvent('sent', { detail: { id: first.id, to: bob, room: 'demo' } })
        node.safeDispatchEvent('delivered', { detail: { id: first.id, to: bob, room: 'demo' } })
        h.input.end()
        assert.equal(await h.done, 0)

        const unknown = (room: string): Json => ({ type: 'error', code: 'UnknownRoomError', message: `not in room '${room}': /rooms lists the rooms joined` })
        assert.deepEqual(events.map(pinned), [
          { type: 'message', id: 0, from: bob, name: 'bob', text: 'hello room', ts: 0, room: 'demo' },
          { type: 'posted', id: 0, room: 'demo', text: 'hi  all', ts: 0, clock: 2, to: [bob, carol] },
          { type: 'chat', room: 'demo', id: demo.id },
          { type: 'posted', id: 0, room: 'demo', text: 'plain line', ts: 0, clock: 3, to: [bob, carol] },
          { type: 'posted', id: 0, room: 'demo', text: '/slash', ts: 0, clock: 4, to: [bob, carol] },
          { type: 'history', room: 'demo', id: demo.id, messages: node.roomMessages.slice(2, 4).map(m => JSON.parse(JSON.stringify(m)) as unknown) },
          { type: 'chat' },
          { type: 'posted', id: 0, room: 'Team', text: 'anyone?', ts: 0, clock: 1, to: [] },
          unknown('nowhere'),
          { type: 'error', code: 'EmptyMessageError', message: events[9]?.message },
          { type: 'error', code: 'UsageError', message: 'usage: /room <room> <text>' },
          unknown('nowhere'),
          unknown('nowhere'),
          { type: 'error', code: 'UsageError', message: 'usage: /history <peer> | #<room> [n]: n must be an integer from 1 to 1000' },
          { type: 'error', code: 'NoActiveChatError', message: 'no active chat: use /chat <peer> or /chat #<room> first, or /msg <peer> <text>' }
        ])
        assert.equal(events[0]?.id, incoming.id)
        assert.equal(events[1]?.id, first.id)
        assert.deepEqual(h.events.slice(16), [
          { type: 'sent', id: first.id, to: bob, room: 'demo' },
          { type: 'delivered', id: first.id, to: bob, room: 'demo' }
        ])
        // the history line carries each message's room and clock, the peer being the room's id
        const history = events[5]?.messages as Array<Record<string, unknown>>
        assert.deepEqual(history.map(m => [m.peer, m.room, m.clock, m.text]), [[`#${demo.id}`, 'demo', 3, 'plain line'], [`#${demo.id}`, 'demo', 4, '/slash']])
        // what the node was asked: /chat #room asks the app whether the room is joined, chat mode posts by the room's id
        assert.deepEqual(node.calls.filter(c => /^(post|roomHistory|rooms)/.test(c)), [
          'post demo hi  all',
          'roomHistory DEMO 1', 'rooms',
          `post ${demo.id} plain line`,
          `post ${demo.id} /slash`,
          'roomHistory demo 2', 'rooms',
          'post team anyone?',
          'post nowhere hi',
          'roomHistory nowhere 20',
          'roomHistory nowhere 1'
        ])
        // no read receipt for a room's message: a receipt is for a conversation of two
        assert.deepEqual(node.marked, [])
        assert.equal(h.stderr(), '')
      })

      void it('chat mode keeps the room by id (a keyed room and an open one may share a name); /leave of that room leaves chat mode', async () => {
        const open = await node.join('team')
        const keyed = await node.join('team', KEY)
        const { events } = await script(node, [`/chat #${keyed.id}`, 'for the keyed room', '/leave team', 'still in chat mode', `/leave ${keyed.id}`, 'nowhere to go'])
        assert.deepEqual(events.map(pinned), [
          { type: 'chat', room: 'team', id: keyed.id },
          { type: 'posted', id: 0, room: 'team', text: 'for the keyed room', ts: 0, clock: 1, to: [] },
          // the open room: its event and result, chat mode stays
          { type: 'room', room: 'team', id: open.id, status: 'left' },
          { type: 'room', room: 'team', id: open.id, status: 'left' },
          { type: 'posted', id: 0, room: 'team', text: 'still in chat mode', ts: 0, clock: 2, to: [] },
          { type: 'room', room: 'team', id: keyed.id, status: 'left' },
          { type: 'room', room: 'team', id: keyed.id, status: 'left' },
          { type: 'chat' },
          { type: 'error', code: 'NoActiveChatError', message: 'no active chat: use /chat <peer> or /chat #<room> first, or /msg <peer> <text>' }
        ])
        assert.deepEqual(node.roomMessages.map(m => [m.peer, m.text]), [[`#${keyed.id}`, 'for the keyed room'], [`#${keyed.id}`, 'still in chat mode']])
      })

      void it('a member\'s message in chat mode with a peer still says its room; a direct message in room chat mode its sender only', async () => {
        const demo = await node.join('demo')
        const h = harness(node)
        await h.waitForEvents(1)
        h.send('/chat bob')
        await h.waitForEvents(2)
        node.roomReceive('demo', carol, 'carol', 'in the room', { ts: 1 })
        h.send('/chat #demo')
        await h.waitForEvents(4)
        node.receive(bob, 'bob', 'just to you', 2)
        h.input.end()
        assert.equal(await h.done, 0)
        assert.deepEqual(h.events.slice(1).map(pinned), [
          { type: 'chat', peer: bob },
          { type: 'message', id: 0, from: carol, name: 'carol', text: 'in the room', ts: 0, room: 'demo' },
          { type: 'chat', room: 'demo', id: demo.id },
          { type: 'message', id: 0, from: bob, name: 'bob', text: 'just to you', ts: 0 }
        ])
        // bob's direct message was marked read, carol's room message not
        assert.deepEqual(node.marked, [`${bob} ${node.received[0]?.id}`])
      })

      void it('text output: own posts, chat mode in a room, its history, the warning for a room with no member, the errors', async () => {
        await node.join('demo')
        await node.join('Team', KEY)
        node.roomMember('demo', bob, true)
        node.roomReceive('demo', bob, 'bob', 'hello room', { ts: new Date(2024, 4, 17, 14, 5).getTime() })
        const { out, err } = await textScript(node, [
          '/room demo hi all',
          '/chat #demo',
          'second',
          '/history #demo',
          '/room team anyone?',
          '/chat',
          '/history #nowhere 5',
          '/room demo',
          '/history #demo x'
        ])
        const time = (l: string): string => l.replace(/\[\d\d:\d\d\]/g, '[hh:mm]')
        assert.deepEqual(out.slice(out.indexOf('type /help for commands') + 1).map(time), [
          '[#demo] [hh:mm] alice: hi all …',
          'chatting in #demo: plain lines go to its members, /chat alone leaves',
          '[#demo] [hh:mm] alice: second …',
          'last 3 messages in #demo:',
          `${new Date(2024, 4, 17, 14, 5).toDateString() === new Date().toDateString() ? '[hh:mm]' : '[2024-05-17 14:05]'} bob (${shortId(bob)}): hello room`,
          '[hh:mm] alice: hi all …',
          '[hh:mm] alice: second …',
          '[#Team] [hh:mm] alice: anyone?',
          '  #Team has no members yet: the message is kept in its history, but nobody was sent it',
          'left chat mode'
        ])
        assert.deepEqual(err, [
          'error: not in room \'nowhere\': /rooms lists the rooms joined',
          'error: usage: /room <room> <text>',
          'error: usage: /history <peer> | #<room> [n]: n must be an integer from 1 to 1000'
        ])
      })

      void it('on a terminal, chat mode with a room shows #room at the prompt', async () => {
        const demo = await node.join('Demo')
        const input = new PassThrough()
        const stdout = new PassThrough()
        let shown = ''
        stdout.setEncoding('utf8').on('data', (chunk: string) => { shown += chunk })
        const sink = { lines: [] as string[], out (l: string) { this.lines.push(l) }, err (l: string) { this.lines.push(l) } }
        const app = chatApp(node)
        const done = runRepl({ app, output: new JsonOutput(sink), directory: new PeerDirectory(), input, tty: { stdout, terminal: new Terminal(stdout, new PassThrough()) } })
        input.write('/chat #demo\r')
        const deadline = Date.now() + 5000
        while (!shown.includes('#Demo> ') && Date.now() < deadline) await sleep(2)
        input.write('/chat\r')
        while (sink.lines.length < 2 && Date.now() < deadline) await sleep(2)
        input.end()
        assert.equal(await done, 'eof')
        await app.stop()
        // the prompt, the line typed, the next prompt: the room's name as joined, then the plain prompt again
        assert.deepEqual(stripVTControlCharacters(shown).split('\r\n'), ['> /chat #demo', '#Demo> /chat', '> '])
        assert.deepEqual(sink.lines, [JSON.stringify({ type: 'chat', room: 'Demo', id: demo.id }), JSON.stringify({ type: 'chat' })])
      })
    })

    void it('on a terminal, a /join with a key is kept out of the prompt\'s history (the up arrow skips it)', async () => {
      const input = new PassThrough()
      const stdout = new PassThrough()
      const sink = { lines: [] as string[], out (l: string) { this.lines.push(l) }, err (l: string) { this.lines.push(l) } }
      stdout.resume()
      const app = chatApp(node)
      const done = runRepl({ app, output: new JsonOutput(sink), directory: new PeerDirectory(), input, tty: { stdout, terminal: new Terminal(stdout, new PassThrough()) } })
      // the up arrow brings back the line before the /join
      input.write('/rooms\r')
      input.write(`/join team ${KEY}\r`)
      input.write('\u001b[A\r')
      const deadline = Date.now() + 5000
      while (node.calls.length < 3 && Date.now() < deadline) await sleep(2)
      input.end()
      assert.equal(await done, 'eof')
      await app.stop()
      assert.deepEqual(node.calls.filter(c => c !== 'stop'), ['rooms', 'join team with a key', 'rooms'])
    })
  })

  void it('text output: every contact command renders for people', async () => {
    const mallory = await newPeerId()
    node.knownPeers.push(peerView(mallory, 'mallory', false, 'stranger'))
    node.receive(mallory, 'mallory', 'hi alice', Date.now())
    const safety = await node.safety(mallory)
    const { out, err } = await textScript(node, [
      '/requests',
      '/accept mallory',
      '/name mallory Mal',
      '/verify Mal',
      '/safety Mal',
      '/history Mal',
      '/peers',
      '/block Mal',
      '/unblock Mal',
      '/decline Mal',
      '/requests',
      '/name Mal',
      '/name mallory 12D3KooW'
    ])
    const m = shortId(mallory)
    const time = (l: string): string => l.replace(/\[\d\d:\d\d\]/g, '[hh:mm]').replace(/\d\d:\d\d {2}/g, 'hh:mm  ')

    assert.deepEqual(out.slice(out.indexOf('type /help for commands') + 1).map(time), [
      'message request, held until you /accept or /decline:',
      `  mallory (${m}): 1 message, 8 B`,
      `* mallory (${m}) is a contact`,
      `accepted mallory (${m}): a contact now, 1 held message moved to the history`,
      `* Mal (${m}) is a contact`,
      `* Mal (${m}) is a contact, ✓ verified`,
      `safety number with Mal (${m}) (✓ verified):`,
      ...formatSafetyNumber(safety.number).split('\n').map(l => `  ${l}`),
      'you compared it before; if it no longer matches theirs, the key changed: compare again',
      `last 1 message with Mal (${m}):`,
      `[hh:mm] Mal (${m} ✓): hi alice`,
      'NAME   PEER           RELATION            STATUS   RTT  LAST SEEN         ADDRESS',
      ...out.filter(l => l.startsWith('bob ') || l.startsWith('carol ') || l.startsWith('Mal ')).map(time),
      `* Mal (${m}) is blocked: it cannot connect and nothing it sends is stored, ✓ verified`,
      `* Mal (${m}) is a stranger, ✓ verified`,
      `declined Mal (${m}): 0 held messages dropped`,
      'no message requests',
      `* mallory (${m}) is a stranger, ✓ verified`
    ])
    assert.ok(out.some(l => /^Mal {4}…\S{12} {2}contact ✓ verified {2}offline/.test(l)), out.join('\n'))
    assert.deepEqual(err, ['error: usage: /name <peer> [<petname>]: the petname must not be or look like a peer id'])
  })
})

void describe('tab completion', () => {
  const directory = new PeerDirectory()
  directory.replace([peerView('12D3KooWAAAA', 'bob'), peerView('12D3KooWBBBB', 'bobby'), peerView('12D3KooWCCCC', 'two words')])

  void it('completes command names', () => {
    assert.deepEqual(complete('/p', directory), [['/peers '], '/p'])
    assert.deepEqual(complete('/h', directory), [['/history', '/help'], '/h'])
    assert.deepEqual(complete('/e', directory), [['/exit '], '/e'])
    assert.equal(complete('/', directory)[0].length, COMMANDS.length + 1, 'every command, and /exit')
    assert.deepEqual(complete('/bl', directory), [['/block '], '/bl'])
    assert.deepEqual(complete('/re', directory), [['/requests '], '/re'])
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

  void it('completes petnames, after every command that takes a peer', () => {
    directory.onContact({ peerId: '12D3KooWCCCC', relation: 'contact', petname: 'Chris', verified: false })
    for (const command of ['/msg', '/chat', '/history', '/accept', '/decline', '/block', '/unblock', '/name', '/safety', '/verify']) {
      assert.deepEqual(complete(`${command} Ch`, directory), [['Chris '], 'Ch'], command)
    }
    // the nickname stays completable too
    assert.deepEqual(complete('/msg bobb', directory), [['bobby '], 'bobb'])
    directory.onContact({ peerId: '12D3KooWCCCC', relation: 'contact', verified: false })
    assert.deepEqual(complete('/msg Ch', directory), [[], 'Ch'])
  })

  void it('leaves out the nicknames of blocked peers (resolution ignores them), not their petnames or ids', () => {
    const d = new PeerDirectory()
    d.replace([peerView('12D3KooWEEEE', 'eve', false, 'blocked'), peerView('12D3KooWFFFF', 'evan')])
    assert.deepEqual(complete('/msg ev', d), [['evan '], 'ev'])
    d.onContact({ peerId: '12D3KooWEEEE', relation: 'blocked', petname: 'evil', verified: false })
    assert.deepEqual(complete('/unblock ev', d), [['evan', 'evil'], 'ev'])
    assert.deepEqual(complete('/unblock 12D3KooWE', d), [['12D3KooWEEEE '], '12D3KooWE'])
  })
})
