/** What the argument tests share: a fixed context, and a check for usage errors */
import assert from 'node:assert/strict'
import { parseArgs } from '../../src/cli/args.ts'
import { UsageError } from '../../src/cli/errors.ts'
import type { ArgsContext } from '../../src/cli/args.ts'

export const CTX: ArgsContext = { env: {}, username: () => 'alice', homedir: () => '/home/alice' }

/** parseArgs(argv) throws a UsageError whose message matches `pattern` */
export function usageError (argv: string[], pattern: RegExp, ctx: ArgsContext = CTX): void {
  assert.throws(() => parseArgs(argv, ctx), (err: Error) => {
    assert.ok(err instanceof UsageError, `${err.name}: ${err.message}`)
    assert.equal(err.name, 'UsageError')
    assert.match(err.message, pattern)
    return true
  })
}
