#!/usr/bin/env node
import { main } from './cli/main.ts'

process.exitCode = await main(process.argv.slice(2))

// Everything is stopped by now. Should a stray handle (a socket, a timer)
// still hold the event loop open, do not hang: leave shortly after.
setTimeout(() => { process.exit() }, 2000).unref()
