/**
 * One message-text rule at three boundaries: what the user types in the
 * REPL, what a face sends through the application API (a real node and its
 * store), and what a peer's envelope carries. A text refused at one is
 * refused at all three, with the same reason; a text allowed at one is
 * allowed at all three.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { chatApp } from '../../src/app/index.ts'
import { parseLine } from '../../src/cli/chat/commands.ts'
import { createChatNode } from '../../src/node/index.ts'
import { MAX_TEXT_BYTES } from '../../src/protocol/constants.ts'
import { decodeEnvelope, encodeEnvelope, newMessageId } from '../../src/protocol/envelope.ts'
import { textProblem } from '../../src/protocol/text.ts'
import { newPeerId } from '../helpers/peers.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { ChatApi } from '../../src/app/index.ts'

/**
 * The outcome at each boundary: 'ok', or the error's name. At the REPL the
 * text is typed as `/msg bob <text>` (a line is trimmed, so the texts here
 * neither start nor end with white space that JavaScript trims).
 */
function atRepl (text: string): string {
  try {
    parseLine(`/msg bob ${text}`)
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

function atReceiver (text: string): string {
  try {
    decodeEnvelope(encodeEnvelope({ type: 'chat', id: newMessageId(), timestamp: Date.now(), text }))
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

async function atApi (app: ChatApi, peer: string, text: string): Promise<string> {
  try {
    await app.execute({ type: 'send', peer, text })
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

const expected = (text: string): { repl: string, api: string, receiver: string } => {
  const problem = textProblem(text)
  return problem == null
    ? { repl: 'ok', api: 'ok', receiver: 'ok' }
    : { repl: problem === 'empty' ? 'EmptyMessageError' : 'MessageTooLargeError', api: problem === 'empty' ? 'EmptyMessageError' : 'MessageTooLargeError', receiver: 'InvalidEnvelopeError' }
}

void describe('the message-text rule', () => {
  let app: ChatApi
  let peer: string

  before(async () => {
    const dataDir = await tempDir({ after })
    app = chatApp(await createChatNode({ name: 'alice', dataDir, mdns: false, host: '127.0.0.1' }))
    peer = await newPeerId()
  })

  after(async () => { await app?.stop() })

  const cases: Array<[string, string]> = [
    ['zero-width spaces only', '\u200b\u200b'],
    ['zero-width characters of several kinds', '\u200b\u2060\u200b\u200c'],
    ['a word joiner and control characters', '\u2060\u0007'],
    ['one byte over the limit', 'x'.repeat(MAX_TEXT_BYTES + 1)],
    ['two-byte characters over the limit', 'é'.repeat(MAX_TEXT_BYTES / 2 + 1)],
    ['a word', 'hello'],
    ['a word between zero-width spaces', '\u200bhi\u200b'],
    ['exactly the limit', 'é'.repeat(MAX_TEXT_BYTES / 2)]
  ]

  for (const [what, text] of cases) {
    void it(`${what}: the same at the REPL, the API and the receiver`, async () => {
      const want = expected(text)
      assert.deepEqual({ repl: atRepl(text), api: await atApi(app, peer, text), receiver: atReceiver(text) }, want)
    })
  }

  void it('agrees at the REPL and the receiver for any text (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(' ', '\t', '\u200b', '\u200c', '\u2060', '\ufeff', '\u0000', 'a', 'é', '\u{1F600}') }),
      fc.string({ unit: 'grapheme', maxLength: 64 })
    ).filter(t => t !== '' && t === t.trim())
    fc.assert(fc.property(text, t => {
      const want = expected(t)
      return atRepl(t) === want.repl && atReceiver(t) === want.receiver
    }), { numRuns: 2000 })
  })
})
