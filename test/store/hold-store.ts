/**
 * A child process for level-store.test.ts: opens the store in the data dir
 * given as argv[2], appends one message, prints `open`, then holds the store
 * until stdin ends (or the process is killed).
 */
import { createStore } from '../../src/store/index.ts'
import { message, PEER_A } from './helpers.ts'

const dataDir = process.argv[2]
if (dataDir === undefined) {
  throw new TypeError('usage: hold-store.ts <dataDir>')
}
const store = createStore({ dataDir })
await store.open()
await store.append(message(PEER_A, { text: 'from the child' }))
process.stdout.write('open\n')
process.stdin.resume()
process.stdin.once('end', () => {
  void store.close().then(() => process.exit(0))
})
