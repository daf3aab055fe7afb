/**
 * The app's events to the browser as server-sent events: one `event:
 * <type>` with the event's detail as JSON per ChatApi event, the same
 * events and fields as `--json` (docs/API.md). A client that does not read
 * is dropped once MAX_EVENT_BACKLOG_BYTES wait for it (its page reconnects
 * and reloads what it shows); a comment every EVENT_HEARTBEAT_MS keeps the
 * stream open.
 */
import { CHAT_EVENT_TYPES } from '../app/index.ts'
import { EVENT_HEARTBEAT_MS, MAX_EVENT_BACKLOG_BYTES } from './constants.ts'
import type { ChatApi } from '../app/index.ts'
import type { ServerResponse } from 'node:http'

/** Streams `app`'s events into `res` until either ends; resolves when the stream is over */
export async function streamEvents (app: ChatApi, res: ServerResponse, signal: AbortSignal): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
  // a reconnect waits 2 s
  res.write('retry: 2000\n\n')
  const send = (chunk: string): void => {
    if (res.writableLength > MAX_EVENT_BACKLOG_BYTES) {
      res.destroy()
      return
    }
    res.write(chunk)
  }
  const listeners = CHAT_EVENT_TYPES.map(type => {
    const listener = (evt: Event): void => {
      send(`event: ${type}\ndata: ${JSON.stringify((evt as CustomEvent).detail)}\n\n`)
    }
    app.addEventListener(type, listener)
    return () => { app.removeEventListener(type, listener) }
  })
  const heartbeat = setInterval(() => { send(': keep-alive\n\n') }, EVENT_HEARTBEAT_MS)
  heartbeat.unref()
  try {
    await new Promise<void>(resolve => {
      res.once('close', resolve)
      signal.addEventListener('abort', () => { res.end(); resolve() }, { once: true })
    })
  } finally {
    clearInterval(heartbeat)
    for (const remove of listeners) remove()
  }
}
