/**
 * How strong a passphrase is, by zxcvbn (@zxcvbn-ts: dictionaries of common
 * passwords, names and English words, keyboard patterns, dates, l33t), in
 * words for the user. The dictionaries take a quarter of a second to load:
 * they are loaded on first use, never by `--help` or a start that does not
 * ask for a new passphrase.
 */
import type { ZxcvbnFactory } from '@zxcvbn-ts/core'

/** zxcvbn's score: 0 guessable in under 10^3 guesses … 4 needs over 10^10 */
export type Score = 0 | 1 | 2 | 3 | 4

export interface Strength {
  score: Score
  /** what is wrong with it, if zxcvbn names something ("This is a heavily used password.") */
  warning?: string
  /** how to do better */
  suggestions: string[]
}

/** Below this, the user is asked to confirm */
export const MIN_SCORE: Score = 3

const SCORE_WORDS: Record<Score, string> = {
  0: 'very weak',
  1: 'weak',
  2: 'fair',
  3: 'strong',
  4: 'very strong'
}

let factory: Promise<ZxcvbnFactory> | undefined

async function load (): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, common, en] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en')
  ])
  return new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations
  })
}

/**
 * The estimate for `passphrase`; `userInputs` (the nickname, the user name)
 * count as known to an attacker.
 */
export async function estimateStrength (passphrase: string, userInputs: readonly string[] = []): Promise<Strength> {
  factory ??= load()
  const result = (await factory).check(passphrase, ['securechat', ...userInputs])
  const strength: Strength = { score: result.score, suggestions: [...result.feedback.suggestions] }

  if (result.feedback.warning != null && result.feedback.warning !== '') {
    strength.warning = result.feedback.warning
  }

  return strength
}

/** `strength: 1 of 4 (weak). This is a heavily used password. Add more words that are less common.` */
export function describeStrength (strength: Strength): string {
  return [`strength: ${strength.score} of 4 (${SCORE_WORDS[strength.score]}).`, strength.warning, ...strength.suggestions]
    .filter((part): part is string => part != null)
    .join(' ')
}
