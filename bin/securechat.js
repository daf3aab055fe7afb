#!/usr/bin/env node
// Launcher for the `securechat` command. Runs the compiled CLI when it has
// been built (`npm run build`, as the Docker image does), otherwise the
// TypeScript sources directly (Node >= 22.6 strips types). libp2p v3 needs
// Node >= 22: on an older Node this re-runs itself on the Node 24 that the
// project's devDependency `node@24` installs, or says what to do.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const compiled = fileURLToPath(new URL('../dist/src/bin.js', import.meta.url))
const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url))
const bundledNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const runsCompiled = major >= 22
const runsSource = major > 22 || (major === 22 && minor >= 6)
const useCompiled = existsSync(compiled)

/**
 * @param {string} node
 * @param {string[]} args
 */
function run (node, args) {
  const child = spawn(node, args, { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { child.kill(signal) })
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143)
  })
}

const sourceArgs = ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', source, ...process.argv.slice(2)]

if (useCompiled && runsCompiled) {
  await import(compiled)
} else if (!useCompiled && runsSource) {
  run(process.execPath, sourceArgs)
} else if (existsSync(bundledNode) && bundledNode !== process.execPath) {
  run(bundledNode, useCompiled ? [compiled, ...process.argv.slice(2)] : sourceArgs)
} else {
  process.stderr.write(`error: securechat needs Node.js >= 22.6, this is ${process.version}; run it with 'npm start' in the project, or install Node 24\n`)
  process.exitCode = 1
}
