/**
 * The web face's HTTP server (public face: index.ts): 127.0.0.1 only; every
 * request through the guard (Host, Origin, token); every response with the
 * security headers; the built front end from memory; and a small JSON API
 * over the same application API the REPL and `--json` use:
 *
 *   GET  /api/account            where the account stands (AccountView)
 *   POST /api/account/create     first start: { passphrase?, name?, weak? }
 *   POST /api/account/unlock     { passphrase }
 *   POST /api/strength           { passphrase, name? }: zxcvbn's estimate, as the REPL's first start shows it
 *   POST /api/command            any ChatApi command: { type, ... } → { result }
 *   POST /api/safety             { peer }: the safety command's view, with the
 *                                number in groups and its QR code (SVG), drawn here
 *                                so that the page has one implementation of neither
 *   POST /api/files?peer=&name=  a file's bytes (application/octet-stream), kept in
 *                                <data dir>/uploads and offered to the peer (sendFile)
 *   GET  /api/events             the ChatApi events, server-sent
 *
 * A failure is `{ error: { code, message } }`, `code` the error's name, as
 * `--json` prints it.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { toString as qrSvg } from 'qrcode'
import { MIN_SCORE, describeStrength, estimateStrength, formatSafetyNumber, scannableSafetyPayload } from '../app/index.ts'
import { BODY_TIMEOUT_MS, HEADERS_TIMEOUT_MS, IDLE_TIMEOUT_MS, MAX_BODY_BYTES, MAX_WEB_CONNECTIONS, MAX_EVENT_STREAMS, MAX_UPLOAD_BYTES, UPLOAD_IDLE_TIMEOUT_MS, WEB_HOST, WEB_TOKEN_BYTES } from './constants.ts'
import { AccountClosedError, InvalidRequestBodyError, WebAccessDeniedError } from './errors.ts'
import { streamEvents } from './events.ts'
import { TOKEN_HEADER, judge } from './guard.ts'
import { NO_STORE, SECURITY_HEADERS } from './headers.ts'
import type { AccountGate } from './account.ts'
import type { Asset } from './assets.ts'
import type { ChatApi, Command } from '../app/index.ts'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface WebServerInit {
  /** 0: any free port */
  port: number
  gate: AccountGate
  assets: Map<string, Asset>
  /** @default 32 random bytes, hex */
  token?: string
  /** where files the browser uploads are kept while they are offered (the chat command: `<data dir>/uploads`); none: no uploads */
  uploads?: string
}

/** After a refusal, the client's time to read the answer before the connection is closed */
const CLOSE_GRACE_MS = 500

/** HTTP status of an error a browser gets, by name; any other named error of a command is 422 */
const STATUS: Readonly<Record<string, number>> = {
  WebAccessDeniedError: 401,
  InvalidRequestBodyError: 400,
  InvalidCommandError: 400,
  AccountClosedError: 409,
  AccountStateError: 409,
  WrongPassphraseError: 401,
  TooManyAttemptsError: 429,
  WeakPassphraseError: 400,
  NodeStoppedError: 503
}

export class WebServer {
  private readonly init: WebServerInit
  private readonly token: string
  private readonly server: Server
  private readonly stopping = new AbortController()
  private streams = 0

  constructor (init: WebServerInit) {
    this.init = init
    this.token = init.token ?? randomBytes(WEB_TOKEN_BYTES).toString('hex')
    this.server = createServer({
      // a request's headers within 10 s; no bound on a whole request (an upload of 4 GiB takes long), an idle one is cut below
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: 0,
      connectionsCheckingInterval: 1_000
    }, (req, res) => {
      this.handle(req, res).catch((err: Error) => { this.fail(res, err) })
    })
    // a browser keeps connections open: stop() closes them
    this.server.keepAliveTimeout = 5_000
    this.server.maxConnections = MAX_WEB_CONNECTIONS
    this.server.timeout = IDLE_TIMEOUT_MS
  }

  /**
   * Uploads are kept while they are offered: once a transfer of one ends
   * (complete, failed or declined) its folder goes, and when the account
   * opens, every folder no unfinished transfer still offers goes too (a
   * restart in between).
   */
  private async sweepUploads (app: ChatApi): Promise<void> {
    const uploads = this.init.uploads
    if (uploads == null) return
    const offered = new Set((await app.execute({ type: 'files' })).filter(t => t.direction === 'out' && (t.state === 'offered' || t.state === 'accepted')).map(t => t.path))
    const dirs = await readdir(uploads).catch(() => [])
    for (const dir of dirs) {
      const names = await readdir(join(uploads, dir)).catch(() => [])
      if (!names.some(n => offered.has(join(uploads, dir, n)))) await rm(join(uploads, dir), { recursive: true, force: true })
    }
    app.addEventListener('file', (evt) => {
      void (async () => {
        const transfer = (await app.execute({ type: 'files' })).find(t => t.id === evt.detail.id)
        if (transfer?.direction === 'out' && transfer.path != null && dirname(dirname(transfer.path)) === uploads) {
          await rm(dirname(transfer.path), { recursive: true, force: true })
        }
      })().catch(() => {})
    })
  }

  async start (): Promise<void> {
    void this.init.gate.opened().then(async app => this.sweepUploads(app)).catch(() => {})
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.init.port, WEB_HOST, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  get port (): number {
    return (this.server.address() as AddressInfo).port
  }

  /** The URL to open, with the access token in its fragment (never sent to a server): the one secret of the web face, printed for the user only */
  get url (): string {
    return `http://${WEB_HOST}:${this.port}/#token=${this.token}`
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    this.server.closeAllConnections()
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    const verdict = judge({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      ...(req.headers.host == null ? {} : { host: req.headers.host }),
      ...(req.headers.origin == null ? {} : { origin: req.headers.origin }),
      ...(typeof req.headers[TOKEN_HEADER] === 'string' ? { token: req.headers[TOKEN_HEADER] } : {})
    }, { port: this.port, token: this.token })
    if (verdict.type === 'refuse') {
      // and no more of this connection: a client without the token does not get to stream a body into us
      this.closeAfter(req, res)
      this.json(res, verdict.status, { error: { code: WebAccessDeniedError.name, message: `access denied (${verdict.reason}): open the URL securechat printed, with its token` } })
      return
    }

    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = `${req.method ?? 'GET'} ${path}`
    const { gate } = this.init
    switch (route) {
      case 'GET /api/account':
        this.json(res, 200, await gate.view())
        return
      case 'POST /api/account/create': {
        const body = await readJson(req)
        const app = await gate.create({ ...optionalString(body, 'passphrase'), ...optionalString(body, 'name'), weak: body.weak === true })
        this.json(res, 200, { state: 'open', peerId: app.peerId, name: app.name })
        return
      }
      case 'POST /api/account/unlock': {
        const body = await readJson(req)
        if (body.passphrase != null && typeof body.passphrase !== 'string') throw new InvalidRequestBodyError('unlock: passphrase must be a string')
        const app = await gate.unlock(body.passphrase ?? undefined)
        this.json(res, 200, { state: 'open', peerId: app.peerId, name: app.name })
        return
      }
      case 'POST /api/strength': {
        const body = await readJson(req)
        if (typeof body.passphrase !== 'string') throw new InvalidRequestBodyError('strength: passphrase must be a string')
        const strength = await estimateStrength(body.passphrase, typeof body.name === 'string' ? [body.name] : [])
        this.json(res, 200, { ...strength, enough: strength.score >= MIN_SCORE, text: describeStrength(strength) })
        return
      }
      case 'POST /api/command': {
        const command = await readJson(req)
        // the page offers files by uploading them (POST /api/files): a path on this machine is not the page's to name,
        // so that the token, should it leak, does not also read every file the user can
        if (command.type === 'sendFile') throw new InvalidRequestBodyError('sendFile: offer a file by uploading it (POST /api/files)')
        const result: unknown = await gate.openApp().execute(command as unknown as Command, { signal: this.stopping.signal })
        this.json(res, 200, { result: result ?? null })
        return
      }
      case 'POST /api/safety': {
        const body = await readJson(req)
        if (typeof body.peer !== 'string') throw new InvalidRequestBodyError('safety: peer must be a string')
        const view = await gate.openApp().execute({ type: 'safety', peer: body.peer }, { signal: this.stopping.signal })
        const payload = scannableSafetyPayload(view.number)
        this.json(res, 200, { result: { ...view, formatted: formatSafetyNumber(view.number), payload, qr: await qrSvg(payload, { type: 'svg', margin: 2 }) } })
        return
      }
      case 'POST /api/files': {
        const app = gate.openApp()
        const params = new URL(req.url ?? '/', 'http://localhost').searchParams
        const peer = params.get('peer')
        const name = params.get('name') ?? ''
        if (peer == null || uploadNameProblem(name) != null) throw new InvalidRequestBodyError(`files: ${peer == null ? 'peer missing' : uploadNameProblem(name) ?? ''}`)
        const path = await this.receiveUpload(req, name)
        const transfer = await app.execute({ type: 'sendFile', peer, path }, { signal: this.stopping.signal }).catch(async (err: Error) => {
          await rm(join(path, '..'), { recursive: true, force: true })
          throw err
        })
        this.json(res, 200, { result: transfer })
        return
      }
      case 'GET /api/events': {
        const app = gate.openApp()
        if (this.streams >= MAX_EVENT_STREAMS) {
          this.json(res, 429, { error: { code: 'TooManyStreamsError', message: `at most ${MAX_EVENT_STREAMS} event streams at once: close a tab` } })
          return
        }
        this.streams++
        try {
          await streamEvents(app, res, this.stopping.signal)
        } finally {
          this.streams--
        }
        return
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.json(res, 405, { error: { code: 'MethodNotAllowedError', message: `${req.method ?? ''} ${path}: no such API` } })
      return
    }
    // the front end: a page route (the app routes itself) is index.html
    const asset = this.init.assets.get(path) ?? (path.startsWith('/api/') || path.startsWith('/assets/') ? undefined : this.init.assets.get('/index.html'))
    if (asset == null) {
      this.json(res, 404, { error: { code: 'NotFoundError', message: `${path}: not found` } })
      return
    }
    res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.byteLength, ...(path.startsWith('/assets/') ? { 'cache-control': 'private, max-age=31536000, immutable' } : NO_STORE) })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
  }

  /** The request's bytes into a new folder of the uploads dir (0700), under `name`; at most MAX_UPLOAD_BYTES, never idle for long */
  private async receiveUpload (req: IncomingMessage, name: string): Promise<string> {
    if (this.init.uploads == null) throw new InvalidRequestBodyError('files: this server takes no uploads')
    if (req.headers['content-type'] !== 'application/octet-stream') throw new InvalidRequestBodyError('files: the body must be application/octet-stream')
    const length = Number(req.headers['content-length'] ?? Number.NaN)
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UPLOAD_BYTES) throw new InvalidRequestBodyError(`files: a Content-Length of at most ${MAX_UPLOAD_BYTES} bytes is needed`)
    const dir = join(this.init.uploads, randomBytes(16).toString('hex'))
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const path = join(dir, name)
    req.setTimeout(UPLOAD_IDLE_TIMEOUT_MS, () => { req.destroy(new InvalidRequestBodyError('files: the upload stalled')) })
    try {
      // 'wx': a new file, never one that is there; node reads no more than the declared length, and a body cut short fails the pipeline
      await pipeline(req, createWriteStream(path, { flags: 'wx', mode: 0o600 }))
      if ((await stat(path)).size !== length) throw new InvalidRequestBodyError('files: the upload did not complete')
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    }
    return path
  }

  private fail (res: ServerResponse, err: Error): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const code = typeof err?.name === 'string' && err.name !== 'Error' ? err.name : 'Error'
    const status = STATUS[code] ?? (err instanceof AccountClosedError ? 409 : 422)
    if (err instanceof InvalidRequestBodyError) {
      // what is left of a body refused is not read: the connection goes
      this.closeAfter(res.req, res)
    }
    this.json(res, status, { error: { code, message: err?.message ?? String(err) } })
  }

  /**
   * The answer, then the end of the connection, if the request's body is
   * not read whole: what is left of it is not read (paused: TCP holds the
   * sender back), and a moment after the answer the socket goes (node ends
   * it at once after `connection: close`; the timer is for a client that
   * keeps it open). A client that keeps sending may then lose the answer
   * to the reset: it is not reading anyway.
   */
  private closeAfter (req: IncomingMessage, res: ServerResponse): void {
    // a body read whole leaves the connection as it is: the browser reuses it
    if (req.complete) return
    res.setHeader('connection', 'close')
    req.pause()
    res.once('finish', () => { setTimeout(() => { req.socket.destroy() }, CLOSE_GRACE_MS).unref() })
  }

  private json (res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...NO_STORE })
    res.end(text)
  }
}

/** The request's body as a JSON object: at most MAX_BODY_BYTES, within BODY_TIMEOUT_MS, `application/json` */
async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    // a form post from another site cannot set this type without a CORS preflight, which we never answer
    throw new InvalidRequestBodyError('the request body must be application/json')
  }
  const chunks: Buffer[] = []
  let length = 0
  const timer = setTimeout(() => { req.destroy(new InvalidRequestBodyError('the request body did not arrive in time')) }, BODY_TIMEOUT_MS)
  try {
    for await (const chunk of req) {
      length += (chunk as Buffer).byteLength
      if (length > MAX_BODY_BYTES) throw new InvalidRequestBodyError(`the request body is over ${MAX_BODY_BYTES} bytes`)
      chunks.push(chunk as Buffer)
    }
  } finally {
    clearTimeout(timer)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new InvalidRequestBodyError('the request body is not JSON', { cause: err })
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequestBodyError('the request body must be a JSON object')
  return value as Record<string, unknown>
}

/** Why `name` cannot be an uploaded file's name (the last component of a path only), or undefined */
function uploadNameProblem (name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'name missing'
  if (/[/\\\0]/.test(name)) return 'name must not hold / \\ or NUL'
  if (Buffer.byteLength(name) > 255) return 'name over 255 bytes'
  return undefined
}

function optionalString<K extends string> (body: Record<string, unknown>, key: K): Partial<Record<K, string>> {
  const value = body[key]
  if (value == null) return {}
  if (typeof value !== 'string') throw new InvalidRequestBodyError(`${key} must be a string`)
  return { [key]: value } as Partial<Record<K, string>>
}
