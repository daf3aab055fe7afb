/**
 * What a chat message text may be: the one rule, applied where the user
 * types (the REPL), where a face sends (the application API and the node's
 * send) and where a peer's message arrives (envelope decoding). Pure.
 *
 * Refused: a text with nothing to read (white space, control and invisible
 * format characters only, such as a line of zero-width spaces), and one over
 * MAX_TEXT_BYTES of UTF-8.
 */
import { EmptyMessageError, MessageTooLargeError } from '../errors.ts'
import { MAX_TEXT_BYTES } from './constants.ts'

const NOTHING_TO_READ = /^[\s\p{Cc}\p{Cf}]*$/u

export type TextProblem = 'empty' | 'too-large'

/** Why `text` may not be sent or accepted, or undefined if it may */
export function textProblem (text: string): TextProblem | undefined {
  if (NOTHING_TO_READ.test(text)) {
    return 'empty'
  }

  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
    return 'too-large'
  }

  return undefined
}

/** Returns `text` if it may be sent; throws EmptyMessageError or MessageTooLargeError */
export function validateText (text: string): string {
  const problem = textProblem(text)

  if (problem === 'empty') {
    throw new EmptyMessageError()
  }

  if (problem === 'too-large') {
    throw new MessageTooLargeError(`message is too large: ${Buffer.byteLength(text, 'utf8')} bytes, at most ${MAX_TEXT_BYTES} allowed`)
  }

  return text
}
