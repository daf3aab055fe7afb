/**
 * History reads against their floor, both measured in the same run (issue
 * 10: "the latest 100 messages of a conversation with 1 million stored,
 * ≤ 5 ms"):
 *
 * - fill: a real store (src/store, LevelDB on disk, every value sealed)
 *   gets one conversation of `messages` messages and `others` smaller ones,
 *   through `store.restore()`, the way `securechat import` fills a data dir
 *   (validated like stored records, written unsynced but for the last
 *   write). The fill rate and the database's size on disk are reported,
 *   beside a raw LevelDB of the same shape (same keys and value sizes,
 *   random bytes) filled with plain batches of 1,000 puts.
 * - raw: a bare `Level` reverse iterator over that raw database reading the
 *   newest `limit` entries of the big conversation's range (with `limit`
 *   given to LevelDB, and without it, stopping at `limit` as the store does).
 * - decode: opening and parsing `limit` sealed records in memory
 *   (AES-256-GCM, JSON, validation): the store's own work per read.
 * - store: `store.history(peer, { limit })`, the newest `limit` messages,
 *   oldest first; then again after `securechat passwd` put a passphrase on
 *   the same data dir. The passphrase only changes how the data key is
 *   unwrapped at open (scrypt, src/store/data-key.ts), not the read path:
 *   both opens are timed, and both read series are shown.
 *
 * Every sample goes into an HDR histogram; warm-up samples are discarded.
 * Beside the wall times, each part's process CPU time per read (all
 * threads), which other work on a shared machine skews far less. The
 * result is a table on stdout and `history-<ISO date>.json` under
 * bench/results/. A full run takes minutes: restore() writes one record at
 * a time.
 *
 * Run: node --experimental-transform-types bench/history.ts [--messages N --reads N --warmup N]
 * (defaults 1,000,000 messages, 2,000 reads, 200 warm-up reads; also
 * HISTORY_MESSAGES, HISTORY_READS, HISTORY_WARMUP)
 */
import { createSecretKey, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Level } from 'level'
import { openValue, sealValue } from '../src/store/at-rest.ts'
import { createStore } from '../src/store/index.ts'
import { changePassphrase } from '../src/store/passwd.ts'
import { decodeMessage, encodeMessage, encodeText } from '../src/store/records.ts'
import { createTempDir } from '../test/helpers/tmp.ts'
import { cell, cliOptions, machineLine, printResult, ratioCell, toStderr } from './cli.ts'
import { countOptions, dirBytes, loadAverage, sample, saveResult } from './common.ts'
import type { Machine, Percentiles } from './common.ts'
import type { Store, StoreRecord } from '../src/store/index.ts'
import type { ChatMessage } from '../src/types.ts'

export type { Percentiles } from './common.ts'

export interface HistoryOptions {
  /** messages in the conversation that is read; @default 1_000_000 */
  messages?: number
  /** history() calls measured (and as many of each baseline); @default 2000 */
  reads?: number
  /** reads of each part run first and discarded; @default 200 */
  warmup?: number
  /** messages per read: the latest `limit`; @default 100 */
  limit?: number
  /** other conversations in the same store; @default 9 */
  others?: number
  /** messages in each other conversation; @default 1000 */
  otherMessages?: number
  /** message text length in bytes; @default 200 */
  bytes?: number
  /** where `history-<ISO date>.json` goes; @default bench/results */
  resultsDir?: string
  /** progress lines during the (long) fill; the CLI prints them on stderr */
  onProgress?: (line: string) => void
}

/** The goal: the latest 100 of 1M in at most this many ms */
const GOAL_MS = 5
/** Puts per batch when filling the raw database */
const RAW_BATCH = 1000
const PASSPHRASE = 'history benchmark passphrase'
/** A progress line every this many records */
const PROGRESS_EVERY = 100_000

/**
 * A read part: wall-time percentiles, and the process's CPU time per read
 * (user + system, every thread: LevelDB's pool included), which other work
 * on a shared machine skews far less than the wall time
 */
export interface ReadPart extends Percentiles {
  /** mean CPU ms per read, warm-up included */
  cpuMs: number
}

/** One way to fill a database: how many records, how long, and its size afterwards */
export interface Fill {
  /** records written: in the store the identity, the peer book and every message; in the raw database one per message (a history and an index put, as the store writes) */
  records: number
  messages: number
  ms: number
  /** records per second */
  rate: number
  /** process CPU time per record, µs (user + system, every thread) */
  cpuUs: number
  /** bytes of the database's files, after it was opened again and closed (its log compacted into a table) */
  diskBytes: number
}

export interface HistoryResult {
  date: string
  machine: Machine
  /** the machine's 1-minute load average at the start and the end (other work on a shared machine skews every figure) */
  load: { start: number, end: number }
  options: Required<Omit<HistoryOptions, 'resultsDir' | 'onProgress'>>
  fill: {
    /** store.restore() into an empty store */
    store: Fill
    /** plain unsynced batches of RAW_BATCH puts, same keys and value sizes; last batch synced */
    raw: Fill
  }
  /** store.open() of the filled data dir, ms: without a passphrase, then with one (scrypt included) */
  open: { plain: number, passphrase: number }
  /** the first history() after each open, ms (LevelDB's block cache still cold) */
  firstRead: { plain: number, passphrase: number }
  parts: {
    /** bare Level reverse iterator, `limit` given to LevelDB */
    raw: ReadPart
    /** bare Level reverse iterator without `limit`, stopping after `limit` entries (what the store does) */
    rawNoLimit: ReadPart
    /** openValue + decodeMessage of `limit` sealed records held in memory */
    decode: ReadPart
    /** store.history(peer, { limit }) */
    store: ReadPart
    /** the same after a passphrase was set on the data dir */
    storePassphrase: ReadPart
  }
  /** store / raw, per percentile and for the CPU time per read */
  ratios: { p50: number, p99: number, cpu: number }
  /**
   * The goal, the latest 100 of 1M in ≤ 5 ms: `met` at p99 over both
   * read series; `p50` at the median; `cpu` for the mean CPU time per read
   * (every thread: an upper bound of the work, whatever else the machine runs)
   */
  goal: { ms: number, met: boolean, p50: boolean, cpu: boolean }
  /** the JSON file written */
  file: string
}

type Options = Required<Omit<HistoryOptions, 'resultsDir' | 'onProgress'>>

interface Party {
  peerId: string
  /** protobuf private key (only the own identity's is stored) */
  key: Uint8Array
}

async function party (): Promise<Party> {
  const key = await generateKeyPair('Ed25519')
  return { peerId: peerIdFromPrivateKey(key).toString(), key: privateKeyToProtobuf(key) }
}

/** Message `n` of the conversation with `peer`, alternating in and out (out ones delivered, so no outbox entry) */
function message (self: string, peer: string, n: number, bytes: number): ChatMessage {
  const out = n % 2 === 0
  const label = `message ${n} `
  return {
    id: `${peer.slice(-8)}${n.toString(16).padStart(24, '0')}`,
    peer,
    direction: out ? 'out' : 'in',
    from: out ? self : peer,
    name: out ? 'alice' : 'bob',
    text: label + 'x'.repeat(Math.max(0, bytes - label.length)),
    ts: 1_700_000_000_000 + n * 1000,
    ...(out ? { status: 'delivered' as const } : {})
  }
}

/**
 * The records of the store: the identity, one peer-book entry per
 * conversation, then the messages, the other conversations' spread evenly
 * between the big one's (as a real history interleaves them)
 */
async function * storeRecords (self: Party, big: string, others: string[], o: Options): AsyncGenerator<StoreRecord> {
  yield { type: 'identity', key: self.key }
  for (const peerId of [big, ...others]) {
    yield { type: 'peer', peer: { peerId, name: 'bob', relation: 'contact', addrs: [], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000 } }
  }
  const small = others.length * o.otherMessages
  let next = 0
  for (let n = 0; n < o.messages; n++) {
    yield { type: 'message', message: message(self.peerId, big, n, o.bytes), request: false }
    // after big message n, the small ones up to the same fraction of theirs: all of them after the last
    for (const until = Math.floor((n + 1) * small / o.messages); next < until; next++) {
      yield { type: 'message', message: message(self.peerId, others[next % others.length] ?? big, Math.floor(next / others.length), o.bytes), request: false }
    }
  }
}

/** Counts what passes through, and reports progress */
async function * counted<T> (source: AsyncIterable<T>, seen: { n: number }, progress: (n: number) => void): AsyncGenerator<T> {
  for await (const item of source) {
    yield item
    if (++seen.n % PROGRESS_EVERY === 0) progress(seen.n)
  }
}

/** A keyed-hash-looking key part: what keys.ts makes of a peer or message, 22 base64url characters */
function hashPart (prefix: string): string {
  return prefix + randomBytes(16).toString('base64url')
}

/** Sizes the store gives a history record and its index entry, from sealing one sample */
function sealedSizes (sample: ChatMessage): { key: number, record: number, index: number } {
  const key = createSecretKey(randomBytes(32))
  const historyKey = `${hashPart('C')}!${'0'.repeat(12)}`
  return {
    key: historyKey.length,
    record: sealValue(key, 'history', historyKey, encodeMessage(sample)).byteLength,
    index: sealValue(key, 'index', hashPart('M'), encodeText(historyKey)).byteLength
  }
}

/**
 * A raw LevelDB shaped like the store's: per message a history entry
 * (`!history!C<hash>!<seq>`) and an index entry (`!index!M<hash>`) of the
 * same sizes, random bytes; batches of RAW_BATCH puts, the last one synced.
 * Returns the big conversation's history range.
 */
async function fillRaw (db: Level<string, Uint8Array>, o: Options, sizes: { record: number, index: number }): Promise<{ range: { gt: string, lt: string }, messages: number }> {
  const big = hashPart('C')
  const conversations = [{ prefix: big, count: o.messages }, ...Array.from({ length: o.others }, () => ({ prefix: hashPart('C'), count: o.otherMessages }))]
  let ops: Array<{ type: 'put', key: string, value: Uint8Array }> = []
  let messages = 0
  for (const { prefix, count } of conversations) {
    for (let seq = 0; seq < count; seq++) {
      // fresh random bytes each: LevelDB's Snappy would shrink repeated ones, never ciphertext
      ops.push({ type: 'put', key: `!history!${prefix}!${String(seq).padStart(12, '0')}`, value: new Uint8Array(randomBytes(sizes.record)) })
      ops.push({ type: 'put', key: `!index!${hashPart('M')}`, value: new Uint8Array(randomBytes(sizes.index)) })
      messages++
      if (ops.length >= 2 * RAW_BATCH) {
        await db.batch(ops)
        ops = []
      }
    }
  }
  await db.batch([...ops, { type: 'put', key: '!meta!format', value: new Uint8Array(sizes.index) }], { sync: true })
  return { range: { gt: `!history!${big}!`, lt: `!history!${big}"` }, messages }
}

async function measured (count: number, warmup: number, once: () => Promise<void>): Promise<ReadPart> {
  const before = process.cpuUsage()
  const p = await sample(count, warmup, once)
  const used = process.cpuUsage(before)
  return { ...p, cpuMs: (used.user + used.system) / 1000 / (count + warmup) }
}

async function timed<T> (fn: () => Promise<T>): Promise<{ ms: number, value: T }> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value }
}

/** Reads of the latest `limit` messages, checked: exactly `limit`, the newest last */
function reader (store: Store, peer: string, limit: number, newest: string): () => Promise<void> {
  return async () => {
    const messages = await store.history(peer, { limit })
    if (messages.length !== limit || messages.at(-1)?.id !== newest) {
      throw new Error(`history returned ${messages.length} messages ending in ${messages.at(-1)?.id}, expected ${limit} ending in ${newest}`)
    }
  }
}

/** The raw baseline: the database filled, its reads measured, its size once reopened (its log turned into a table) */
async function rawParts (dir: string, o: Options, sizes: { record: number, index: number }, progress: (line: string) => void): Promise<{ fill: Fill, raw: ReadPart, rawNoLimit: ReadPart }> {
  const path = join(dir, 'raw')
  const level = (): Level<string, Uint8Array> => new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  let db = level()
  let filled
  const cpu = process.cpuUsage()
  try {
    await db.open()
    progress('filling the raw LevelDB baseline')
    filled = await timed(async () => fillRaw(db, o, sizes))
  } finally {
    await db.close()
  }
  const fillCpu = process.cpuUsage(cpu)
  const { range, messages } = filled.value
  const check = (n: number): void => {
    if (n !== o.limit) throw new Error(`raw iterator read ${n} entries, expected ${o.limit}`)
  }
  db = level()
  let raw, rawNoLimit
  try {
    await db.open()
    raw = await measured(o.reads, o.warmup, async () => {
      const entries: Array<[string, Uint8Array]> = []
      for await (const entry of db.iterator({ ...range, reverse: true, limit: o.limit })) entries.push(entry)
      check(entries.length)
    })
    rawNoLimit = await measured(o.reads, o.warmup, async () => {
      const entries: Array<[string, Uint8Array]> = []
      for await (const entry of db.iterator({ ...range, reverse: true })) {
        entries.push(entry)
        if (entries.length >= o.limit) break
      }
      check(entries.length)
    })
  } finally {
    await db.close()
  }
  const fill: Fill = { records: messages, messages, ms: filled.ms, rate: messages / (filled.ms / 1000), cpuUs: (fillCpu.user + fillCpu.system) / messages, diskBytes: await dirBytes(path) }
  return { fill, raw, rawNoLimit }
}

/** The store's own work per read: `limit` sealed records opened and parsed, in memory */
async function decodePart (self: string, peer: string, o: Options): Promise<ReadPart> {
  const key = createSecretKey(randomBytes(32))
  const conversation = hashPart('C')
  const sealed = Array.from({ length: o.limit }, (_, i) => {
    const historyKey = `${conversation}!${String(o.messages - o.limit + i).padStart(12, '0')}`
    return { historyKey, value: sealValue(key, 'history', historyKey, encodeMessage(message(self, peer, o.messages - o.limit + i, o.bytes))) }
  })
  return measured(o.reads, o.warmup, async () => {
    for (const { historyKey, value } of sealed) decodeMessage(openValue(key, 'history', historyKey, value))
  })
}

/** fills a store and its raw twin, measures every part, writes `history-<ISO date>.json` */
export async function runHistory (init: HistoryOptions = {}): Promise<HistoryResult> {
  const options: Options = countOptions(init, { messages: 1_000_000, reads: 2000, warmup: 200, limit: 100, others: 9, otherMessages: 1000, bytes: 200 }, ['warmup', 'others', 'otherMessages'])
  if (options.limit > options.messages) throw new TypeError('limit must not exceed messages')
  const progress = init.onProgress ?? (() => {})
  const loadStart = loadAverage()

  const dir = await createTempDir('securechat-bench-history-')
  try {
    const self = await party()
    const big = (await party()).peerId
    const others = await Promise.all(Array.from({ length: options.others }, async () => (await party()).peerId))
    const newest = message(self.peerId, big, options.messages - 1, options.bytes).id
    const dataDir = join(dir.path, 'store')
    const sizes = sealedSizes(message(self.peerId, big, options.messages - 1, options.bytes))

    // the store, filled by restore()
    let store = createStore({ dataDir })
    let storeFill: Fill
    try {
      await store.open()
      const total = 1 + 1 + options.others + options.messages + options.others * options.otherMessages
      const seen = { n: 0 }
      const started = Date.now()
      const records = counted(storeRecords(self, big, others, options), seen, n => {
        const s = (Date.now() - started) / 1000
        progress(`restore: ${n} of ${total} records, ${Math.round(n / s)}/s`)
      })
      const cpu = process.cpuUsage()
      const filled = await timed(async () => store.restore(records))
      const used = process.cpuUsage(cpu)
      const summary = filled.value
      if (!summary.identity || summary.peers !== 1 + options.others || summary.messages !== options.messages + options.others * options.otherMessages) {
        throw new Error(`restore wrote ${JSON.stringify(summary)}`)
      }
      storeFill = { records: seen.n, messages: summary.messages, ms: filled.ms, rate: seen.n / (filled.ms / 1000), cpuUs: (used.user + used.system) / seen.n, diskBytes: 0 }
    } finally {
      await store.close()
    }

    const { fill: rawFill, raw, rawNoLimit } = await rawParts(dir.path, options, sizes, progress)
    const decode = await decodePart(self.peerId, big, options)

    // reads without a passphrase, then with one on the same data dir
    const readSeries = async (passphrase?: string): Promise<{ open: number, first: number, reads: ReadPart }> => {
      store = createStore({ dataDir, ...(passphrase !== undefined ? { passphrase } : {}) })
      try {
        const opened = await timed(async () => store.open())
        const read = reader(store, big, options.limit, newest)
        const first = await timed(read)
        const reads = await measured(options.reads, options.warmup, read)
        return { open: opened.ms, first: first.ms, reads }
      } finally {
        await store.close()
      }
    }
    progress('reading')
    const plain = await readSeries()
    await changePassphrase(dataDir, undefined, PASSPHRASE)
    const protectedRun = await readSeries(PASSPHRASE)
    // measured once LevelDB has been reopened, which turns the log it was written to into a table
    storeFill.diskBytes = await dirBytes(join(dataDir, 'db'))

    return await saveResult('history', {
      load: { start: loadStart, end: loadAverage() },
      options,
      fill: { store: storeFill, raw: rawFill },
      open: { plain: plain.open, passphrase: protectedRun.open },
      firstRead: { plain: plain.first, passphrase: protectedRun.first },
      parts: { raw, rawNoLimit, decode, store: plain.reads, storePassphrase: protectedRun.reads },
      ratios: { p50: plain.reads.p50 / raw.p50, p99: plain.reads.p99 / raw.p99, cpu: plain.reads.cpuMs / raw.cpuMs },
      goal: {
        ms: GOAL_MS,
        met: Math.max(plain.reads.p99, protectedRun.reads.p99) <= GOAL_MS,
        p50: Math.max(plain.reads.p50, protectedRun.reads.p50) <= GOAL_MS,
        cpu: Math.max(plain.reads.cpuMs, protectedRun.reads.cpuMs) <= GOAL_MS
      },
    }, init.resultsDir)
  } finally {
    await dir.remove()
  }
}

/** the stdout table: the fills, the opens, then p50 and p99 in ms per read part, the ratio and the goal */
export function formatHistory (r: HistoryResult): string {
  const ms = (v: number): string => cell(v, 3, 10)
  const int = (v: number): string => Math.round(v).toLocaleString('en-US')
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  const yes = (met: boolean): string => met ? 'met' : 'NOT met'
  const row = (name: string, p: ReadPart): string => `${name.padEnd(44)}${ms(p.p50)}${ms(p.p99)}${ms(p.cpuMs)}  ${p.count}`
  const fill = (name: string, f: Fill): string =>
    `${name.padEnd(44)}${int(f.records).padStart(10)}${cell(f.ms / 1000, 1, 9)} s${int(f.rate).padStart(10)}/s${cell(f.cpuUs, 0, 8)} µs  ${mib(f.diskBytes)}`
  const { raw, rawNoLimit, decode, store, storePassphrase } = r.parts
  const o = r.options
  const worst = (key: 'p50' | 'p99' | 'cpuMs'): string => Math.max(store[key], storePassphrase[key]).toFixed(3)
  return [
    `history, latest ${o.limit} of ${int(o.messages)} messages (+ ${o.others} conversations of ${int(o.otherMessages)}), ${o.bytes}-byte texts, LevelDB on disk (${machineLine(r.machine)}, load ${r.load.start.toFixed(1)}–${r.load.end.toFixed(1)})`,
    `${'fill'.padEnd(44)}${'records'.padStart(10)}${'time'.padStart(11)}${'rate'.padStart(12)}${'CPU/rec'.padStart(11)}  on disk`,
    fill('store.restore() (sealed, validated)', r.fill.store),
    fill('raw LevelDB, batches of 1,000 puts', r.fill.raw),
    `${'ratio raw / store fill rate'.padEnd(44)}${ratioCell(r.fill.raw.rate / r.fill.store.rate, 1, 10)}`,
    `open: ${r.open.plain.toFixed(1)} ms without a passphrase, ${r.open.passphrase.toFixed(1)} ms with one (scrypt); first read after open: ${r.firstRead.plain.toFixed(3)} / ${r.firstRead.passphrase.toFixed(3)} ms`,
    `${'read'.padEnd(44)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU ms'.padStart(10)}  samples`,
    row(`raw reverse iterator, limit ${o.limit}`, raw),
    row(`raw reverse iterator, break at ${o.limit}`, rawNoLimit),
    row(`decrypt + decode ${o.limit} records (memory)`, decode),
    row(`store.history(peer, { limit: ${o.limit} })`, store),
    row('  the same, passphrase-protected data dir', storePassphrase),
    `${'ratio store / raw (limit)'.padEnd(44)}${ratioCell(r.ratios.p50, 2, 9)}${ratioCell(r.ratios.p99, 2, 9)}${ratioCell(r.ratios.cpu, 2, 9)}`,
    `goal: latest ${o.limit} of ${int(o.messages)} ≤ ${r.goal.ms} ms: at p99 ${yes(r.goal.met)} (${worst('p99')} ms), at p50 ${yes(r.goal.p50)} (${worst('p50')} ms), in CPU time per read ${yes(r.goal.cpu)} (${worst('cpuMs')} ms)`,
    `written to ${r.file}`
  ].join('\n')
}

if (import.meta.main) {
  const options = cliOptions({ messages: 'number', reads: 'number', warmup: 'number' }, { env: 'HISTORY' })
  await printResult(runHistory({ ...options, onProgress: toStderr }), formatHistory)
}
