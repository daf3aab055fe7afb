/**
 * Prompts that answer from a script, for the account flows without a
 * terminal: each secret() takes the next string, each confirm() the next
 * boolean; a prompt of the wrong kind, or one past the end, fails the test.
 * Everything asked and said is recorded, in order. And the process around
 * a subcommand, with or without a terminal.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { PromptCancelledError } from '../../../src/cli/errors.ts'
import type { Prompts } from '../../../src/cli/account/index.ts'
import type { MainIo } from '../../../src/cli/io.ts'
import type { Sink } from '../../../src/cli/terminal.ts'
import { tempDir } from '../../helpers/tmp.ts'

/** A scripted answer; CANCEL is Ctrl+C at that prompt */
export const CANCEL = Symbol('cancel')
export type Answer = string | boolean | typeof CANCEL

export interface ScriptedPrompts extends Prompts {
  /** `secret: <message>`, `confirm: <message>` and `say: <line>`, in order */
  readonly log: string[]
  /** answers not used */
  readonly left: () => number
}

export function scripted (answers: readonly Answer[]): ScriptedPrompts {
  const queue = [...answers]
  const log: string[] = []

  const next = (kind: 'secret' | 'confirm', message: string): Answer => {
    log.push(`${kind}: ${message}`)
    assert.ok(queue.length > 0, `no answer left for ${kind} "${message}"; asked so far:\n${log.join('\n')}`)
    const answer = queue.shift()
    if (answer === CANCEL) {
      throw new PromptCancelledError()
    }
    assert.equal(typeof answer, kind === 'secret' ? 'string' : 'boolean', `${kind} "${message}" got ${String(answer)}`)
    return answer as Answer
  }

  return {
    log,
    left: () => queue.length,
    secret: async message => next('secret', message) as string,
    confirm: async message => next('confirm', message) as boolean,
    say: line => { log.push(`say: ${line}`) }
  }
}

/** A Sink that keeps its lines */
export function recordingSink (): Sink & { out: (line: string) => void, lines: { out: string[], err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] }
  return {
    lines,
    out: line => { lines.out.push(line) },
    err: line => { lines.err.push(line) }
  }
}

/** A MainIo of PassThrough streams, a terminal or not, whose output is kept */
export function fakeIo (options: { tty: boolean, env?: Record<string, string> }): { io: MainIo, input: PassThrough, stdout: () => string, stderr: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty })
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty })
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  return {
    io: { stdin, stdout, stderr, env: options.env ?? {}, signals: new EventEmitter(), exit: () => { assert.fail('no forced exit') } },
    input: stdin,
    stdout: () => out,
    stderr: () => err
  }
}

/** A passphrase file of `mode` (default 0600) in a temp dir of `t` */
export async function secretFile (t: { after: (fn: () => unknown) => void }, name: string, text: string, mode = 0o600): Promise<string> {
  const path = join(await tempDir(t, 'securechat-pass-'), name)
  await writeFile(path, text, { mode })
  await chmod(path, mode)
  return path
}
