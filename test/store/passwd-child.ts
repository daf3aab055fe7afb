/**
 * A child process for passwd.test.ts: changes the passphrase of the data dir
 * given as argv[2] from $PASSWD_OLD to $PASSWD_NEW (unset: none) and, if
 * $PASSWD_KILL_AFTER names a step of the key file's replacement
 * (temp-written, temp-synced, renamed, dir-synced), kills itself with
 * SIGKILL right after that step. Prints `done` if it lives to the end.
 */
import { KEY_FILE_STEPS } from '../../src/store/keyfile-io.ts'
import { rewrapKeyFile } from '../../src/store/passwd.ts'
import type { KeyFileStep } from '../../src/store/keyfile-io.ts'

const dataDir = process.argv[2]
const killAfter = process.env.PASSWD_KILL_AFTER
if (dataDir === undefined || (killAfter !== undefined && !(KEY_FILE_STEPS as readonly string[]).includes(killAfter))) {
  throw new TypeError(`usage: PASSWD_KILL_AFTER=<${KEY_FILE_STEPS.join('|')}> passwd-child.ts <dataDir>`)
}

await rewrapKeyFile(dataDir, process.env.PASSWD_OLD, process.env.PASSWD_NEW, {
  // the cheapest cost the decoder accepts: the test is about the steps, not scrypt
  params: { N: 2 ** 14, r: 8, p: 1 },
  afterStep: (step: KeyFileStep) => {
    if (step === killAfter) {
      process.kill(process.pid, 'SIGKILL')
    }
  }
})
process.stdout.write('done\n')
