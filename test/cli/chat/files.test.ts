/**
 * The faces of file transfer: the REPL's /send, /accept-file,
 * /decline-file and /files through the real application API over a stub
 * node, their `--json` lines and the node's file events; the text lines for
 * people (sanitized file names, the request mark, the line every 10 %
 * without a terminal); the progress bars (cli-progress) drawn as the
 * Terminal's footer, between the output and the prompt.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { before, beforeEach, describe, it } from 'node:test'
import { chatApp, shortId } from '../../../src/app/index.ts'
import { expandPath, parseLine } from '../../../src/cli/chat/commands.ts'
import { PeerDirectory } from '../../../src/cli/chat/directory.ts'
import { JsonOutput } from '../../../src/cli/chat/json-output.ts'
import { BarDisplay, LineDisplay } from '../../../src/cli/chat/progress.ts'
import { runSession } from '../../../src/cli/chat/session.ts'
import { TextOutput } from '../../../src/cli/chat/text-output.ts'
import { Terminal } from '../../../src/cli/terminal.ts'
import { newPeerId } from '../../helpers/peers.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { StubNode, peerView } from '../stub-node.ts'
import type { KnownPeer } from '../../../src/cli/chat/directory.ts'
import type { Sink } from '../../../src/cli/terminal.ts'

type Json = Record<string, unknown> & { type: string }

const SHA = 'a'.repeat(64)

/** A `--json` session over `node`; `next(type)` waits for the next line of that type after the last one taken */
function session (node: StubNode): { send: (line: string) => void, next: (type: string) => Promise<Json>, end: () => Promise<number> } {
  const input = new PassThrough()
  const stdout = new PassThrough()
  const lines: Json[] = []
  let read = 0
  let buffer = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as Json)
      buffer = buffer.slice(nl + 1)
    }
  })
  const done = runSession({
    app: chatApp(node),
    output: new JsonOutput(new Terminal(stdout, new PassThrough())),
    directory: new PeerDirectory(),
    input,
    signals: new EventEmitter(),
    exit: () => { assert.fail('no forced exit') }
  })

  return {
    send: line => { input.write(`${line}\n`) },
    next: async (type) => {
      const deadline = Date.now() + 5000
      for (;;) {
        const i = lines.findIndex((l, n) => n >= read && l.type === type)
        if (i >= 0) {
          read = i + 1
          return lines[i] as Json
        }
        if (Date.now() > deadline) assert.fail(`no ${type} line after line ${read}: ${JSON.stringify(lines.slice(read))}`)
        await sleep(2)
      }
    },
    end: async () => { input.end(); return done }
  }
}

void describe('REPL file commands (--json)', () => {
  let me: string, bob: string, stranger: string
  let node: StubNode

  before(async () => {
    [me, bob, stranger] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
  })

  beforeEach(() => {
    node = new StubNode({ peerId: me, name: 'alice', peers: [peerView(bob, 'bob', true), peerView(stranger, 'eve', true, 'stranger')] })
  })

  void it('/send, offered, an offer, /accept-file by a prefix, progress, file, /decline-file, /files: one line each', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'report 2024.pdf')
    await writeFile(file, 'twelve bytes')
    const s = session(node)
    await s.next('ready')
    await sleep(5)

    s.send(`/send bob ${file}`)
    const sent = await s.next('transfer')
    assert.equal(typeof sent.id, 'string')
    assert.deepEqual({ ...sent, id: undefined, sha256: undefined }, {
      type: 'transfer', id: undefined, peer: bob, direction: 'out', name: 'report 2024.pdf', size: 12, sha256: undefined, state: 'offered', bytes: 0, path: file
    })
    node.offerReceived(sent.id as string)
    assert.deepEqual(await s.next('offered'), { type: 'offered', id: sent.id, to: bob, name: 'report 2024.pdf', size: 12, sha256: sent.sha256 })

    const one = node.offerFile(stranger, 'evil\u202etxt.exe', 5000, `abcd1${'0'.repeat(27)}`)
    assert.deepEqual(await s.next('offer'), { type: 'offer', id: one.id, from: stranger, name: 'evil\u202etxt.exe', size: 5000, sha256: one.sha256, request: true })
    const two = node.offerFile(bob, 'notes.txt', 100, `abcd2${'0'.repeat(27)}`)
    assert.deepEqual(await s.next('offer'), { type: 'offer', id: two.id, from: bob, name: 'notes.txt', size: 100, sha256: two.sha256 })
    const auto = node.offerFile(bob, 'photo.jpg', 100, `fedc1${'0'.repeat(27)}`, true)
    assert.deepEqual(await s.next('offer'), { type: 'offer', id: auto.id, from: bob, name: 'photo.jpg', size: 100, sha256: auto.sha256, accepted: true }, 'auto-accepted: said so')

    s.send('/accept-file abcd')
    const ambiguous = await s.next('error')
    assert.equal(ambiguous.code, 'AmbiguousTransferError')
    assert.match(ambiguous.message as string, /starts 2 file transfers: abcd10000000 from …\w+, abcd20000000 from …\w+; type more of the id/)
    assert.ok(!(ambiguous.message as string).includes('evil'), 'no file name in the message')
    s.send('/accept-file ABCD1')
    assert.deepEqual(await s.next('transfer'), { type: 'transfer', id: one.id, peer: stranger, direction: 'in', name: 'evil\u202etxt.exe', size: 5000, sha256: one.sha256, state: 'accepted', bytes: 0, request: true })
    assert.ok(node.calls.includes(`acceptFile ${one.id}`), 'the node is given the full id')

    node.fileProgress(one.id, 2500, 1000, 'relay')
    assert.deepEqual(await s.next('progress'), { type: 'progress', id: one.id, bytes: 2500, size: 5000, rate: 1000, via: 'relay' })
    node.fileDone(one.id, 'complete', { path: '/dl/evil.txt' })
    assert.deepEqual(await s.next('file'), { type: 'file', id: one.id, status: 'complete', path: '/dl/evil.txt' })
    node.fileDone(sent.id as string, 'failed', { reason: 'the receiver\'s SHA-256 check failed' })
    assert.deepEqual(await s.next('file'), { type: 'file', id: sent.id, status: 'failed', reason: 'the receiver\'s SHA-256 check failed' })

    s.send('/decline-file abcd2')
    assert.deepEqual(await s.next('file'), { type: 'file', id: two.id, status: 'declined' })
    assert.equal((await s.next('transfer')).state, 'declined')

    s.send('/files')
    const files = await s.next('files')
    assert.deepEqual((files.files as Json[]).map(f => [f.id, f.direction, f.state]), [[sent.id, 'out', 'failed'], [one.id, 'in', 'complete'], [two.id, 'in', 'declined'], [auto.id, 'in', 'accepted']])
    assert.deepEqual(Object.keys((files.files as Json[])[1] ?? {}).sort(), ['bytes', 'direction', 'id', 'name', 'path', 'peer', 'request', 'sha256', 'size', 'state'])

    assert.equal(await s.end(), 0)
  })

  void it('the errors: usage, an id too short or not hex, no such offer, a missing file, a directory, a blocked peer; outgoing ids are not candidates', async (t) => {
    const dir = await tempDir(t)
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'a'), 'a')
    const mallory = await newPeerId()
    node.knownPeers.push(peerView(mallory, 'mallory', false, 'blocked'))
    const ours = await node.sendFile(bob, join(dir, 'a'))
    const s = session(node)
    await s.next('ready')

    const expect = async (line: string, code: string, message?: RegExp): Promise<void> => {
      s.send(line)
      const err = await s.next('error')
      assert.equal(err.code, code, line)
      if (message != null) assert.match(err.message as string, message, line)
    }

    await expect('/send', 'UsageError', /usage: \/send <peer> <path>/)
    await expect('/send bob', 'UsageError')
    await expect('/send bob ""', 'UsageError')
    await expect('/accept-file', 'UsageError', /usage: \/accept-file <id>/)
    await expect('/accept-file abc', 'UsageError', /at least 4|4 characters/)
    await expect('/decline-file wxyz', 'UsageError', /hex/)
    await expect('/accept-file abcd ef01', 'UsageError')
    await expect('/files now', 'UsageError')
    await expect('/accept-file ffff', 'UnknownTransferError', /no incoming file transfer starts with 'ffff'/)
    // our own offer is no offer to us
    await expect(`/accept-file ${ours.id.slice(0, 6)}`, 'UnknownTransferError')
    await expect(`/decline-file ${ours.id}`, 'UnknownTransferError')
    await expect(`/send bob ${join(dir, 'missing.txt')}`, 'Error', /ENOENT/)
    await expect(`/send bob ${join(dir, 'sub')}`, 'TypeError', /not a file/)
    await expect(`/send ${mallory} ${join(dir, 'a')}`, 'BlockedPeerError')
    await expect(`/send nobody ${join(dir, 'a')}`, 'UnknownPeerError')
    assert.equal(await s.end(), 0)
  })

  void it('/send: the path is the rest of the line, unquoted, made absolute from the working directory', async () => {
    const s = session(node)
    await s.next('ready')
    s.send('/send bob "some dir/my file.txt"')
    await s.next('error')
    s.send('/send bob  relative name.txt')
    await s.next('error')
    assert.ok(node.calls.includes(`sendFile ${bob} ${resolve('some dir/my file.txt')}`), node.calls.join('\n'))
    assert.ok(node.calls.includes(`sendFile ${bob} ${resolve('relative name.txt')}`), node.calls.join('\n'))
    assert.equal(await s.end(), 0)
  })
})

void describe('file command parsing', () => {
  void it('/send keeps the path whole; /accept-file and /decline-file take one hex id of 4 characters or more', () => {
    assert.deepEqual(parseLine('/send bob  ~/My Documents/a  b.pdf '), { type: 'sendFile', peer: 'bob', path: '~/My Documents/a  b.pdf' })
    assert.deepEqual(parseLine('/send bob \'it is.txt\''), { type: 'sendFile', peer: 'bob', path: 'it is.txt' })
    assert.deepEqual(parseLine('/accept-file 1A2b'), { type: 'acceptFile', id: '1A2b' })
    assert.deepEqual(parseLine('/decline-file 1a2b3c4d'), { type: 'declineFile', id: '1a2b3c4d' })
    assert.deepEqual(parseLine('/files'), { type: 'files' })
  })

  void it('expandPath: ~ and ~/ are home, a relative path starts at the working directory, ~user is relative', () => {
    const where = { home: '/home/alice', cwd: '/work' }
    assert.equal(expandPath('~', where), '/home/alice')
    assert.equal(expandPath('~/a b/c.txt', where), '/home/alice/a b/c.txt')
    assert.equal(expandPath('x/../y.txt', where), '/work/y.txt')
    assert.equal(expandPath('/etc/hosts', where), '/etc/hosts')
    assert.equal(expandPath('~bob/f', where), '/work/~bob/f')
  })
})

function capture (): Sink & { lines: string[], errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: l => { lines.push(l) }, err: l => { errors.push(l) } }
}

void describe('file lines for people', () => {
  const BOB = '12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2'
  const EVE = '12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X'
  const known = new Map<string, KnownPeer>([[BOB, { peerId: BOB, name: 'bob', relation: 'contact' }]])
  const ID = `1a2b3c4d${'0'.repeat(24)}`
  const OUT = `9f8e7d6c${'0'.repeat(24)}`

  function text (): { output: TextOutput, sink: ReturnType<typeof capture> } {
    const sink = capture()
    return { sink, output: new TextOutput(sink, { peers: id => known.get(id) }) }
  }

  void it('an offer: who, the sanitized name, [request] for a stranger, how to answer; the end of each transfer', () => {
    const { output, sink } = text()
    output.offer({ id: ID, from: EVE, name: 'inv\u202eoice\x1b[2J.pdf\nfake line', size: 1536, sha256: SHA, request: true })
    output.offered({ id: OUT, to: BOB, name: 'notes.txt', size: 10, sha256: SHA })
    output.file({ id: ID, status: 'complete', path: '/home/a/dl/invoice.pdf' })
    output.file({ id: OUT, status: 'declined' })
    output.file({ id: 'ffff'.repeat(8), status: 'failed', reason: 'sender\x07 gone' })
    assert.deepEqual(sink.lines, [
      `* [request] ${shortId(EVE)} (${shortId(EVE)}) offers you a file: "inv\ufffdoice\ufffd[2J.pdf fake line" (1.5 KiB)`,
      '  /accept-file 1a2b3c4d to download it, /decline-file 1a2b3c4d to refuse it (not a contact: accept only a file you expect)',
      `* bob (${shortId(BOB)}) has your offer of "notes.txt" (10 B): it is sent once they accept`,
      `✓ received "inv\ufffdoice\ufffd[2J.pdf fake line" from ${shortId(EVE)}: /home/a/dl/invoice.pdf`,
      `* bob (${shortId(BOB)}) declined "notes.txt"`,
      '✗ transfer ffffffff failed: sender\ufffd gone'
    ])
  })

  void it('command results: /send (a stranger said so), /accept-file, /decline-file once after its event, /files as a table', () => {
    const { output, sink } = text()
    const view = { id: ID, peer: EVE, direction: 'in' as const, name: 'a.zip', size: 3 * 1024 * 1024, sha256: SHA, state: 'accepted' as const, bytes: 0, request: true as const }
    output.transfer({ id: OUT, peer: EVE, direction: 'out', name: 'x.bin', size: 5, sha256: SHA, state: 'offered', bytes: 0, path: '/tmp/x.bin', stranger: true }, 'send')
    output.transfer(view, 'accept')
    output.file({ id: ID, status: 'declined' })
    output.transfer({ ...view, state: 'declined' }, 'decline')
    output.transfer({ ...view, state: 'declined' }, 'decline')
    output.files([{ ...view, state: 'accepted', bytes: 1024 * 1024 }, { id: OUT, peer: BOB, direction: 'out', name: 'x.bin', size: 0, sha256: SHA, state: 'complete', bytes: 0 }])
    output.files([])
    const e = shortId(EVE)
    assert.deepEqual(sink.lines, [
      `offering "x.bin" (5 B) to ${e}, stranger, id 9f8e7d6c: it is sent once they accept (/files shows how far it got)`,
      `accepted "a.zip" (3.0 MiB) from ${e}: downloading`,
      `* declined "a.zip" from ${e}`,
      `* declined "a.zip" from ${e}`,
      'ID        DIR   PEER           SIZE     STATE     DONE   NAME',
      `1a2b3c4d  from  ${e}  3.0 MiB  accepted  33 %   "a.zip"`,
      '9f8e7d6c  to    bob            0 B      complete  100 %  "x.bin"',
      'no file transfers yet (/send <peer> <path>)'
    ])
  })

  void it('without a terminal, progress is a line at most every 10 %, none at 0 % or 100 %; the path is said when it starts and when it changes', () => {
    const { output, sink } = text()
    output.offer({ id: ID, from: BOB, name: 'big.iso', size: 1000, sha256: SHA })
    sink.lines.length = 0
    for (const bytes of [0, 50, 99, 100, 150, 199, 420, 430, 990, 1000]) {
      output.progress({ id: ID, bytes, size: 1000, rate: 100, via: bytes < 150 ? 'relay' : 'direct' })
    }
    assert.deepEqual(sink.lines, [
      '* "big.iso" from bob goes through the relay (end-to-end encrypted: the relay cannot read it)',
      '… ↓ "big.iso" from bob (relay): 10 % (100 B of 1000 B, 100 B/s, 9 s left)',
      '* "big.iso" from bob now goes over a direct connection',
      '… ↓ "big.iso" from bob (direct): 40 % (420 B of 1000 B, 100 B/s, 6 s left)',
      '… ↓ "big.iso" from bob (direct): 90 % (990 B of 1000 B, 100 B/s, 1 s left)'
    ])
    const lines = new LineDisplay(l => { sink.lines.push(l) })
    sink.lines.length = 0
    lines.update({ id: 'x', label: 'x', bytes: 600, size: 1000, rate: 0 })
    assert.deepEqual(sink.lines, ['… x: 60 % (600 B of 1000 B, 0 B/s, ? left)'], 'a resumed transfer starts where it is; no rate, no time left')
  })
})

void describe('progress bars', () => {
  void it('one cli-progress bar per transfer with bytes, throughput and time left, cut to the width; gone when it ends', async () => {
    const frames: string[][] = []
    const bars = new BarDisplay({ footer: rows => { frames.push(rows) }, columns: () => 100 })
    try {
      bars.update({ id: 'a', label: '↓ "big.iso" from bob', bytes: 2 * 1024 * 1024, size: 5 * 1024 * 1024, rate: 1024 * 1024 })
      bars.update({ id: 'b', label: `↑ "${'x'.repeat(80)}" to carol`, bytes: 0, size: 10, rate: 0 })
      await sleep(400)
      const rows = frames.at(-1) ?? []
      assert.equal(rows.length, 2, JSON.stringify(frames))
      assert.match(rows[0] ?? '', /^↓ "big\.iso" from bob \[=+-+\] +40% 2\.0 MiB of 5\.0 MiB, 1\.0 MiB\/s, 3 s left$/)
      assert.match(rows[1] ?? '', /^↑ "x+…/)
      assert.ok(rows.every(r => [...r].length <= 99), 'one short of the width')

      bars.end('a')
      await sleep(400)
      assert.equal(frames.at(-1)?.length, 1)
      assert.match(frames.at(-1)?.[0] ?? '', /^↑/)
      bars.end('b')
      assert.deepEqual(frames.at(-1), [], 'the last bar gone: no footer')
    } finally {
      bars.close()
    }
  })

  void it('the Terminal keeps its footer below every line printed, and erases it when it goes', () => {
    const stdout = new PassThrough()
    let written = ''
    stdout.setEncoding('utf8').on('data', (chunk: string) => { written += chunk })
    const terminal = new Terminal(stdout, stdout)
    const take = (): string => { const w = written; written = ''; return w }

    terminal.out('before')
    assert.equal(take(), 'before\n')
    terminal.footer(['bar 1', 'bar 2'])
    assert.equal(take(), '\x1b[1G\x1b[0Jbar 1\nbar 2\n')
    terminal.footer(['bar 1', 'bar 2'])
    assert.equal(take(), '', 'the same rows are not drawn again')
    terminal.out('hello')
    assert.equal(take(), '\x1b[2A\x1b[1G\x1b[0Jhello\nbar 1\nbar 2\n')
    terminal.footer([])
    assert.equal(take(), '\x1b[2A\x1b[1G\x1b[0J')
    terminal.out('after')
    assert.equal(take(), 'after\n')
  })
})
