/**
 * Reliable delivery under faults, in `npm test`: the scenarios of
 * bench/faults.ts (which describes them and their end-of-scenario check),
 * run short. Two real `securechat --json` processes in network namespaces:
 *
 * 1. Crashes: a burst of 1,200 `/msg` lines; the receiver is SIGKILLed and
 *    restarted while it is being delivered, then the sender, which then
 *    takes the lines it had not taken yet.
 * 2. A cable cut: a burst of 400 while the receiver's cable is pulled until
 *    the sender reports that its sends failed, the moment it found the link
 *    dead (libp2p's connection monitor, or the send timeout): it gives up on
 *    messages the receiver may already have stored, and must resend them,
 *    once, when the cable is back.
 * 3. An offline receiver gets 100 messages sent while it was away, across a
 *    restart of the sender.
 *
 * Each ends with every message stored once at the receiver, in the sender's
 * order, and delivered; the verdict lists whatever check failed. The full
 * soaks (5,000 messages through three kills of the receiver, 1,000 through
 * three cuts of 3, 20 and 8 s) run in `npm run bench`, on the same code.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { crashScenario, cutScenario, offlineScenario } from '../../bench/faults.ts'
import type { CrashOptions, CutOptions, OfflineOptions, ScenarioContext, ScenarioResult } from '../../bench/faults.ts'
import { cleanupStale, netnsSkip } from './netns.ts'

const skip = await netnsSkip()
if (skip === false) {
  // namespaces (and processes) left by an earlier, killed run
  await cleanupStale()
}

const TIMEOUT = 600_000

/** One receiver kill and one sender kill; the sender is still taking the burst when it dies */
const CRASH = { messages: 1200, kills: 1, stride: 100 } satisfies CrashOptions
/** One cut, as long as the sender takes to notice */
const CUT = { messages: 400, cuts: ['timeout'], stride: 100 } satisfies CutOptions
const OFFLINE = { messages: 100 } satisfies OfflineOptions

function context (t: TestContext): ScenarioContext {
  return { t, log: line => { t.diagnostic(line) } }
}

function assertVerdict (result: ScenarioResult): void {
  assert.deepEqual(result.verdict.problems, [], `${result.scenario} scenario`)
  assert.equal(result.verdict.ok, true)
}

await test(`receiver SIGKILLed, then sender SIGKILLed, during a ${CRASH.messages} message burst`, { skip, timeout: TIMEOUT }, async (t) => {
  const result = await crashScenario(context(t), CRASH)
  assertVerdict(result)
  assert.deepEqual(result.kills, { receiver: CRASH.kills, sender: 1 })
  // every line of the burst stored, and one more if the sender's kill fell between storing a line and printing it
  assert.ok(result.messages >= CRASH.messages && result.messages <= CRASH.messages + result.unprinted.pending, `${result.messages} messages stored`)
})

await test(`receiver's cable pulled during a ${CUT.messages} message burst, until the sender gives up on it`, { skip, timeout: TIMEOUT }, async (t) => {
  const result = await cutScenario(context(t), CUT)
  assertVerdict(result)
  assert.equal(result.messages, CUT.messages)
  assert.equal(result.cuts.length, CUT.cuts.length)
})

await test('an offline receiver gets what was sent while it was away, across a restart of the sender', { skip, timeout: TIMEOUT }, async (t) => {
  const result = await offlineScenario(context(t), OFFLINE)
  assertVerdict(result)
  // the first message of their meeting, then the queued ones
  assert.equal(result.messages, OFFLINE.messages + 1)
})
