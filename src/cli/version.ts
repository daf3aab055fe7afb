/**
 * The package version, read from the package.json above this file (which is
 * two levels up from src/cli and three from dist/src/cli).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

export function version (): string {
  if (cached != null) {
    return cached
  }

  let dir = dirname(fileURLToPath(import.meta.url))

  for (;;) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))

      if (isOurPackage(pkg)) {
        cached = pkg.version
        return cached
      }
    } catch {
      // no (readable) package.json here: keep climbing
    }

    const parent = dirname(dir)

    if (parent === dir) {
      return 'unknown'
    }

    dir = parent
  }
}

function isOurPackage (pkg: unknown): pkg is { version: string } {
  return typeof pkg === 'object' && pkg !== null &&
    (pkg as Record<string, unknown>).name === 'securechat' &&
    typeof (pkg as Record<string, unknown>).version === 'string'
}
