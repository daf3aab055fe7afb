/**
 * Who may talk to the web face, pure. A request is ours only if it names
 * this server in its Host header (a DNS-rebound name does not) and comes
 * from no other Origin (another site's page cannot drive it; a request
 * that changes anything must say where it comes from). The API also needs
 * the access token, in the `x-securechat-token` header: the page takes it
 * from the URL's fragment (`#token=`, never sent to any server), keeps it
 * in its origin's localStorage (its own port's: no other server on
 * 127.0.0.1 sees it, which a cookie would not ensure, cookies ignoring
 * ports) and sends it with every call. A custom header also makes any
 * cross-origin attempt a CORS preflight, which is never answered. The page
 * and its assets are the same public bundle for everyone and need no
 * token. The token is compared in constant time.
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
  /** the x-securechat-token header */
  token?: string
}

export type Verdict =
  | { type: 'allow' }
  | { type: 'refuse', status: 401 | 403, reason: string }

/** The header the page sends the token in */
export const TOKEN_HEADER = 'x-securechat-token'

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
  const path = new URL(request.url, 'http://localhost').pathname
  if (!path.startsWith('/api/')) return safe ? { type: 'allow' } : { type: 'refuse', status: 403, reason: 'only the API takes requests that change anything' }
  if (request.token == null || !same(request.token, init.token)) return { type: 'refuse', status: 401, reason: request.token == null ? 'no token' : 'wrong token' }
  return { type: 'allow' }
}

function same (given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}
