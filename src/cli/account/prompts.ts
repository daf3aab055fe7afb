/**
 * What the account flows ask of the user, as an interface the tests replace;
 * and the real one on a terminal, with Inquirer's prompts (hidden input,
 * masked with `*`; yes or no). Loaded only when a prompt is shown.
 */
import { PromptCancelledError } from '../errors.ts'

export interface Prompts {
  /** hidden input; rejects PromptCancelledError on Ctrl+C or Ctrl+D */
  secret(message: string): Promise<string>
  /** yes or no, no by default; rejects PromptCancelledError on Ctrl+C or Ctrl+D */
  confirm(message: string): Promise<boolean>
  /** one line for the user between prompts (no trailing newline) */
  say(line: string): void
}

export interface PromptIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream
  /** aborts an open prompt (a stop signal), which then rejects PromptCancelledError */
  signal?: AbortSignal
}

/** Inquirer's errors for Ctrl+C (ExitPromptError) and an aborted prompt (AbortPromptError) */
const CANCELLED = new Set(['ExitPromptError', 'AbortPromptError'])

/** Prompts on the terminal of `io` (stdin and stdout must be a TTY) */
export function terminalPrompts (io: PromptIo): Prompts {
  /**
   * Runs one Inquirer prompt. Ctrl+D closes Inquirer's readline without
   * settling the prompt, which would then never resolve: it is watched for
   * here and aborts the prompt.
   */
  const ask = async <T>(prompt: (context: { input: NodeJS.ReadableStream, output: NodeJS.WritableStream, signal: AbortSignal }) => Promise<T>): Promise<T> => {
    const controller = new AbortController()
    const onKeypress = (_: unknown, key?: { ctrl?: boolean, name?: string }): void => {
      if (key?.ctrl === true && key.name === 'd') {
        controller.abort()
      }
    }
    io.stdin.on('keypress', onKeypress)

    try {
      const signal = io.signal != null ? AbortSignal.any([io.signal, controller.signal]) : controller.signal
      return await prompt({ input: io.stdin, output: io.stdout, signal })
    } catch (err) {
      if (err instanceof Error && CANCELLED.has(err.name)) {
        throw new PromptCancelledError(undefined, { cause: err })
      }
      throw err
    } finally {
      io.stdin.off('keypress', onKeypress)
    }
  }

  return {
    secret: async message => {
      const { default: password } = await import('@inquirer/password')
      // no Ctrl+T to show it: the passphrase must never be on screen
      return ask(async context => password({ message, mask: true, toggleMask: false }, context))
    },
    confirm: async message => {
      const { default: confirm } = await import('@inquirer/confirm')
      return ask(async context => confirm({ message, default: false }, context))
    },
    say: line => { io.stdout.write(`${line}\n`) }
  }
}
