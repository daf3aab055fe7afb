/**
 * Asking for the passphrase of a protected data dir on a terminal: up to
 * three tries, each checked (against the key file only, before anything is
 * opened) by the function passed in.
 */
import type { Prompts } from './prompts.ts'

export const LOGIN_TRIES = 3

export interface LoginOptions {
  /** default LOGIN_TRIES */
  tries?: number
  /** default 'Passphrase:' */
  message?: string
}

/**
 * Resolves with the first passphrase `check` accepts. `check` rejects a wrong
 * one with WrongPassphraseError; after the last try that error is thrown.
 * Any other error ends the tries at once.
 */
export async function askPassphrase (prompts: Prompts, check: (passphrase: string | undefined) => Promise<void>, options: LoginOptions = {}): Promise<string> {
  const tries = options.tries ?? LOGIN_TRIES
  let wrong: unknown

  for (let attempt = 1; attempt <= tries; attempt++) {
    const passphrase = await prompts.secret(options.message ?? 'Passphrase:')

    try {
      // an empty entry is no passphrase: a wrong one, and it counts as a try
      await check(passphrase === '' ? undefined : passphrase)
      return passphrase
    } catch (err) {
      if (!(err instanceof Error && err.name === 'WrongPassphraseError')) {
        throw err
      }
      wrong = err
    }

    const left = tries - attempt

    if (left > 0) {
      prompts.say(`Wrong passphrase, ${left} ${left === 1 ? 'try' : 'tries'} left.`)
    }
  }

  throw wrong
}
