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
 *
 * Also refused: a name that is a peer id, or starts like one (the fixed
 * prefixes of Ed25519, secp256k1 and SHA-256 peer ids, or a piece of them),
 * so that no one can pass for a peer id on screen or in what the user
 * types. `<peer>` resolution never lets a nickname outrank a peer id anyway
 * (src/app/resolve.ts); this keeps such names off the screen too.
 */
import { MAX_NICKNAME_BYTES } from './constants.ts'

const FORBIDDEN = /[\p{Cc}\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/u

/** The first characters every peer id of a key type shares */
const PEER_ID_PREFIXES = ['12D3KooW', '16Uiu2HA']
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/

/** Whether `name` is a peer id or starts like one */
function looksLikePeerId (name: string): boolean {
  const s = name.trim()

  if (!BASE58.test(s)) {
    return false
  }

  // a piece of a fixed prefix ("12D3K"), or a name that goes on from one
  if (PEER_ID_PREFIXES.some(p => (s.length >= 4 && p.startsWith(s)) || s.startsWith(p))) {
    return true
  }

  // SHA-256 peer ids and CIDv0: Qm and 44 characters in all
  return s.startsWith('Qm') && s.length >= 12
}

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

  if (looksLikePeerId(name)) {
    return 'must not be or look like a peer id'
  }

  return undefined
}
