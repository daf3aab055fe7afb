/**
 * The headers every response of the web face carries: a strict
 * Content-Security-Policy (nothing but this server's own scripts, styles,
 * images and connections; no inline script, no frames, no plugins), no
 * MIME sniffing, no referrer, never framed, and nothing cached that holds
 * data.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // QR codes are drawn as data: URLs
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()'
}

/** API answers and the page itself: never stored */
export const NO_STORE = { 'cache-control': 'no-store' }
