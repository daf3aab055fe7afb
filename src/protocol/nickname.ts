/**
 * What a nickname may be, checked the same way where the user chooses one
 * (the CLI, a petname) and where a peer announces one (the handshake, the
 * contact profile). Pure. A name on screen always comes with the peer's
 * short id (`alice (…a1b2c3d4e5f6)`), `[request]` before a stranger's held
 * message and ✓ after a verified peer's id; the rules keep a name from
 * faking those, from passing for a peer id, and from looking like nothing.
 *
 * Refused, in the order checked:
 * - Empty, or more than MAX_NICKNAME_BYTES UTF-8 bytes.
 * - Control characters, line separators, bidirectional-text controls and
 *   invisible format characters (zero-width space, word joiner, BOM, tags):
 *   they could make a name display as another, or break the line. The two
 *   joiners are allowed: the zero-width joiner of emoji sequences and the
 *   zero-width non-joiner of Persian names.
 * - Blank-looking characters: the Hangul fillers (U+115F, U+1160, U+3164,
 *   U+FFA0), the braille blank U+2800 and the other default-ignorable code
 *   points (combining grapheme joiner, Khmer inherent vowels): they print
 *   as nothing, or as a space that is not white space. Variation selectors
 *   (emoji and CJK) and the Mongolian ones stay allowed.
 * - White space other than the ordinary space and the ideographic space: a
 *   hair or thin space between two halves of a peer id would hide the seam.
 * - A name that is only white space and combining marks (nothing to see),
 *   or that starts with a combining mark (it would sit on the character
 *   printed before the name).
 * - Our marks: an ellipsis (… ⋯ ︙, and two or more dots right before a
 *   letter or digit, which is how `…a1b2c3d4e5f6` would be typed), a check
 *   mark (✓ ✔ ☑ ✅ √ 🗸) and square brackets ([ ] and look-alikes). They
 *   are checked on the NFKC form too, so a full-width ［ is a [.
 * - A name that looks like a peer id, judged on its skeleton: NFKC (full
 *   width and mathematical letters become ASCII), Cyrillic and Greek
 *   look-alikes mapped to Latin (LOOKALIKES), lower case, and 0 → o,
 *   I l | → 1 (base58 has neither 0, O, I nor l: a forger would use them
 *   for the o's and 1's of a real id). In the skeleton, refused: a run of
 *   letters and digits that contains the fixed prefix of Ed25519 or
 *   secp256k1 peer ids (12D3KooW, 16Uiu2HA); a name that is a piece of one
 *   ("12D3K"); a run that starts with "qm" and is 12 or more long (SHA-256
 *   peer ids and CIDv0); and any run of 20 or more letters and digits: a
 *   peer id is 46 to 53 base58 characters, no real name has such a run.
 *
 * Kept working: names in any script (José, 李小龙, محمد, Zoë), spaces
 * between words, emoji with their joiners and variation selectors.
 * `<peer>` resolution never lets a nickname outrank a peer id anyway
 * (src/app/resolve.ts); these rules keep such names off the screen too.
 */
import { MAX_NICKNAME_BYTES } from './constants.ts'

const FORBIDDEN = /[\p{Cc}\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/u

/** Printed as nothing or as a blank: default-ignorable code points (bar joiners and variation selectors) and the braille blank */
const BLANK_LOOKING = /\u2800|(?!\u200c|\u200d|[\u180b-\u180f]|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}])\p{Default_Ignorable_Code_Point}/u

/** White space other than U+0020 and the ideographic space U+3000 */
const ODD_SPACE = /(?![ \u3000])\s/u

const ONLY_MARKS_AND_SPACE = /^[\s\p{M}]*$/u

const STARTS_WITH_MARK = /^\p{M}/u

/** The marks the chat renderer puts next to names: ellipsis (short ids), check marks (verified), square brackets ([request], [hh:mm]) */
const OUR_MARKS = /[…⋯︙✓✔☑✅√🗸[\]⁅⁆⟦⟧〚〛⦋-⦐]/u

/** An ellipsis typed as dots: two or more (or middle dots) right before a letter or digit */
const TYPED_ELLIPSIS = /[.·∙⋅・]{2,}[\p{L}\p{N}]/u

/**
 * Cyrillic, Greek and other letters that look like Latin ones (or like
 * digits) in common fonts; not a full confusables table, the ones a forger
 * of a base58 string would reach for first
 */
const LOOKALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ь: 'b', к: 'k', м: 'm', н: 'h', т: 't', п: 'n', г: 'r', ѵ: 'v', з: '3', б: '6',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', У: 'Y', Ү: 'Y', Ѕ: 'S', І: 'I', Ј: 'J', Ԛ: 'Q', Ԝ: 'W', З: '3', Ѵ: 'V', Ь: 'b',
  // Greek
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  α: 'a', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', τ: 't', υ: 'u', χ: 'x', ϲ: 'c', ϳ: 'j',
  // Armenian, Latin extensions
  օ: 'o', ս: 'u', ց: 'g', ı: 'i', ǀ: 'l', ɡ: 'g'
}
const LOOKALIKE_CHARS = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu')

/** The first characters every peer id of a key type shares, as skeletons */
const PEER_ID_PREFIXES = ['12D3KooW', '16Uiu2HA'].map(skeleton)
/** The shortest piece of a prefix refused as a whole name */
const MIN_PREFIX_PIECE = 4
/** SHA-256 peer ids and CIDv0: Qm and 44 characters in all; refused from this length on */
const MIN_QM_RUN = 12
/** No real name has a run of letters and digits this long; every peer id does */
const MAX_ALNUM_RUN = 20

/** What `name` looks like with look-alikes folded together; for comparison only */
function skeleton (name: string): string {
  return name
    .normalize('NFKC')
    .replace(LOOKALIKE_CHARS, c => LOOKALIKES[c] ?? c)
    .replace(/[Il|]/g, '1')
    .toLowerCase()
    .replace(/0/g, 'o')
}

/** Whether `name` is a peer id, or starts or looks like one */
function looksLikePeerId (name: string): boolean {
  const s = skeleton(name.trim())

  if (s.length >= MIN_PREFIX_PIECE && PEER_ID_PREFIXES.some(p => p.startsWith(s))) {
    return true
  }

  for (const [run] of s.matchAll(/[a-z0-9]+/g)) {
    if (run.length >= MAX_ALNUM_RUN || PEER_ID_PREFIXES.some(p => run.includes(p)) || (run.startsWith('qm') && run.length >= MIN_QM_RUN)) {
      return true
    }
  }

  return false
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

  if (BLANK_LOOKING.test(name)) {
    return 'must have no blank-looking characters (Hangul fillers, the braille blank)'
  }

  if (ODD_SPACE.test(name)) {
    return 'must use only ordinary spaces'
  }

  if (ONLY_MARKS_AND_SPACE.test(name)) {
    return 'must not look empty'
  }

  if (STARTS_WITH_MARK.test(name)) {
    return 'must not start with a combining mark'
  }

  const nfkc = name.normalize('NFKC')

  if (OUR_MARKS.test(name) || OUR_MARKS.test(nfkc) || TYPED_ELLIPSIS.test(nfkc)) {
    return 'must have no ellipsis, check mark or square bracket (they mark peer ids, verified peers and requests on screen)'
  }

  if (looksLikePeerId(name)) {
    return 'must not be or look like a peer id'
  }

  return undefined
}
