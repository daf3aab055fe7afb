/**
 * The process around a subcommand: its standard streams, environment,
 * signals and forced exit. main() fills in `process`; tests replace parts.
 */
import type { SignalSource } from './signals.ts'

export interface MainIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  env: Record<string, string | undefined>
  signals: SignalSource
  exit: (code: number) => void
}
