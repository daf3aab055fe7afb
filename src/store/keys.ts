/**
 * Pure key encoding. Keys are stored in clear: they are metadata (peer ids,
 * local append times, message ids), only values are encrypted.
 *
 * A history key is `<peer>!<time>!<seq>!<id>` with `time` zero-padded to 16
 * digits and `seq` to 8, so byte order is (peer, time, seq, id) order and an
 * iterator over one peer's range returns that conversation in append order.
 * (time, seq) is a logical clock: strictly increasing per database, even for
 * appends in the same millisecond or when the wall clock steps back.
 */
import { MAX_KEY_PART_LENGTH, MAX_SEQ, MAX_TIME, SEQ_DIGITS, TIME_DIGITS } from './constants.ts'

export const SEPARATOR = '!'
/** The character right after SEPARATOR: `<peer>"` is the upper bound of `<peer>!…` */
const SEPARATOR_NEXT = String.fromCharCode(SEPARATOR.charCodeAt(0) + 1)

/** Printable ASCII without space and without the separator */
const KEY_PART = new RegExp(`^[\\x22-\\x7e]{1,${MAX_KEY_PART_LENGTH}}$`)
const TIME_PART = new RegExp(`^[0-9]{${TIME_DIGITS}}$`)
const SEQ_PART = new RegExp(`^[0-9]{${SEQ_DIGITS}}$`)

export interface Clock {
  /** local append time, ms since epoch, never decreasing */
  time: number
  /** disambiguates appends within one `time` */
  seq: number
}

export interface HistoryKey extends Clock {
  peer: string
  id: string
}

/** The clock of an empty database: every real clock is after it */
export const ZERO_CLOCK: Readonly<Clock> = Object.freeze({ time: 0, seq: -1 })

export function isKeyPart (value: unknown): value is string {
  return typeof value === 'string' && KEY_PART.test(value)
}

/** Throws TypeError unless `value` may be used as a peer id or message id in a key */
export function assertKeyPart (value: unknown, what: string): asserts value is string {
  if (!isKeyPart(value)) {
    throw new TypeError(`${what} must be 1-${MAX_KEY_PART_LENGTH} printable ASCII characters without space or "${SEPARATOR}"`)
  }
}

function isTime (value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME
}

function isSeq (value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= MAX_SEQ
}

export function compareClocks (a: Clock, b: Clock): number {
  return a.time !== b.time ? a.time - b.time : a.seq - b.seq
}

/**
 * The clock of the next append: strictly after `last`. Follows the wall
 * clock when it moves forward, stays on `last.time` when it does not, and
 * carries into the next millisecond if `seq` would overflow.
 */
export function nextClock (last: Clock, now: number): Clock {
  if (!Number.isFinite(now)) {
    throw new TypeError('now must be a finite number')
  }
  const wall = Math.min(Math.max(Math.floor(now), 0), MAX_TIME)
  if (wall > last.time) {
    return { time: wall, seq: 0 }
  }
  if (last.seq < MAX_SEQ) {
    return { time: last.time, seq: last.seq + 1 }
  }
  if (last.time >= MAX_TIME) {
    throw new RangeError('history clock exhausted')
  }
  return { time: last.time + 1, seq: 0 }
}

export function encodeHistoryKey (key: HistoryKey): string {
  assertKeyPart(key.peer, 'peer')
  assertKeyPart(key.id, 'id')
  if (!isTime(key.time)) {
    throw new TypeError(`time must be an integer in [0, ${MAX_TIME}]`)
  }
  if (!isSeq(key.seq)) {
    throw new TypeError(`seq must be an integer in [0, ${MAX_SEQ}]`)
  }
  return [
    key.peer,
    String(key.time).padStart(TIME_DIGITS, '0'),
    String(key.seq).padStart(SEQ_DIGITS, '0'),
    key.id
  ].join(SEPARATOR)
}

/** Parses a history key; `undefined` if it is not one */
export function decodeHistoryKey (key: string): HistoryKey | undefined {
  const parts = key.split(SEPARATOR)
  if (parts.length !== 4) {
    return undefined
  }
  const [peer, time, seq, id] = parts as [string, string, string, string]
  if (!isKeyPart(peer) || !isKeyPart(id)) {
    return undefined
  }
  if (!TIME_PART.test(time) || !SEQ_PART.test(seq)) {
    return undefined
  }
  return { peer, time: Number(time), seq: Number(seq), id }
}

/** Iterator bounds covering exactly one peer's history keys */
export function historyRange (peer: string): { gt: string, lt: string } {
  assertKeyPart(peer, 'peer')
  return { gt: peer + SEPARATOR, lt: peer + SEPARATOR_NEXT }
}

/** Key of the (peer, id) -> history key index */
export function encodeIndexKey (peer: string, id: string): string {
  assertKeyPart(peer, 'peer')
  assertKeyPart(id, 'id')
  return peer + SEPARATOR + id
}
