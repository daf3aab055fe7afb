/**
 * Where output lines go. Without a prompt a line is simply written; while a
 * readline prompt is attached, the prompt and the user's half-typed input are
 * cleared first and redrawn after, so incoming messages appear above it.
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline'
import type { Interface } from 'node:readline'

export interface Sink {
  /** one line of normal output (no trailing newline) */
  out(line: string): void
  /** one line of diagnostics (no trailing newline) */
  err(line: string): void
}

export class Terminal implements Sink {
  private readonly stdout: NodeJS.WritableStream
  private readonly stderr: NodeJS.WritableStream
  private rl?: Interface
  private beforeRedraw?: () => void

  constructor (stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream) {
    this.stdout = stdout
    this.stderr = stderr
  }

  /**
   * From now on, keep the prompt of `rl` (which writes to stdout) below every
   * line; `beforeRedraw` may update the prompt text first.
   */
  attach (rl: Interface, beforeRedraw?: () => void): void {
    this.rl = rl
    this.beforeRedraw = beforeRedraw
    rl.once('close', () => {
      if (this.rl === rl) {
        this.rl = undefined
      }
    })
  }

  out (line: string): void {
    this.write(this.stdout, line)
  }

  err (line: string): void {
    this.write(this.stderr, line)
  }

  private write (stream: NodeJS.WritableStream, line: string): void {
    const rl = this.rl

    if (rl == null) {
      stream.write(`${line}\n`)
      return
    }

    // erase the prompt and input (which may wrap over several rows), print, redraw
    const { rows } = rl.getCursorPos()
    moveCursor(this.stdout, 0, -rows)
    cursorTo(this.stdout, 0)
    clearScreenDown(this.stdout)
    stream.write(`${line}\n`)
    this.beforeRedraw?.()
    rl.prompt(true)
  }
}
