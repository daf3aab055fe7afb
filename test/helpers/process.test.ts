/**
 * The process helpers against a fake CLI: event waiting, failure reports,
 * stopping. No network, no root needed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { is } from './events.ts'
import { ChatProcessError, spawnChat } from './process.ts'
import type { ChatProcessOptions } from './process.ts'

const script = fileURLToPath(new URL('./fixtures/fake-chat.ts', import.meta.url))

function fake (t: ChatProcessOptions['t'], name = 'fake'): ReturnType<typeof spawnChat> {
  return spawnChat({ name, dataDir: '/nonexistent', script, t })
}

await test('waits for past and future events', async (t) => {
  const p = fake(t)
  const ready = await p.waitFor(is('ready'))
  assert.equal(ready.name, 'fake')
  // past: found again without waiting
  assert.equal(await p.waitFor(is('ready'), { timeout: 1 }), ready)
  // future, and only after the mark
  const whoami = await p.request('/whoami', is('whoami'))
  assert.equal(whoami.peerId, ready.peerId)
  const at = p.send('/whoami')
  assert.notEqual(await p.waitFor(is('whoami'), { since: at }), whoami)
  assert.deepEqual(p.all(is('whoami')).length, 2)
  assert.deepEqual(await p.stop(), { code: 0, signal: null, forced: false })
})

await test('a timeout names what was awaited, the last events and stderr', async (t) => {
  const p = fake(t)
  await p.request('/stderr', is('ready'))
  await assert.rejects(p.waitFor(is('message', { text: 'never' }), { timeout: 300 }), (err: Error) => {
    assert.equal(err.name, 'ChatProcessError')
    assert.match(err.message, /timed out after 300 ms while awaiting \{"type":"message","text":"never"\}/)
    assert.match(err.message, /"type":"ready"/)
    assert.match(err.message, /something went wrong/)
    return true
  })
})

await test('a non-JSON stdout line fails waiters and the final check', async (t) => {
  // no `t`: its after hook would (rightly) fail this test
  const p = fake(undefined)
  t.after(async () => { await p.kill('SIGKILL') })
  await p.waitFor(is('ready'))
  const waiting = p.waitFor(is('message'), { timeout: 10_000 })
  p.send('/bad')
  await assert.rejects(waiting, /non-JSON line "this is not JSON"/)
  assert.throws(() => { p.assertClean() }, ChatProcessError)
  await p.kill('SIGKILL')
  assert.deepEqual(p.badLines, ['this is not JSON'])
})

await test('an exit fails waiters at once, with the exit code', async (t) => {
  const p = fake(t)
  await p.waitFor(is('ready'))
  const waiting = p.waitFor(is('message'), { timeout: 10_000 })
  p.send('/crash')
  await assert.rejects(waiting, /exited \(code 3, signal null\)/)
  await assert.rejects(p.waitFor(is('message')), /exited \(code 3/)
  assert.throws(() => p.send('/whoami'), /has exited/)
})

await test('a waiter can be aborted', async (t) => {
  const p = fake(t)
  const controller = new AbortController()
  const waiting = p.waitFor(is('message'), { signal: controller.signal })
  controller.abort(new Error('enough'))
  await assert.rejects(waiting, /enough/)
})

await test('stop() kills a child that ignores /quit', async (t) => {
  const p = fake(t)
  await p.waitFor(is('ready'))
  p.send('/deaf')
  const exit = await p.stop(500)
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL', forced: true })
})
