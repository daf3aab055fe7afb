/**
 * Who may talk to the web face, pure: a request is ours only if it names
 * this server in its Host header (a DNS-rebound name does not), comes from
 * no other Origin (another site's page cannot drive it; a state-changing
 * request must say where it comes from), and carries the access token,
 * in the query string once (the URL securechat printed) and then in an
 * HttpOnly, SameSite=Strict cookie, as notebook servers do. The token is
 * compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto'

export interface GuardInit {
  port: number
  token: string
}

/** What the guard reads of a request */
export interface RequestFacts {
  method: string
  /** the request target: path and query */
  url: string
  host?: string
  origin?: string
  cookie?: string
}

export type Verdict =
  | { type: 'allow' }
  /** the token came in the URL: set the cookie and send the browser to the same place without it */
  | { type: 'login', location: string, cookie: string }
  | { type: 'refuse', status: 401 | 403, reason: string }

/** The cookie's name: cookies do not tell ports apart, so two nodes on one machine need two names */
export function cookieName (port: number): string {
  return `securechat-${port}`
}

/** The origins this server is reached under */
export function origins (port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

export function judge (request: RequestFacts, init: GuardInit): Verdict {
  const allowed = origins(init.port)
  if (request.host == null || !allowed.includes(`http://${request.host.toLowerCase()}`)) {
    return { type: 'refuse', status: 403, reason: 'wrong Host header' }
  }
  if (request.origin != null && !allowed.includes(request.origin.toLowerCase())) {
    return { type: 'refuse', status: 403, reason: 'request from another origin' }
  }
  const safe = request.method === 'GET' || request.method === 'HEAD'
  if (!safe && request.origin == null) {
    // browsers send Origin with every POST: one without it is not from our page
    return { type: 'refuse', status: 403, reason: 'no Origin header' }
  }

  const url = new URL(request.url, 'http://localhost')
  const fromQuery = url.searchParams.get('token')
  if (fromQuery != null) {
    if (!same(fromQuery, init.token)) return { type: 'refuse', status: 401, reason: 'wrong token' }
    if (!safe) return { type: 'allow' }
    url.searchParams.delete('token')
    const cookie = `${cookieName(init.port)}=${init.token}; HttpOnly; SameSite=Strict; Path=/`
    return { type: 'login', location: `${url.pathname}${url.search}`, cookie }
  }
  const fromCookie = readCookie(request.cookie, cookieName(init.port))
  if (fromCookie != null && same(fromCookie, init.token)) return { type: 'allow' }
  return { type: 'refuse', status: 401, reason: 'no token' }
}

function same (given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

function readCookie (header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
