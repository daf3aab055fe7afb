#!/usr/bin/env node
import { main } from './cli/main.ts'

// Everything this process creates (database files, key file, logs) is
// private to the user: LevelDB's files would otherwise be world-readable, and
// their keys (peer ids, message ids, times) are metadata.
process.umask(0o077)

process.exitCode = await main(process.argv.slice(2))

// Everything is stopped by now. Should a stray handle (a socket, a timer)
// still hold the event loop open, do not hang: leave shortly after.
setTimeout(() => { process.exit() }, 2000).unref()
