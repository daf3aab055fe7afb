/**
 * The built front end (vite, `npm run build:web`), read once at start into
 * memory: a small, fixed set of files, so a request can only ever name one
 * of them (no path from a URL reaches the file system).
 */
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'

export interface Asset {
  body: Buffer
  type: string
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}

/** Every file under `dir`, by URL path (`/index.html`, `/assets/app-1a2b.js`); files of other types are left out */
export async function loadAssets (dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const type = TYPES[extname(entry.name).toLowerCase()]
    if (type == null) continue
    assets.set(`/${relative(dir, path).split(sep).join('/')}`, { body: await readFile(path), type })
  }
  return assets
}
