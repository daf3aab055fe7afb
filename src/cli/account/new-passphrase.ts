/**
 * Choosing a passphrase on a terminal, at registration and in `passwd`:
 * typed twice, hidden, with zxcvbn's estimate after the first entry; a weak
 * one (score below 3) and none at all are each confirmed after a plain
 * warning. Declining goes back to the first prompt. Where none is not an
 * option (the passphrase of an archive), an empty entry is asked again.
 */
import { MIN_SCORE, describeStrength, estimateStrength } from '../../app/index.ts'
import type { Prompts } from './prompts.ts'

/** What an empty passphrase leaves open, said before the user confirms it */
export const NO_PASSPHRASE_WARNING = 'Without a passphrase, anyone with this disk (or a copy of the data dir) can read your messages and take your identity.'

export interface NewPassphraseOptions {
  /** known to an attacker, so they weaken a passphrase that contains them: the nickname, the user name */
  userInputs?: readonly string[]
  /** the first prompt; default 'New passphrase (empty for none):' */
  message?: string
  /** none is not an option (an archive is always encrypted): an empty entry is asked again */
  required?: boolean
}

/** Said when an empty entry is not accepted */
export const PASSPHRASE_REQUIRED = 'A passphrase is required here: it cannot be empty.'


/** Resolves with the new passphrase, or undefined when the user chose none and confirmed it (never with `required`) */
export async function askNewPassphrase (prompts: Prompts, options: NewPassphraseOptions = {}): Promise<string | undefined> {
  for (;;) {
    const first = await prompts.secret(options.message ?? 'New passphrase (empty for none):')

    if (first === '' && options.required === true) {
      prompts.say(PASSPHRASE_REQUIRED)
      continue
    }

    if (first === '') {
      prompts.say(NO_PASSPHRASE_WARNING)

      if (await prompts.confirm('Continue without a passphrase?')) {
        return undefined
      }
      continue
    }

    const strength = await estimateStrength(first, options.userInputs)
    prompts.say(describeStrength(strength))

    if (strength.score < MIN_SCORE && !await prompts.confirm('This passphrase is easy to guess. Use it anyway?')) {
      continue
    }

    const second = await prompts.secret('Repeat the passphrase:')

    // the store derives the key from the NFC form: the same text typed another way is the same passphrase
    if (second.normalize('NFC') !== first.normalize('NFC')) {
      prompts.say('The two entries differ. Try again.')
      continue
    }

    return first
  }
}
