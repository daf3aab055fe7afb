/**
 * The store's write queue (src/store/write-queue.ts) on its own, with a
 * batch function that records what it is given: call order kept, grouped
 * writes that queue up while a batch is on its way go out as one batch
 * (synced once if any asked), an exclusive write breaks a group, a failing
 * prepare fails only itself, a failing batch fails its whole group and
 * triggers recovery before the next write. The same queue under the real
 * LevelDB store is in group-commit.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WriteQueue } from '../../src/store/write-queue.ts'
import type { BatchOp } from '../../src/store/handles.ts'
import type { Prepared } from '../../src/store/write-queue.ts'

/** A fake op naming the write it belongs to (the queue never looks inside) */
function op (name: string): BatchOp {
  return { type: 'del', sublevel: undefined as never, key: name }
}

function recorder (init: { fail?: (batch: number) => boolean, log?: string[] } = {}) {
  const batches: Array<{ keys: string[], sync: boolean }> = []
  const recovered: Error[] = []
  let gate: PromiseWithResolvers<void> | undefined
  const queue = new WriteQueue({
    batch: async (ops, sync) => {
      batches.push({ keys: ops.map(o => o.key), sync })
      const n = batches.length
      if (gate !== undefined) await gate.promise
      if (init.fail?.(n) === true) throw new Error(`batch ${n} failed`)
    },
    recover: async (err) => {
      // slow on purpose: the next write must wait for it
      await new Promise(resolve => setTimeout(resolve, 30))
      recovered.push(err)
      init.log?.push('recovered')
    }
  })
  return {
    queue,
    batches,
    recovered,
    /** holds every batch until release() */
    hold: () => { gate = Promise.withResolvers() },
    release: () => { gate?.resolve(); gate = undefined }
  }
}

function write (name: string, sync = true, seen?: string[]): (overlay: unknown) => Promise<Prepared<string>> {
  return async () => {
    seen?.push(name)
    return { ops: [op(name)], sync, done: () => name }
  }
}

void describe('WriteQueue', () => {
  void it('commits grouped writes that queued up during a batch as one batch, in call order', async () => {
    const r = recorder()
    r.hold()
    const first = r.queue.grouped(write('a'))
    // a is on its way to disk; b..e queue up meanwhile
    await new Promise(resolve => setImmediate(resolve))
    const rest = ['b', 'c', 'd', 'e'].map(async n => r.queue.grouped(write(n)))
    r.release()
    assert.deepEqual(await Promise.all([first, ...rest]), ['a', 'b', 'c', 'd', 'e'])
    assert.deepEqual(r.batches.map(b => b.keys), [['a'], ['b', 'c', 'd', 'e']])
  })

  void it('resolves a write only after the batch holding it is written', async () => {
    const r = recorder()
    r.hold()
    let resolved = false
    const w = r.queue.grouped(write('a')).then(() => { resolved = true })
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(resolved, false, 'resolved before its batch was written')
    r.release()
    await w
    assert.equal(resolved, true)
  })

  void it('syncs a group once if any of its writes asked for it, and not otherwise', async () => {
    const r = recorder()
    r.hold()
    const a = r.queue.grouped(write('a', false))
    await new Promise(resolve => setImmediate(resolve))
    const group1 = [r.queue.grouped(write('b', false)), r.queue.grouped(write('c', true))]
    r.release()
    await Promise.all([a, ...group1])
    await Promise.all([r.queue.grouped(write('d', false))])
    assert.deepEqual(r.batches, [{ keys: ['a'], sync: false }, { keys: ['b', 'c'], sync: true }, { keys: ['d'], sync: false }])
  })

  void it('keeps an exclusive write between the groups before and after it', async () => {
    const r = recorder()
    const order: string[] = []
    r.hold()
    const a = r.queue.grouped(write('a'))
    await new Promise(resolve => setImmediate(resolve))
    const b = r.queue.grouped(write('b', true, order))
    const x = r.queue.exclusive(async () => { order.push('x'); return 'x' })
    const c = r.queue.grouped(write('c', true, order))
    r.release()
    assert.deepEqual(await Promise.all([a, b, x, c]), ['a', 'b', 'x', 'c'])
    assert.deepEqual(order, ['b', 'x', 'c'])
    assert.deepEqual(r.batches.map(b => b.keys), [['a'], ['b'], ['c']])
  })

  void it('fails only the write whose prepare throws; the rest of its group is written', async () => {
    const r = recorder()
    r.hold()
    const a = r.queue.grouped(write('a'))
    await new Promise(resolve => setImmediate(resolve))
    const b = r.queue.grouped(write('b'))
    const bad = r.queue.grouped(async () => { throw new RangeError('over a bound') })
    const c = r.queue.grouped(write('c'))
    r.release()
    await assert.rejects(bad, { name: 'RangeError' })
    assert.deepEqual(await Promise.all([a, b, c]), ['a', 'b', 'c'])
    assert.deepEqual(r.batches.map(b => b.keys), [['a'], ['b', 'c']])
    assert.equal(r.recovered.length, 0)
  })

  void it('fails every write of a batch that fails, recovers before the next write, and goes on', async () => {
    const order: string[] = []
    const r = recorder({ fail: n => n === 2, log: order })
    r.hold()
    const a = r.queue.grouped(write('a'))
    await new Promise(resolve => setImmediate(resolve))
    const group = [r.queue.grouped(write('b')), r.queue.grouped(write('c'))]
    r.release()
    await a
    const d = r.queue.grouped(write('d', true, order))
    for (const w of group) await assert.rejects(w, /batch 2 failed/)
    assert.equal(await d, 'd')
    assert.equal(r.recovered.length, 1)
    assert.deepEqual(order, ['recovered', 'd'], 'the next write ran before recovery finished')
    assert.deepEqual(r.batches.map(b => b.keys), [['a'], ['b', 'c'], ['d']])
  })

  void it('writes nothing for a group without operations, and still resolves it', async () => {
    const r = recorder()
    const none = await r.queue.grouped(async () => ({ ops: [], sync: true, done: () => 'nothing' }))
    assert.equal(none, 'nothing')
    assert.deepEqual(r.batches, [])
  })

  void it('bounds a group at maxGroup writes', async () => {
    const batches: number[] = []
    let gate: PromiseWithResolvers<void> | undefined = Promise.withResolvers()
    const queue = new WriteQueue({
      batch: async (ops) => { batches.push(ops.length); await gate?.promise },
      recover: async () => {},
      maxGroup: 3
    })
    const first = queue.grouped(write('first'))
    await new Promise(resolve => setImmediate(resolve))
    const rest = Array.from({ length: 7 }, async (_, i) => queue.grouped(write(`w${i}`)))
    gate.resolve()
    gate = undefined
    await Promise.all([first, ...rest])
    assert.deepEqual(batches, [1, 3, 3, 1])
  })

  void it('closes a group once its values reach maxGroupBytes: the rest goes in the next, in order', async () => {
    const batches: string[][] = []
    let gate: PromiseWithResolvers<void> | undefined = Promise.withResolvers()
    const queue = new WriteQueue({
      batch: async (ops) => { batches.push(ops.map(o => o.key)); await gate?.promise },
      recover: async () => {},
      maxGroupBytes: 1000
    })
    const big = (name: string): (overlay: unknown) => Promise<Prepared<string>> => async () => ({
      ops: [{ type: 'put', sublevel: undefined as never, key: name, value: new Uint8Array(600) }],
      sync: true,
      done: () => name
    })
    const first = queue.grouped(big('first'))
    await new Promise(resolve => setImmediate(resolve))
    const rest = ['a', 'b', 'c', 'd', 'e'].map(async n => queue.grouped(big(n)))
    gate.resolve()
    gate = undefined
    assert.deepEqual(await Promise.all([first, ...rest]), ['first', 'a', 'b', 'c', 'd', 'e'])
    assert.deepEqual(batches, [['first'], ['a', 'b'], ['c', 'd'], ['e']])
  })

  void it('idle() resolves once everything queued has settled', async () => {
    const r = recorder()
    r.hold()
    let done = 0
    for (const n of ['a', 'b', 'c']) void r.queue.grouped(write(n)).then(() => { done++ })
    const idle = r.queue.idle()
    r.release()
    await idle
    assert.equal(done, 3)
  })
})
