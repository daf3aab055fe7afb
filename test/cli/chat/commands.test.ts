import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_NICKNAME_BYTES, MAX_ROOM_KEY_BYTES, MAX_ROOM_NAME_BYTES, MAX_TEXT_BYTES, nicknameProblem, roomNameProblem, validateText } from '../../../src/app/index.ts'
import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, keepInHistory, parseLine } from '../../../src/cli/chat/commands.ts'
import * as replCommands from '../../../src/cli/chat/commands.ts'
import { UnknownCommandError } from '../../../src/cli/chat/errors.ts'
import { UsageError } from '../../../src/cli/errors.ts'
import { EmptyMessageError, MessageTooLargeError } from '../../../src/errors.ts'
import { textProblem, validateText as protocolRule } from '../../../src/protocol/text.ts'

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function throwsNamed (line: string, name: string, pattern?: RegExp): void {
  assert.throws(() => parseLine(line), (err: Error) => {
    assert.equal(err.name, name, `${JSON.stringify(line)}: ${err.name}: ${err.message}`)
    if (pattern != null) assert.match(err.message, pattern)
    return true
  })
}

void describe('parseLine', () => {
  void it('parses every command', () => {
    assert.deepEqual(parseLine('/peers'), { type: 'peers' })
    assert.deepEqual(parseLine('/msg bob hello'), { type: 'msg', peer: 'bob', text: 'hello' })
    assert.deepEqual(parseLine('/chat bob'), { type: 'chat', peer: 'bob' })
    assert.deepEqual(parseLine('/chat'), { type: 'chat' })
    assert.deepEqual(parseLine('/history bob'), { type: 'history', peer: 'bob', limit: DEFAULT_HISTORY_LIMIT })
    assert.deepEqual(parseLine('/history bob 5'), { type: 'history', peer: 'bob', limit: 5 })
    assert.deepEqual(parseLine(`/history bob ${MAX_HISTORY_LIMIT}`), { type: 'history', peer: 'bob', limit: MAX_HISTORY_LIMIT })
    assert.deepEqual(parseLine('/history bob 007'), { type: 'history', peer: 'bob', limit: 7 })
    assert.deepEqual(parseLine('/connect /ip4/1.2.3.4/tcp/1/p2p/12D3KooWx'), { type: 'connect', multiaddr: '/ip4/1.2.3.4/tcp/1/p2p/12D3KooWx' })
    assert.deepEqual(parseLine('/whoami'), { type: 'whoami' })
    assert.deepEqual(parseLine('/requests'), { type: 'requests' })
    assert.deepEqual(parseLine('/accept mallory'), { type: 'accept', peer: 'mallory' })
    assert.deepEqual(parseLine('/decline …a1b2c3d4e5f6'), { type: 'decline', peer: '…a1b2c3d4e5f6' })
    assert.deepEqual(parseLine('/block mallory'), { type: 'block', peer: 'mallory' })
    assert.deepEqual(parseLine('/unblock 12D3KooWx'), { type: 'unblock', peer: '12D3KooWx' })
    assert.deepEqual(parseLine('/name bob Bobby'), { type: 'name', peer: 'bob', petname: 'Bobby' })
    assert.deepEqual(parseLine('/name bob'), { type: 'name', peer: 'bob', petname: null })
    assert.deepEqual(parseLine('/safety bob'), { type: 'safety', peer: 'bob' })
    assert.deepEqual(parseLine('/verify bob'), { type: 'verify', peer: 'bob' })
    assert.deepEqual(parseLine('/join demo'), { type: 'join', room: 'demo' })
    assert.deepEqual(parseLine('/join demo s3cret'), { type: 'join', room: 'demo', key: 's3cret' })
    assert.deepEqual(parseLine('/leave demo'), { type: 'leave', room: 'demo' })
    assert.deepEqual(parseLine('/rooms'), { type: 'rooms' })
    assert.deepEqual(parseLine('/room demo hi'), { type: 'post', room: 'demo', text: 'hi' })
    assert.deepEqual(parseLine('/chat #demo'), { type: 'chatRoom', room: 'demo' })
    assert.deepEqual(parseLine('/history #demo 3'), { type: 'roomHistory', room: 'demo', limit: 3 })
    assert.deepEqual(parseLine('/help'), { type: 'help' })
    assert.deepEqual(parseLine('/quit'), { type: 'quit' })
    assert.deepEqual(parseLine('/exit'), { type: 'quit' })
    assert.deepEqual(parseLine('hello there'), { type: 'say', text: 'hello there' })
  })

  void it('ignores blank lines and surrounding white space', () => {
    assert.deepEqual(parseLine(''), { type: 'none' })
    assert.deepEqual(parseLine(' \t '), { type: 'none' })
    assert.deepEqual(parseLine('  /peers  '), { type: 'peers' })
    assert.deepEqual(parseLine('\t/history   bob \t 3  '), { type: 'history', peer: 'bob', limit: 3 })
    assert.deepEqual(parseLine('  hi  '), { type: 'say', text: 'hi' })
  })

  void it('a petname is the rest of the line, its inner white space kept', () => {
    assert.deepEqual(parseLine('/name bob   Bob  the builder  '), { type: 'name', peer: 'bob', petname: 'Bob  the builder' })
    assert.deepEqual(parseLine('/name  bob \t '), { type: 'name', peer: 'bob', petname: null })
    assert.deepEqual(parseLine('/NAME …a1b2c3d4e5f6 🦊 fox'), { type: 'name', peer: '…a1b2c3d4e5f6', petname: '🦊 fox' })
  })

  void it('a petname follows the nickname rule (nicknameProblem): a usage error with the reason', () => {
    for (const [petname, reason] of [
      ['x'.repeat(MAX_NICKNAME_BYTES + 1), nicknameProblem('x'.repeat(MAX_NICKNAME_BYTES + 1))],
      ['a\u200bb', nicknameProblem('a\u200bb')],
      ['evil\u202egnp', nicknameProblem('evil\u202egnp')],
      ['12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2', nicknameProblem('12D3KooWFyTWGpgEFNWfKG3NTbuEnWadx4Gm9c4ubGYxFrWHxgB2')],
      ['12D3K', nicknameProblem('12D3K')]
    ] as const) {
      assert.ok(reason != null, petname)
      throwsNamed(`/name bob ${petname}`, UsageError.name, new RegExp(`^usage: /name <peer> \\[<petname>\\]: the petname ${escapeRegExp(reason)}$`))
    }
    assert.deepEqual(parseLine(`/name bob ${'é'.repeat(MAX_NICKNAME_BYTES / 2)}`), { type: 'name', peer: 'bob', petname: 'é'.repeat(MAX_NICKNAME_BYTES / 2) })
  })

  void it('the REPL refuses exactly the petnames the nickname rule refuses', () => {
    const petname = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.array(fc.constantFrom('\u200b', '\u200d', '\u202e', '\ufeff', '\u0007', ' ', '\t', 'a', 'é', '🦊', '12D3KooW', 'Qm', '1'), { maxLength: 8 }).map(a => a.join('')),
      fc.constantFrom('x'.repeat(MAX_NICKNAME_BYTES), 'x'.repeat(MAX_NICKNAME_BYTES + 1))
    ).map(s => s.replace(/[\n\r\u2028\u2029]/g, ' ').trim())

    fc.assert(fc.property(petname, t => {
      const problem = t === '' ? undefined : nicknameProblem(t)
      let parsed: unknown
      let error: Error | undefined

      try {
        parsed = parseLine(`/name bob ${t}`)
      } catch (err) {
        error = err as Error
      }

      if (problem == null) {
        assert.deepEqual(parsed, { type: 'name', peer: 'bob', petname: t === '' ? null : t }, JSON.stringify(t))
      } else {
        assert.equal(error?.name, UsageError.name, JSON.stringify(t))
        assert.ok(error?.message.endsWith(problem) === true, error?.message)
      }
    }), { numRuns: 1000 })
  })

  void describe('rooms', () => {
    void it('a key is the rest of the line, its inner white space kept exactly', () => {
      assert.deepEqual(parseLine('/join team correct horse  battery\tstaple  '), { type: 'join', room: 'team', key: 'correct horse  battery\tstaple' })
      assert.deepEqual(parseLine('/JOIN  Team \t '), { type: 'join', room: 'Team' })
      assert.deepEqual(parseLine('/join demo #not-a-room /not-a-command'), { type: 'join', room: 'demo', key: '#not-a-room /not-a-command' })
      const longest = 'k'.repeat(MAX_ROOM_KEY_BYTES)
      assert.deepEqual(parseLine(`/join demo ${longest}`), { type: 'join', room: 'demo', key: longest })
    })

    void it('#demo is demo, in /join and /leave; a room id works in /leave', () => {
      assert.deepEqual(parseLine('/join #demo'), { type: 'join', room: 'demo' })
      assert.deepEqual(parseLine('/join #demo key'), { type: 'join', room: 'demo', key: 'key' })
      assert.deepEqual(parseLine('/leave #demo'), { type: 'leave', room: 'demo' })
      assert.deepEqual(parseLine('/leave 5b4841584e6830d200188e8808473261'), { type: 'leave', room: '5b4841584e6830d200188e8808473261' })
      assert.deepEqual(parseLine(`/join ${'é'.repeat(MAX_ROOM_NAME_BYTES / 2)}`), { type: 'join', room: 'é'.repeat(MAX_ROOM_NAME_BYTES / 2) })
    })

    void it('a room name follows the rooms\' rule (roomNameProblem): a usage error with the reason', () => {
      for (const [arg, name] of [
        ['#', ''],
        ['##demo', '#demo'],
        ['x'.repeat(MAX_ROOM_NAME_BYTES + 1), 'x'.repeat(MAX_ROOM_NAME_BYTES + 1)],
        ['a\u200bb', 'a\u200bb'],
        ['evil\u202egnp', 'evil\u202egnp']
      ] as const) {
        const reason = roomNameProblem(name)
        assert.ok(reason != null, arg)
        throwsNamed(`/join ${arg}`, UsageError.name, new RegExp(`^usage: /join <room> \\[<key>\\]: the room name ${escapeRegExp(reason)}$`))
        throwsNamed(`/leave ${arg}`, UsageError.name, new RegExp(`^usage: /leave <room>: the room name ${escapeRegExp(reason)}$`))
      }
    })

    void it('a key too long: a usage error that says so, never the key', () => {
      const key = `secret-${'k'.repeat(MAX_ROOM_KEY_BYTES)}`
      assert.throws(() => parseLine(`/join demo ${key}`), (err: Error) => {
        assert.equal(err.name, UsageError.name)
        assert.equal(err.message, `usage: /join <room> [<key>]: the key is longer than ${MAX_ROOM_KEY_BYTES} bytes`)
        assert.ok(!err.message.includes('secret'))
        return true
      })
      // counted in UTF-8 bytes of its NFC form
      throwsNamed(`/join demo ${'é'.repeat(MAX_ROOM_KEY_BYTES / 2 + 1)}`, UsageError.name, /the key is longer than/)
    })

    void it('usage errors', () => {
      throwsNamed('/join', UsageError.name, /^usage: \/join <room> \[<key>\]$/)
      throwsNamed('/leave', UsageError.name, /^usage: \/leave <room>$/)
      throwsNamed('/leave demo other', UsageError.name, /^usage: \/leave <room>$/)
      throwsNamed('/rooms all', UsageError.name, /^usage: \/rooms$/)
    })

    void it('/room <room> <text>: the text is the rest of the line, its inner white space kept; #demo is demo', () => {
      assert.deepEqual(parseLine('/room demo hi all'), { type: 'post', room: 'demo', text: 'hi all' })
      assert.deepEqual(parseLine('/ROOM  #Demo \t a  b\t c  '), { type: 'post', room: 'Demo', text: 'a  b\t c' })
      assert.deepEqual(parseLine('/room demo /not a command #or-a-room'), { type: 'post', room: 'demo', text: '/not a command #or-a-room' })
      assert.deepEqual(parseLine('/room 5b4841584e6830d200188e8808473261 by id'), { type: 'post', room: '5b4841584e6830d200188e8808473261', text: 'by id' })
    })

    void it('/chat #room and /history #room [n] are the room\'s; a bare argument stays a peer', () => {
      assert.deepEqual(parseLine('/chat #demo'), { type: 'chatRoom', room: 'demo' })
      assert.deepEqual(parseLine('/chat demo'), { type: 'chat', peer: 'demo' })
      assert.deepEqual(parseLine('/history #demo'), { type: 'roomHistory', room: 'demo', limit: DEFAULT_HISTORY_LIMIT })
      assert.deepEqual(parseLine('/history #Demo 7'), { type: 'roomHistory', room: 'Demo', limit: 7 })
      assert.deepEqual(parseLine('/history demo 7'), { type: 'history', peer: 'demo', limit: 7 })
    })

    void it('/room, /chat #room, /history #room: usage errors, the room name rule, the text rule', () => {
      throwsNamed('/room', UsageError.name, /^usage: \/room <room> <text>$/)
      throwsNamed('/room demo', UsageError.name, /^usage: \/room <room> <text>$/)
      throwsNamed('/room demo   ', UsageError.name, /^usage: \/room <room> <text>$/)
      throwsNamed('/room demo \u200b', EmptyMessageError.name)
      throwsNamed(`/room demo ${'x'.repeat(MAX_TEXT_BYTES + 1)}`, MessageTooLargeError.name)
      throwsNamed('/room ##demo hi', UsageError.name, /^usage: \/room <room> <text>: the room name starts with #$/)
      throwsNamed('/room a\u200bb hi', UsageError.name, /^usage: \/room <room> <text>: the room name contains white space, control or invisible characters$/)
      throwsNamed('/chat #', UsageError.name, /^usage: \/chat \[<peer> \| #<room>\]: the room name is empty$/)
      throwsNamed('/chat #demo bob', UsageError.name, /^usage: \/chat/)
      throwsNamed(`/history #${'x'.repeat(MAX_ROOM_NAME_BYTES + 1)}`, UsageError.name, /the room name is longer than/)
      for (const n of ['0', '1001', 'ten']) {
        throwsNamed(`/history #demo ${n}`, UsageError.name, /n must be an integer from 1 to 1000/)
      }
      throwsNamed('/history #demo 5 6', UsageError.name, /^usage: \/history/)
    })

    void it('a /join with a key stays out of the prompt\'s history; every other line stays', () => {
      for (const line of ['/join demo s3cret', '  /JOIN #demo two words', '/join demo\tk']) {
        assert.equal(keepInHistory(line), false, line)
      }
      for (const line of ['/join demo', '/join demo  ', '/leave demo', '/rooms', '/msg bob /join demo key', 'join demo key', '//join demo key', '/joinx demo key']) {
        assert.equal(keepInHistory(line), true, line)
      }
    })
  })

  void it('command names are case-insensitive', () => {
    assert.deepEqual(parseLine('/PEERS'), { type: 'peers' })
    assert.deepEqual(parseLine('/Msg Bob Hi'), { type: 'msg', peer: 'Bob', text: 'Hi' })
  })

  void it('keeps the inner white space of text exactly', () => {
    assert.deepEqual(parseLine('/msg bob   a  b\t c   '), { type: 'msg', peer: 'bob', text: 'a  b\t c' })
    assert.deepEqual(parseLine('a   b  c'), { type: 'say', text: 'a   b  c' })
    assert.deepEqual(parseLine('/msg bob /not a command'), { type: 'msg', peer: 'bob', text: '/not a command' })
  })

  void it('// sends a literal slash', () => {
    assert.deepEqual(parseLine('//shrug ¯\\_(ツ)_/¯'), { type: 'say', text: '/shrug ¯\\_(ツ)_/¯' })
    assert.deepEqual(parseLine('//'), { type: 'say', text: '/' })
    assert.deepEqual(parseLine('///'), { type: 'say', text: '//' })
  })

  void it('unknown commands', () => {
    throwsNamed('/frobnicate', UnknownCommandError.name, /'\/frobnicate'/)
    throwsNamed('/', UnknownCommandError.name)
    throwsNamed('/ peers', UnknownCommandError.name)
    throwsNamed('/msgbob hi', UnknownCommandError.name)
  })

  void it('usage errors say the usage', () => {
    throwsNamed('/msg', UsageError.name, /usage: \/msg <peer> <text>/)
    throwsNamed('/msg bob', UsageError.name, /usage: \/msg <peer> <text>/)
    throwsNamed('/msg bob   ', UsageError.name, /usage: \/msg/)
    throwsNamed('/chat bob alice', UsageError.name, /usage: \/chat \[<peer> \| #<room>\]/)
    throwsNamed('/history', UsageError.name, /usage: \/history <peer> \| #<room> \[n\]/)
    throwsNamed('/history bob 5 6', UsageError.name, /usage: \/history/)
    throwsNamed('/connect', UsageError.name, /usage: \/connect <multiaddr>/)
    throwsNamed('/connect /ip4/1.2.3.4 /tcp/1', UsageError.name, /usage: \/connect/)
    throwsNamed('/peers all', UsageError.name, /usage: \/peers/)
    throwsNamed('/whoami now', UsageError.name, /usage: \/whoami/)
    throwsNamed('/help me', UsageError.name, /usage: \/help/)
    throwsNamed('/quit now', UsageError.name, /usage: \/quit/)
    throwsNamed('/requests bob', UsageError.name, /usage: \/requests$/)
    throwsNamed('/name', UsageError.name, /usage: \/name <peer> \[<petname>\]$/)

    for (const command of ['accept', 'decline', 'block', 'unblock', 'safety', 'verify']) {
      throwsNamed(`/${command}`, UsageError.name, new RegExp(`^usage: /${command} <peer>$`))
      throwsNamed(`/${command} bob alice`, UsageError.name, new RegExp(`^usage: /${command} <peer>$`))
    }

    for (const n of ['0', '-1', '1001', '1.5', 'ten', '1e2', '99999999999999999999']) {
      throwsNamed(`/history bob ${n}`, UsageError.name, /n must be an integer from 1 to 1000/)
    }
  })

  void it('empty text', () => {
    throwsNamed('/msg bob \u200b', EmptyMessageError.name)
    throwsNamed('\u200b\u200d', EmptyMessageError.name)
    throwsNamed('/msg bob \u0007', EmptyMessageError.name)
    assert.throws(() => validateText(''), EmptyMessageError)
    assert.throws(() => validateText(' \n\t'), EmptyMessageError)
  })

  void it('oversize text, counted in UTF-8 bytes', () => {
    const max = 'x'.repeat(MAX_TEXT_BYTES)
    assert.deepEqual(parseLine(`/msg bob ${max}`), { type: 'msg', peer: 'bob', text: max })
    throwsNamed(`/msg bob ${max}x`, MessageTooLargeError.name, new RegExp(`${MAX_TEXT_BYTES + 1} bytes`))
    throwsNamed('é'.repeat(MAX_TEXT_BYTES / 2 + 1), MessageTooLargeError.name)
    assert.equal(validateText('é'.repeat(MAX_TEXT_BYTES / 2)), 'é'.repeat(MAX_TEXT_BYTES / 2))
  })

  void it('never throws anything but the typed errors', () => {
    const typed = new Set(['UnknownCommandError', 'UsageError', 'EmptyMessageError', 'MessageTooLargeError'])
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.tuple(
        fc.constantFrom('/msg', '/chat', '/history', '/connect', '/peers', '/quit', '/exit', '/requests', '/accept', '/decline', '/block', '/unblock', '/name', '/safety', '/verify', '/join', '/leave', '/rooms', '/room', '/', '//', ''),
        fc.array(fc.constantFrom(' ', '\t', 'bob', '0', '5', '1001', '-', '\u200b', 'é', '12D3KooW', '\u202e', '#', 'x'.repeat(MAX_ROOM_NAME_BYTES)), { maxLength: 6 }))
        .map(([c, parts]) => c + parts.join(''))
    )

    fc.assert(fc.property(line, line => {
      try {
        const command = parseLine(line)
        assert.ok(typeof command.type === 'string')
      } catch (err) {
        assert.ok(err instanceof Error && typed.has(err.name), `unexpected ${String(err)} for ${JSON.stringify(line)}`)
      }
    }), { numRuns: 2000 })
  })

  void it('text round trip: /msg and plain lines give back what was typed', () => {
    // what a user can type as a message: one line, no surrounding white space, something visible
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
      .map(s => s.replace(/[\n\r\u2028\u2029]/g, ' ').trim())
      .filter(s => !/^[\s\p{Cc}\p{Cf}]*$/u.test(s))

    fc.assert(fc.property(text, fc.constantFrom(' ', '  ', '\t'), (t, sep) => {
      assert.deepEqual(parseLine(`/msg bob${sep}${t}`), { type: 'msg', peer: 'bob', text: t })
      // a line starting with a slash is typed with one more slash
      assert.deepEqual(parseLine(t.startsWith('/') ? `/${t}` : t), { type: 'say', text: t })
    }), { numRuns: 1000 })
  })

  void describe('the message-text rule is the one rule', () => {
    void it('a line of zero-width spaces is EmptyMessageError, as the app says', () => {
      throwsNamed('\u200b\u200b', EmptyMessageError.name)
      throwsNamed('/msg bob \u200b\u200b', EmptyMessageError.name)
      assert.throws(() => validateText('\u200b\u200b'), EmptyMessageError)
    })

    void it('the REPL checks text with the function the app exports, the protocol\'s', () => {
      assert.equal(validateText, protocolRule)
      assert.ok(!('validateText' in replCommands), 'the REPL parser has no rule of its own')
    })

    void it('the REPL refuses exactly the texts the app refuses, with the same error', () => {
      const text = fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.array(fc.constantFrom('\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u0007', ' ', '\t', 'a', 'é', '🦊'), { maxLength: 8 }).map(a => a.join('')),
        fc.constantFrom('x'.repeat(MAX_TEXT_BYTES), 'x'.repeat(MAX_TEXT_BYTES + 1), 'é'.repeat(MAX_TEXT_BYTES / 2 + 1))
      ).map(s => s.replace(/[\n\r\u2028\u2029]/g, ' ').trim())

      fc.assert(fc.property(text, t => {
        const problem = textProblem(t)
        let parsed: unknown
        let error: Error | undefined

        try {
          parsed = parseLine(`/msg bob ${t}`)
        } catch (err) {
          error = err as Error
        }

        if (t === '') {
          // nothing after the peer: a usage error, before any text rule
          assert.equal(error?.name, UsageError.name)
        } else if (problem == null) {
          assert.deepEqual(parsed, { type: 'msg', peer: 'bob', text: t })
        } else {
          assert.equal(error?.name, problem === 'empty' ? EmptyMessageError.name : MessageTooLargeError.name, JSON.stringify(t))
          assert.throws(() => validateText(t), { name: error?.name })
        }
      }), { numRuns: 1000 })
    })
  })
})
