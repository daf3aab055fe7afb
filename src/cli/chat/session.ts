/**
 * One run of a started app: `ready`, the app's events to the output, the
 * REPL, and a clean stop on /quit, end of input, SIGINT or SIGTERM. A second
 * signal while stopping forces the exit (signals.ts).
 */
import { CHAT_EVENT_TYPES } from '../../app/index.ts'
import { toErrorInfo } from '../errors.ts'
import { EXIT_FAILURE, EXIT_OK, handleInterrupts } from '../signals.ts'
import { runRepl } from './repl.ts'
import type { ChatApi, ChatEvents, ChatEventType } from '../../app/index.ts'
import type { SignalSource } from '../signals.ts'
import type { Terminal } from '../terminal.ts'
import type { PeerDirectory } from './directory.ts'
import type { Output } from './output.ts'

export interface SessionInit {
  app: ChatApi
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

/** Resolves with the exit code once the app has stopped */
export async function runSession (init: SessionInit): Promise<number> {
  const { app, output, directory } = init
  const interrupts = handleInterrupts(init.signals ?? process, init.exit ?? ((code: number) => process.exit(code)))
  const { signal } = interrupts
  /** an error nobody awaits, unless it is only the stop cutting the work short */
  const report = (err: unknown): void => {
    if (!signal.aborted) {
      output.error(toErrorInfo(err))
    }
  }
  let unsubscribe = (): void => {}

  try {
    try {
      output.ready(await app.execute({ type: 'whoami' }, { signal }))
    } catch (err) {
      report(err)
    }

    unsubscribe = subscribe(app, {
      peer: evt => { directory.onPeer(evt.detail); output.peer(evt.detail) },
      message: evt => {
        directory.onMessage(evt.detail)
        output.message(evt.detail)
        // shown to the user: tell the sender (if read receipts are on; best
        // effort), unless it is a stranger's request: strangers get no
        // receipts; nor a room message: a receipt is for a conversation of two
        if (evt.detail.request !== true && evt.detail.room == null) {
          app.execute({ type: 'markRead', peer: evt.detail.from, ids: [evt.detail.id] }, { signal }).catch(report)
        }
      },
      read: evt => { output.read(evt.detail) },
      sent: evt => { output.sent(evt.detail) },
      delivered: evt => { output.delivered(evt.detail) },
      relay: evt => { output.relay(evt.detail) },
      contact: evt => { directory.onContact(evt.detail); output.contact(evt.detail, 'event') },
      room: evt => {
        if (evt.detail.member != null) directory.see(evt.detail.member, evt.detail.name)
        output.room(evt.detail, 'event')
      },
      offer: evt => { directory.see(evt.detail.from); output.offer(evt.detail) },
      offered: evt => { output.offered(evt.detail) },
      progress: evt => { output.progress(evt.detail) },
      file: evt => { output.file(evt.detail) },
      error: evt => { output.error(evt.detail) }
    })

    try {
      directory.replace(await app.execute({ type: 'peers' }, { signal }))
    } catch (err) {
      report(err)
    }

    await runRepl({
      app,
      output,
      directory,
      input: init.input,
      ...(init.tty != null ? { tty: init.tty } : {})
    }, {
      signal,
      onInterrupt: () => { interrupts.interrupt('SIGINT') }
    })

    interrupts.stopping()

    try {
      await app.stop()
    } catch (err) {
      output.error(toErrorInfo(err))
      return EXIT_FAILURE
    }

    return EXIT_OK
  } finally {
    unsubscribe()
    // progress bars gone, their redraw timer with them
    output.close()
    interrupts.dispose()
  }
}

type Listeners = { [K in ChatEventType]: (evt: ChatEvents[K]) => void }

/** Adds one listener per event type of the app (the type requires all of them); returns the undo */
function subscribe (app: ChatApi, listeners: Listeners): () => void {
  const added = CHAT_EVENT_TYPES.map(type => [type, listeners[type] as (evt: Event) => void] as const)

  for (const [type, listener] of added) {
    app.addEventListener(type, listener)
  }

  return () => {
    for (const [type, listener] of added) {
      app.removeEventListener(type, listener)
    }
  }
}
