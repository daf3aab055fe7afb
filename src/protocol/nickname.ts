/**
 * What a nickname may be, checked the same way where the user chooses one
 * (the CLI) and where a peer announces one (the handshake). Pure.
 *
 * Refused: empty or blank names, more than MAX_NICKNAME_BYTES UTF-8 bytes,
 * control characters, line separators and bidirectional-text controls (which
 * could make a name display as another). Other format characters, such as
 * the zero-width joiner in emoji sequences and the zero-width non-joiner of
 * Persian names, are allowed.
 */
import { MAX_NICKNAME_BYTES } from './constants.ts'

const FORBIDDEN = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/** Why `name` is not a valid nickname, or undefined if it is */
export function nicknameProblem (name: string): string | undefined {
  if (name.trim() === '') {
    return 'must not be empty'
  }

  if (Buffer.byteLength(name, 'utf8') > MAX_NICKNAME_BYTES) {
    return `must be at most ${MAX_NICKNAME_BYTES} UTF-8 bytes`
  }

  if (FORBIDDEN.test(name)) {
    return 'must have no control, line-separator or text-direction characters'
  }

  return undefined
}
