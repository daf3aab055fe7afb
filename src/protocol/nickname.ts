/**
 * What a nickname may be, checked the same way where the user chooses one
 * (the CLI) and where a peer announces one (the handshake). Pure.
 *
 * Refused: empty or blank names, more than MAX_NICKNAME_BYTES UTF-8 bytes,
 * control characters, line separators and bidirectional-text controls (which
 * could make a name display as another), and invisible format characters
 * (zero-width space, word joiner, BOM, tags), which would let two names look
 * the same. The two joiners are allowed: the zero-width joiner of emoji
 * sequences and the zero-width non-joiner of Persian names.
 */
import { MAX_NICKNAME_BYTES } from './constants.ts'

const FORBIDDEN = /[\p{Cc}\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/u

/** Why `name` is not a valid nickname, or undefined if it is */
export function nicknameProblem (name: string): string | undefined {
  if (name.trim() === '') {
    return 'must not be empty'
  }

  if (Buffer.byteLength(name, 'utf8') > MAX_NICKNAME_BYTES) {
    return `must be at most ${MAX_NICKNAME_BYTES} UTF-8 bytes`
  }

  if (FORBIDDEN.test(name)) {
    return 'must have no control, line-separator, text-direction or invisible characters'
  }

  return undefined
}
