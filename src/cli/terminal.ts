/**
 * Where output lines go. Without a prompt a line is simply written; while a
 * readline prompt is attached, the prompt and the user's half-typed input are
 * cleared first and redrawn after, so incoming messages appear above it.
 * A footer (progress bars) sits between the output and the prompt: erased
 * and redrawn the same way, so a line printed goes above it too. Its rows
 * must each fit in one row of the terminal (the caller cuts them).
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
  private footerRows: string[] = []

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

  /** Replaces the footer with `rows` (none: no footer); only for a terminal, where stdout is one */
  footer (rows: readonly string[]): void {
    if (rows.length === this.footerRows.length && rows.every((row, i) => row === this.footerRows[i])) {
      return
    }

    this.redraw(() => {}, [...rows])
  }

  private write (stream: NodeJS.WritableStream, line: string): void {
    this.redraw(() => { stream.write(`${line}\n`) }, this.footerRows)
  }

  /** Erases the prompt and its input (which may wrap over several rows) and the footer, prints, draws the footer and the prompt again */
  private redraw (print: () => void, footer: string[]): void {
    const rl = this.rl

    if (rl == null && this.footerRows.length === 0 && footer.length === 0) {
      print()
      return
    }

    const rows = (rl?.getCursorPos().rows ?? 0) + this.footerRows.length
    moveCursor(this.stdout, 0, -rows)
    cursorTo(this.stdout, 0)
    clearScreenDown(this.stdout)
    print()
    this.footerRows = footer

    for (const row of footer) {
      this.stdout.write(`${row}\n`)
    }

    if (rl != null) {
      this.beforeRedraw?.()
      rl.prompt(true)
    }
  }
}
