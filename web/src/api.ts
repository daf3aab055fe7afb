/**
 * The web app's one way to the node: the server's JSON API over the same
 * application API the REPL uses (docs/API.md). Commands go as
 * `{ type, ... }`, answers come as `{ result }` or `{ error: { code,
 * message } }`; events come as server-sent events, one per ChatApi event.
 */

export interface AccountView {
  state: 'empty' | 'locked' | 'open'
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
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin'
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

export async function createAccount (init: { name?: string, passphrase?: string }): Promise<AccountView> {
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

export async function unlock (passphrase: string): Promise<AccountView> {
  return call<AccountView>('POST', '/api/account/unlock', { passphrase })
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
  const res = await fetch(`/api/files?${query.toString()}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file, credentials: 'same-origin' })
  const json = await res.json() as { result?: Transfer, error?: { code: string, message: string } }
  if (!res.ok || json.result == null) throw new ApiError(json.error?.code ?? 'Error', json.error?.message ?? `HTTP ${res.status}`)
  return json.result
}

export type EventHandler = (type: string, detail: Record<string, unknown>) => void

export const EVENT_TYPES = ['peer', 'message', 'sent', 'delivered', 'read', 'relay', 'contact', 'room', 'offer', 'offered', 'progress', 'file', 'error'] as const

/** Listens to the node's events until the returned function is called; the browser reconnects a dropped stream, `onOpen` says when */
export function events (handler: EventHandler, onOpen: () => void): () => void {
  const source = new EventSource('/api/events')
  source.addEventListener('open', onOpen)
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (evt) => {
      handler(type, JSON.parse((evt as MessageEvent<string>).data) as Record<string, unknown>)
    })
  }
  return () => { source.close() }
}
