#!/usr/bin/env node
import { main } from './cli/main.ts'

// Everything this process creates (database files, key file, logs) is
// private to the user: LevelDB's files would otherwise be world-readable, and
// their keys (peer ids, message ids, times) are metadata.
process.umask(0o077)

process.exitCode = await main(process.argv.slice(2))

// Everything is stopped by now, and nothing is left to do: leave as soon as
// the output is written, rather than when the event loop empties. What
// still holds it is libp2p's own: its address manager debounces the peer
// store update that closing the listeners triggers by 1 s, and never
// cancels that timer on stop (libp2p 3.3), so every node stop took a
// second more; a stray socket would hold it for good.
await Promise.all([process.stdout, process.stderr].map(async stream => new Promise(resolve => { stream.write('', resolve) })))
process.exit()
