/**
 * The nickname rule, case by case: what it refuses (and why: the problem it
 * names), what it keeps working; then that the handshake and the contact
 * profile apply exactly this rule, both ways.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecordEnvelope } from '@libp2p/peer-record'
import { openProfile, ProfileRecord, sealProfile } from '../../src/profile/record.ts'
import { MAX_NICKNAME_BYTES } from '../../src/protocol/constants.ts'
import { createHello, verifyHello } from '../../src/protocol/handshake.ts'
import { nicknameProblem } from '../../src/protocol/nickname.ts'
import { newPeer } from '../helpers/peers.ts'

/** alice's peer id, and how the chat shows it: …6ES7bpRLMqf */
const ID = '12D3KooWDBegVLZask1Qftk8p8CcD56MgPf68tsHe6ES7bpRLMqf'
const SHORT = ID.slice(-12)

const EMPTY = /must not be empty/
const LENGTH = /at most \d+ UTF-8 bytes/
const INVISIBLE = /no control, line-separator, text-direction or invisible characters/
const BLANK = /no blank-looking characters/
const SPACES = /only ordinary spaces/
const LOOKS_EMPTY = /must not look empty/
const STARTS_WITH_MARK = /must not start with a combining mark/
const MARKS = /no ellipsis, check mark or square bracket/
const PEER_ID = /must not be or look like a peer id/

/** [what it is, the name, the problem] */
const REFUSED: Array<[string, string, RegExp]> = [
  ['empty', '', EMPTY],
  ['only spaces', '   ', EMPTY],
  ['too long', 'x'.repeat(MAX_NICKNAME_BYTES + 1), LENGTH],
  ['too long in bytes, not in characters', 'é'.repeat(MAX_NICKNAME_BYTES / 2 + 1), LENGTH],
  ['an escape sequence', 'evil\u001b[2J', INVISIBLE],
  ['a line break', 'alice\nbob', INVISIBLE],
  ['a bidi override', 'ecila\u202e', INVISIBLE],
  ['a zero-width space', 'ali\u200bce', INVISIBLE],
  ['a Hangul filler (U+3164): prints blank', '\u3164', BLANK],
  ['a Hangul choseong filler (U+115F)', 'a\u115fb', BLANK],
  ['a Hangul jungseong filler (U+1160)', 'a\u1160b', BLANK],
  ['a half-width Hangul filler (U+FFA0)', '\uffa0', BLANK],
  ['the braille blank (U+2800)', '\u2800', BLANK],
  ['the braille blank inside a name', 'alice\u2800\u2800bob', BLANK],
  ['a combining grapheme joiner', 'a\u034fb', BLANK],
  ['an em space run padding a fake id', `alice${'\u2003'.repeat(10)}(…${SHORT})`, SPACES],
  ['a hair space hiding a seam', `12D3\u200aKooW`, SPACES],
  ['a no-break space', 'bob\u00a0smith', SPACES],
  ['only combining marks', '\u0301\u0302\u0303', LOOKS_EMPTY],
  ['a space and combining marks', ' \u0336\u0336 ', LOOKS_EMPTY],
  ['a leading combining mark', '\u0336alice', STARTS_WITH_MARK],
  ['a fake short id', `…${SHORT}`, MARKS],
  ['a peer id shortened with an ellipsis', `12D3KooW…${SHORT}`, MARKS],
  ['a name with a fake id and mark', `alice (…${SHORT} ✓)`, MARKS],
  ['a fake id after Hebrew', `\u05d0\u05d1 (…${SHORT})`, MARKS],
  ['a typed ellipsis before an id', `...${SHORT}`, MARKS],
  ['a two-dot leader before an id', `\u2025${SHORT}`, MARKS],
  ['a midline ellipsis', `⋯${SHORT}`, MARKS],
  ['the verified mark', 'alice ✓ verified', MARKS],
  ['a heavy check mark', 'alice ✔', MARKS],
  ['a ballot box with check', 'alice ☑', MARKS],
  ['a check mark emoji', 'alice ✅', MARKS],
  ['a square root as a check mark', 'alice √', MARKS],
  ['square brackets: a fake [request] or time', '[12:03] alice', MARKS],
  ['a closing bracket', 'alice]', MARKS],
  ['full-width brackets (NFKC: [ ])', '［alice］', MARKS],
  ['white square brackets', '⟦alice⟧', MARKS],
  ['a full peer id', ID, PEER_ID],
  ['a peer id with a Cyrillic о', ID.replace('Koo', 'K\u043eo'), PEER_ID],
  ['a peer id with a Greek ο', ID.replace('Koo', 'Ko\u03bf'), PEER_ID],
  ['a peer id with a trailing dot', `${ID}.`, PEER_ID],
  ['a peer id in lower case', ID.toLowerCase(), PEER_ID],
  ['a peer id in full-width letters', '１２Ｄ３ＫｏｏＷＤＢｅｇＶＬＺ', PEER_ID],
  ['a peer id with zeros for the o\'s', ID.replace('Koo', 'K00'), PEER_ID],
  ['a peer id with l for the 1', ID.replace(/^1/, 'l'), PEER_ID],
  ['a peer id with a Cyrillic З for the 3', ID.replace('3', '\u0417'), PEER_ID],
  ['a peer id cut in two by a space', `${ID.slice(0, 26)} ${ID.slice(26)}`, PEER_ID],
  ['the start of a peer id', ID.slice(0, 12), PEER_ID],
  ['just the fixed prefix', '12D3KooW', PEER_ID],
  ['a piece of the prefix', '12D3K', PEER_ID],
  ['the prefix inside a run', 'x12D3KooWab', PEER_ID],
  ['a secp256k1 prefix', '16Uiu2HAmabc', PEER_ID],
  ['the start of a SHA-256 peer id', 'QmYwAPJzv5CZsnA', PEER_ID],
  ['a run of 20 base58 characters', 'DBegVLZask1Qftk8p8Cc', PEER_ID],
  ['a long tail of a peer id', ID.slice(-24), PEER_ID],
  ['a 20-letter run without spaces', 'Geschwindigkeitsbegrenzung', PEER_ID]
]

/** [what it is, the name] */
const ALLOWED: Array<[string, string]> = [
  ['a plain name', 'Alice'],
  ['a precomposed accent', 'José'],
  ['a combining accent', 'Jose\u0301'],
  ['a diaeresis', 'Zoë'],
  ['Chinese', '李小龙'],
  ['Arabic', 'محمد'],
  ['Korean (not a filler)', '김철수'],
  ['Greek', 'Ελένη'],
  ['Cyrillic', 'Александр'],
  ['Persian with a zero-width non-joiner', 'می\u200cخواهم'],
  ['Japanese with a middle dot', 'ジョン・スミス'],
  ['11 base58 letters', 'Christopher'],
  ['spaces between words', 'Bob the builder'],
  ['an ideographic space', '李 小龙'],
  ['an emoji family (zero-width joiners)', '👨\u200d👩\u200d👧 family'],
  ['an emoji with a variation selector', '❤\ufe0f'],
  ['a rainbow flag (joiner and selector)', '🏳\ufe0f\u200d🌈'],
  ['an emoji with a skin tone', 'ok 👍🏽'],
  ['struck-through letters (marks on letters)', 'a\u0336l\u0336i\u0336c\u0336e'],
  ['initials with dots', 'J.R.R. Tolkien'],
  ['dots at the end', 'alice...'],
  ['parentheses', 'Bob (work)'],
  ['an apostrophe and a hyphen', "Anne-Marie O'Brien"],
  ['digits', 'user_42'],
  ['three characters of a prefix', '12D'],
  ['Qm and a short word', 'Qmail'],
  ['64 bytes exactly', 'ab '.repeat(21) + 'a']
]

void describe('nickname rule', () => {
  for (const [what, name, problem] of REFUSED) {
    void it(`refuses ${what}`, () => {
      assert.match(nicknameProblem(name) ?? 'allowed', problem, JSON.stringify(name))
    })
  }

  for (const [what, name] of ALLOWED) {
    void it(`allows ${what}`, () => {
      assert.equal(nicknameProblem(name), undefined, JSON.stringify(name))
    })
  }
})

void describe('the handshake and the profile apply the nickname rule', () => {
  void it('a Hello: refused names cannot be sent and are rejected on receipt; allowed ones pass both ways', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const now = Date.now()
    const base = { role: 'initiator', initiator: a.id, responder: b.id, privateKey: a.key, now } as const
    const verify = { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now } as const
    const valid = await createHello({ ...base, nickname: 'alice' })

    for (const [what, name] of REFUSED) {
      await assert.rejects(createHello({ ...base, nickname: name }), TypeError, what)
      // the nickname is checked before the signature: a modified client's Hello is rejected the same way
      await assert.rejects(verifyHello({ ...valid.hello, nickname: name }, verify), { name: 'InvalidHandshakeError' }, what)
    }

    for (const [what, name] of ALLOWED) {
      const hello = await createHello({ ...base, nickname: name })
      await assert.doesNotReject(verifyHello(hello.hello, verify), what)
    }
  })

  void it('a profile: refused names cannot be sealed and are rejected when opened; allowed ones pass both ways', async () => {
    const a = await newPeer()

    for (const [what, name] of REFUSED) {
      await assert.rejects(sealProfile({ nickname: name, seq: 1n }, a.key), TypeError, what)
      // what a modified client signs and serves
      const forged = (await RecordEnvelope.seal(new ProfileRecord({ nickname: name, seq: 1n }), a.key)).marshal()
      await assert.rejects(openProfile(forged, a.id), { name: 'InvalidProfileError' }, what)
    }

    for (const [what, name] of ALLOWED) {
      const opened = await openProfile(await sealProfile({ nickname: name, seq: 1n }, a.key), a.id)
      assert.equal(opened.nickname, name, what)
    }
  })
})
