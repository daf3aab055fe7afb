/**
 * The web app's one way to the node: the server's JSON API over the same
 * application API the REPL uses (docs/API.md). Commands go as
 * `{ type, ... }`, answers come as `{ result }` or `{ error: { code,
 * message } }`; events come as server-sent events, one per ChatApi event.
 *
 * Every call carries the access token in a header. The token comes in the
 * URL's fragment (`#token=`: never sent to a server, not even ours), and is
 * kept in this origin's localStorage, which no other server on 127.0.0.1
 * (another port, another origin) can read; the fragment is then dropped
 * from the address bar.
 */
const TOKEN_HEADER = 'x-securechat-token'
const TOKEN_KEY = 'securechat-token'

/** The token from the fragment of the URL securechat printed (kept), or the one kept before */
function token (): string | undefined {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromUrl != null) {
    localStorage.setItem(TOKEN_KEY, fromUrl)
    history.replaceState(null, '', `${location.pathname}${location.search}`)
    return fromUrl
  }
  return localStorage.getItem(TOKEN_KEY) ?? undefined
}

const accessToken = token()

/** Whether the page has a token at all (else: open the URL securechat printed) */
export function hasToken (): boolean {
  return accessToken != null
}

function headers (more: Record<string, string> = {}): Record<string, string> {
  return { ...(accessToken == null ? {} : { [TOKEN_HEADER]: accessToken }), ...more }
}

export interface AccountView {
  state: 'empty' | 'locked' | 'unprotected' | 'starting' | 'open'
  peerId?: string
  name?: string
}

/** A failure the node reported: `code` is the error's name (docs/API.md, "Errors") */
export class ApiError extends Error {
  readonly code: string

  constructor (code: string, message: string) {
    super(message)
    this.name = code
    this.code = code
  }
}

async function call<T> (method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = await res.json() as { error?: { code: string, message: string } } & T
  if (!res.ok || json.error != null) {
    throw new ApiError(json.error?.code ?? 'Error', json.error?.message ?? `HTTP ${res.status}`)
  }
  return json
}

export async function account (): Promise<AccountView> {
  return call<AccountView>('GET', '/api/account')
}

export async function createAccount (init: { name?: string, passphrase?: string, weak?: boolean }): Promise<AccountView> {
  return call<AccountView>('POST', '/api/account/create', init)
}

/** zxcvbn's estimate of a new passphrase, made by the node (the same as the REPL's first start) */
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4
  warning?: string
  suggestions: string[]
  /** strong enough not to ask for a confirmation */
  enough: boolean
  /** the estimate in words */
  text: string
}

export async function strength (passphrase: string, name: string): Promise<Strength> {
  return call<Strength>('POST', '/api/strength', { passphrase, name })
}

export async function unlock (passphrase?: string): Promise<AccountView> {
  return call<AccountView>('POST', '/api/account/unlock', passphrase == null ? {} : { passphrase })
}

/** Runs one application command and resolves with its result */
export async function command<T = unknown> (cmd: { type: string } & Record<string, unknown>): Promise<T> {
  return (await call<{ result: T }>('POST', '/api/command', cmd)).result
}

/** The safety number of this node and a peer, with what the server draws of it */
export interface SafetyInfo {
  peerId: string
  /** 60 digits */
  number: string
  verified: boolean
  /** in groups of five, four groups a line */
  formatted: string
  /** what the QR code holds */
  payload: string
  /** the QR code, SVG */
  qr: string
}

export async function safety (peer: string): Promise<SafetyInfo> {
  return (await call<{ result: SafetyInfo }>('POST', '/api/safety', { peer })).result
}

/** A file transfer as the node lists it (docs/API.md, TransferView) */
export interface Transfer {
  id: string
  peer: string
  direction: 'in' | 'out'
  name: string
  size: number
  state: 'offered' | 'accepted' | 'complete' | 'failed' | 'declined'
  bytes: number
  path?: string
  request?: true
}

/** Uploads `file` to the node, which offers it to `peer` */
export async function sendFile (peer: string, file: File): Promise<Transfer> {
  const query = new URLSearchParams({ peer, name: file.name })
  const res = await fetch(`/api/files?${query.toString()}`, { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: file })
  const json = await res.json() as { result?: Transfer, error?: { code: string, message: string } }
  if (!res.ok || json.result == null) throw new ApiError(json.error?.code ?? 'Error', json.error?.message ?? `HTTP ${res.status}`)
  return json.result
}

export type EventHandler = (type: string, detail: Record<string, unknown>) => void

export const EVENT_TYPES = ['peer', 'message', 'sent', 'delivered', 'read', 'relay', 'contact', 'room', 'offer', 'offered', 'progress', 'file', 'error'] as const

const RECONNECT_MS = 2_000

/**
 * Listens to the node's events until the returned function is called,
 * reconnecting a dropped stream after 2 s; `onOpen` says when it is
 * (re)connected. A fetch, not an EventSource: that cannot send the token's
 * header.
 */
export function events (handler: EventHandler, onOpen: () => void): () => void {
  const stop = new AbortController()
  const known = new Set<string>(EVENT_TYPES)
  const run = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        const res = await fetch('/api/events', { headers: headers(), signal: stop.signal })
        if (!res.ok || res.body == null) throw new Error(`HTTP ${res.status}`)
        onOpen()
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        while (true) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          // one event per blank-line-separated block: `event: <type>` and `data: <json>`
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const type = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (type != null && data != null && known.has(type)) handler(type, JSON.parse(data) as Record<string, unknown>)
          }
        }
      } catch {
        // dropped, refused or stopped: try again in a moment, unless stopped
      }
      await new Promise(resolve => setTimeout(resolve, RECONNECT_MS))
    }
  }
  void run()
  return () => { stop.abort() }
}
