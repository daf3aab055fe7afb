/**
 * One run of a started node: node events to the output, `ready`, the REPL,
 * and a clean stop on /quit, end of input, SIGINT or SIGTERM. A second
 * signal while stopping forces the exit (130 for SIGINT, 143 for SIGTERM).
 */
import { toErrorInfo } from './output.ts'
import { runRepl } from './repl.ts'
import type { PeerDirectory } from './directory.ts'
import type { Output } from './output.ts'
import type { Terminal } from './terminal.ts'
import type { ChatNode, ChatNodeEvents } from '../types.ts'

/** What a session needs of `process` for signals; tests pass an EventEmitter */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
}

export interface SessionInit {
  node: ChatNode
  output: Output
  directory: PeerDirectory
  input: NodeJS.ReadableStream
  /** interactive mode (stdin and stdout are TTYs, no --json) */
  tty?: { stdout: NodeJS.WritableStream, terminal: Terminal }
  /** default: process */
  signals?: SignalSource
  /** forced exit on a second signal; default: process.exit */
  exit?: (code: number) => void
}

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
export const EXIT_SIGINT = 130
export const EXIT_SIGTERM = 143

/** Resolves with the exit code once the node has stopped */
export async function runSession (init: SessionInit): Promise<number> {
  const { node, output, directory } = init
  const signals = init.signals ?? process
  const exit = init.exit ?? ((code: number) => process.exit(code))
  const controller = new AbortController()
  let stopping = false

  const interrupt = (code: number): void => {
    if (stopping || controller.signal.aborted) {
      exit(code)
      return
    }

    controller.abort()
  }
  const onSigint = (): void => { interrupt(EXIT_SIGINT) }
  const onSigterm = (): void => { interrupt(EXIT_SIGTERM) }
  signals.on('SIGINT', onSigint)
  signals.on('SIGTERM', onSigterm)

  const unsubscribe = subscribe(node, {
    peer: evt => { directory.onPeer(evt.detail); output.peer(evt.detail) },
    message: evt => {
      directory.onMessage(evt.detail)
      output.message(evt.detail)
      // shown to the user: tell the sender (if read receipts are on)
      node.markRead(evt.detail.from, [evt.detail.id])
    },
    read: evt => { output.read(evt.detail) },
    sent: evt => { output.sent(evt.detail) },
    delivered: evt => { output.delivered(evt.detail) },
    relay: evt => { output.relay(evt.detail) },
    error: evt => { output.error(evt.detail) }
  })

  try {
    output.ready({ peerId: node.peerId, name: node.name, addrs: node.addrs() })

    try {
      directory.replace(await node.peers({ signal: controller.signal }))
    } catch (err) {
      if (!controller.signal.aborted) {
        output.error(toErrorInfo(err))
      }
    }

    await runRepl({
      node,
      output,
      directory,
      input: init.input,
      ...(init.tty != null ? { tty: init.tty } : {})
    }, {
      signal: controller.signal,
      onInterrupt: onSigint
    })

    stopping = true

    try {
      await node.stop()
    } catch (err) {
      output.error(toErrorInfo(err))
      return EXIT_FAILURE
    }

    return EXIT_OK
  } finally {
    unsubscribe()
    signals.off('SIGINT', onSigint)
    signals.off('SIGTERM', onSigterm)
  }
}

type Listeners = { [K in keyof ChatNodeEvents]: (evt: ChatNodeEvents[K]) => void }

/** Adds one listener per event type (the type requires all of them); returns the undo */
function subscribe (node: ChatNode, listeners: Listeners): () => void {
  const added = (Object.keys(listeners) as Array<keyof ChatNodeEvents>)
    .map(type => [type, listeners[type] as (evt: Event) => void] as const)

  for (const [type, listener] of added) {
    node.addEventListener(type, listener)
  }

  return () => {
    for (const [type, listener] of added) {
      node.removeEventListener(type, listener)
    }
  }
}
