/**
 * The one writer of `--json` output, for every subcommand: each value is one
 * JSON object on one line, `type` first. Fields that are undefined are left
 * out (JSON.stringify drops them), which is how optional fields are absent.
 */
import type { Sink } from './terminal.ts'

/** The fields of a line; `type` is the writer's */
export type JsonFields = Record<string, unknown> & { type?: never }

/**
 * U+2028 and U+2029 are valid raw in JSON, but some line readers (Python's
 * splitlines, for one) end a line there: escaped, a peer's text cannot split
 * one event into two.
 */
const LINE_SEPARATORS = /[\u2028\u2029]/g

/** One JSON object, as one line without its newline */
function jsonLine (type: string, fields: JsonFields = {}): string {
  return JSON.stringify({ type, ...fields }).replace(LINE_SEPARATORS, c => `\\u${c.charCodeAt(0).toString(16)}`)
}

export class JsonLines {
  private readonly sink: Pick<Sink, 'out'>

  constructor (sink: Pick<Sink, 'out'>) {
    this.sink = sink
  }

  write (type: string, fields: JsonFields = {}): void {
    this.sink.out(jsonLine(type, fields))
  }
}
