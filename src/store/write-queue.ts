/**
 * The store's write queue, with group commit: writes run one after another
 * in call order, and every run of grouped writes that queued up while the
 * previous batch was on its way to disk goes to LevelDB as one batch, synced
 * once. This is how databases make durable writes cheap under load (one
 * fsync for many commits) without weakening any of them: a grouped write's
 * promise resolves only after the batch holding it is written (and synced,
 * if any write in it asked for that).
 *
 * A grouped write is split in two: `prepare` runs in queue order, may read,
 * checks its bounds and returns its batch operations plus `done`, which runs
 * once they are on disk. Each prepare sees the writes prepared before it in
 * the same group through the group's `Overlay`. A prepare that throws fails
 * its own write only. A batch that fails fails every write in it, and the
 * store's caches are rebuilt (`recover`) before the next write runs.
 *
 * An exclusive write (identity, peer book, requests, restore) runs alone,
 * between groups, keeping call order.
 */
import type { BatchOp } from './handles.ts'

/** Writes prepared, not yet on disk, in the current group: what later prepares must see */
export class Overlay {
  /** history key -> the value prepared for it (a ChatMessage record, decoded) */
  readonly records = new Map<string, unknown>()
  /** index key -> history key, for messages appended in this group */
  readonly indexed = new Map<string, string>()
  /** outbox entries added (true) or deleted (false) in this group */
  readonly outbox = new Map<string, boolean>()
  /** fanout entries added (true) or deleted (false) in this group */
  readonly fanout = new Map<string, boolean>()
  /** conversation -> the last seq prepared in this group (the disk does not have it yet) */
  readonly seqs = new Map<string, number>()
}

export interface Prepared<T> {
  ops: BatchOp[]
  /** fsync the batch holding these ops */
  sync: boolean
  /** runs after the batch is written; its value resolves the write */
  done: () => T
}

/** Writes in one group at most: bounds the batch (and the latency of its first write) */
export const MAX_GROUP = 256
/** Bytes of values in one group, past which no further write joins it (its first always does) */
export const MAX_GROUP_BYTES = 4 * 1024 * 1024

interface Job {
  grouped: boolean
  run: (overlay: Overlay) => Promise<Prepared<unknown>>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

export interface WriteQueueInit {
  batch: (ops: BatchOp[], sync: boolean) => Promise<void>
  /** after a failed batch: bring in-memory state back in step with the disk */
  recover: (err: Error) => Promise<void>
  maxGroup?: number
  maxGroupBytes?: number
}

export class WriteQueue {
  readonly #init: WriteQueueInit
  readonly #maxGroup: number
  readonly #maxGroupBytes: number
  readonly #jobs: Job[] = []
  #draining: Promise<void> | undefined

  constructor (init: WriteQueueInit) {
    this.#init = init
    this.#maxGroup = init.maxGroup ?? MAX_GROUP
    this.#maxGroupBytes = init.maxGroupBytes ?? MAX_GROUP_BYTES
  }

  /** Runs `fn` alone, after every write queued before it */
  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    return this.#push(false, async () => {
      const value = await fn()
      return { ops: [], sync: false, done: () => value }
    })
  }

  /** Queues a grouped write (see the file comment) */
  async grouped<T> (prepare: (overlay: Overlay) => Promise<Prepared<T>>): Promise<T> {
    return this.#push(true, prepare)
  }

  /** Resolves once every write queued so far has settled */
  async idle (): Promise<void> {
    while (this.#draining !== undefined) {
      await this.#draining
    }
  }

  async #push<T> (grouped: boolean, run: (overlay: Overlay) => Promise<Prepared<T>>): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>()
    this.#jobs.push({ grouped, run, resolve: resolve as (value: unknown) => void, reject })
    this.#draining ??= this.#drain().finally(() => { this.#draining = undefined })
    return promise
  }

  async #drain (): Promise<void> {
    while (this.#jobs.length > 0) {
      const head = this.#jobs[0] as Job
      if (!head.grouped) {
        this.#jobs.shift()
        await head.run(new Overlay()).then(prepared => { head.resolve(prepared.done()) }, head.reject)
        continue
      }
      let end = 1
      while (end < this.#jobs.length && end < this.#maxGroup && this.#jobs[end]?.grouped === true) {
        end++
      }
      await this.#commit(this.#jobs.splice(0, end))
    }
  }

  async #commit (group: Job[]): Promise<void> {
    const overlay = new Overlay()
    const ready: Array<{ job: Job, prepared: Prepared<unknown> }> = []
    const ops: BatchOp[] = []
    let sync = false
    let bytes = 0
    for (const [i, job] of group.entries()) {
      if (bytes >= this.#maxGroupBytes) {
        // a big group delays every write in it: the rest waits for the next one, in order
        this.#jobs.unshift(...group.slice(i))
        break
      }
      let prepared: Prepared<unknown>
      try {
        prepared = await job.run(overlay)
      } catch (err) {
        job.reject(err)
        continue
      }
      ready.push({ job, prepared })
      ops.push(...prepared.ops)
      for (const op of prepared.ops) {
        bytes += op.type === 'put' ? op.value.byteLength : 0
      }
      sync ||= prepared.sync && prepared.ops.length > 0
    }
    if (ops.length > 0) {
      try {
        await this.#init.batch(ops, sync)
      } catch (err) {
        // recount first: a caller woken by the rejection sees counts in step with the disk
        await this.#init.recover(err as Error).catch(() => {})
        for (const { job } of ready) {
          job.reject(err)
        }
        return
      }
    }
    for (const { job, prepared } of ready) {
      try {
        job.resolve(prepared.done())
      } catch (err) {
        job.reject(err)
      }
    }
  }
}
