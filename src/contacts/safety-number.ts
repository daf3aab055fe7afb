/**
 * Safety numbers: Signal's numeric fingerprint, computed over our own inputs.
 * Two people who read out (or scan) the same 60 digits know that each holds
 * the other's real identity key, so no one sits between them. Pure: no I/O.
 *
 * The algorithm is libsignal's, unchanged (`rust/protocol/src/fingerprint.rs`,
 * `Fingerprint::get_fingerprint` and `DisplayableFingerprint`; earlier
 * `NumericFingerprintGenerator.java` in libsignal-protocol-java), and the
 * tests reproduce its published vector. Per side:
 *
 *   h = SHA-512(version as 2 bytes big-endian || key || id || key)
 *   repeat iterations - 1 times: h = SHA-512(h || key)
 *
 * so `iterations` SHA-512 calls in all. The first 30 bytes of h, as six 5-byte
 * big-endian integers, each mod 100000 and zero-padded, give 30 digits; the
 * two sides' strings, the smaller first, give the 60.
 *
 * Our inputs (docs/PROTOCOL.md, "Safety numbers"): `key` is the libp2p
 * identity public key in its protobuf encoding (`publicKeyToProtobuf`, which
 * tags the key type, so keys of two types never give the same bytes) and `id`
 * is the UTF-8 of the peer id string. Signal's `key` is its own 33-byte
 * encoding (a 0x05 type byte and the Curve25519 key) and its `id` a phone
 * number or service id; the function takes bytes so both fit.
 */
import { hash } from 'node:crypto'

/**
 * The 2 bytes hashed first. libsignal's is always 0 (`fingerprint_version`,
 * Java's `FINGERPRINT_VERSION`); its own "version" 1 and 2 only tag the
 * scannable protobuf and leave the digits unchanged. We keep 0: the algorithm
 * is Signal's as is, and our key encoding already differs from Signal's.
 */
export const SAFETY_NUMBER_VERSION = 0

/**
 * SHA-512 calls per side. libsignal's vectors (and Signal's apps) use 5200,
 * which its Java docs rate at over 112 bits of security (1024 ~ 109.7 bits).
 * Both parties must use the same count, so it is part of the protocol, not a
 * tuning knob.
 */
export const SAFETY_NUMBER_ITERATIONS = 5200

/** libsignal rejects `iterations <= 1` and `> 1_000_000`; we take the same range */
const MIN_ITERATIONS = 2
const MAX_ITERATIONS = 1_000_000

const SHA512_BYTES = 64

/** Digits in a safety number: 30 per side */
export const SAFETY_NUMBER_DIGITS = 60

/** The digits are shown and read out in groups of five (12 groups) */
const GROUP = 5

/**
 * Tag and version of the text a QR code carries; bump the version if its
 * shape changes. Upper case on purpose: every character of the payload is
 * then in QR's alphanumeric set (0-9 A-Z space $%*+-./:), which packs 80
 * characters into a version 4 code (33 modules square) at error correction M,
 * where byte mode needs version 5 (37): a smaller code in a terminal.
 */
export const SAFETY_PAYLOAD_PREFIX = 'SECURECHAT-SAFETY'
export const SAFETY_PAYLOAD_VERSION = 1

export interface SafetyNumberParty {
  /** identity public key bytes (for securechat: `publicKeyToProtobuf(key)`) */
  publicKey: Uint8Array
  /** stable identifier, hashed as UTF-8 (for securechat: `peerId.toString()`) */
  id: string
}

export interface SafetyNumberOptions {
  /**
   * SHA-512 calls per side, from 2 to 1,000,000
   *
   * @default SAFETY_NUMBER_ITERATIONS (5200)
   */
  iterations?: number
  /**
   * the 16-bit version hashed first
   *
   * @default SAFETY_NUMBER_VERSION (0)
   */
  version?: number
}

/**
 * The 60-digit safety number of a pair. The same whichever side computes it:
 * `safetyNumber(a, b)` equals `safetyNumber(b, a)`.
 */
export function safetyNumber (local: SafetyNumberParty, remote: SafetyNumberParty, options: SafetyNumberOptions = {}): string {
  const iterations = options.iterations ?? SAFETY_NUMBER_ITERATIONS
  const version = options.version ?? SAFETY_NUMBER_VERSION

  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new TypeError(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`)
  }
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) {
    throw new TypeError('version must be an integer from 0 to 65535')
  }

  const mine = sideDigits(local, iterations, version)
  const theirs = sideDigits(remote, iterations, version)
  // libsignal: `if local < remote { local + remote } else { remote + local }`.
  // Both strings are 30 ASCII digits, so string order is numeric order.
  return mine < theirs ? mine + theirs : theirs + mine
}

/** 30 digits for one side */
function sideDigits (party: SafetyNumberParty, iterations: number, version: number): string {
  if (!(party.publicKey instanceof Uint8Array) || party.publicKey.length === 0) {
    throw new TypeError('publicKey must be a non-empty Uint8Array')
  }
  if (typeof party.id !== 'string') {
    throw new TypeError('id must be a string')
  }

  const key = party.publicKey
  const versionBytes = Buffer.alloc(2)
  versionBytes.writeUInt16BE(version)

  let digest = hash('sha512', Buffer.concat([versionBytes, key, Buffer.from(party.id, 'utf8'), key]), 'buffer')
  // Each later round hashes (previous digest || key): one buffer, reused, its
  // first 64 bytes overwritten; the one-shot hash() is about a third faster
  // than createHash() here, and this loop is the whole cost.
  const round = Buffer.alloc(SHA512_BYTES + key.length)
  round.set(key, SHA512_BYTES)
  for (let i = 1; i < iterations; i++) {
    round.set(digest, 0)
    digest = hash('sha512', round, 'buffer')
  }

  let digits = ''
  for (let offset = 0; offset < 30; offset += 5) {
    // 40 bits fit a double exactly
    digits += String(digest.readUIntBE(offset, 5) % 100_000).padStart(GROUP, '0')
  }
  return digits
}

function assertSafetyNumber (digits: string): void {
  if (typeof digits !== 'string' || !isSafetyNumber(digits)) {
    throw new TypeError(`a safety number is ${SAFETY_NUMBER_DIGITS} decimal digits`)
  }
}

function isSafetyNumber (text: string): boolean {
  return text.length === SAFETY_NUMBER_DIGITS && /^[0-9]+$/.test(text)
}

export interface FormatSafetyNumberOptions {
  /**
   * groups of five per line; 12 puts it all on one line
   *
   * @default 4 (three lines, as Signal shows it)
   */
  groupsPerLine?: number
}

/**
 * The digits in groups of five, groups separated by a space and lines by
 * `\n`: "30035 44776 92869 39689\n28698 ...".
 */
export function formatSafetyNumber (digits: string, options: FormatSafetyNumberOptions = {}): string {
  assertSafetyNumber(digits)
  const groupsPerLine = options.groupsPerLine ?? 4
  if (!Number.isInteger(groupsPerLine) || groupsPerLine < 1) {
    throw new TypeError('groupsPerLine must be a positive integer')
  }

  const groups = digits.match(/[0-9]{5}/g) ?? []
  const lines: string[] = []
  for (let i = 0; i < groups.length; i += groupsPerLine) {
    lines.push(groups.slice(i, i + groupsPerLine).join(' '))
  }
  return lines.join('\n')
}

/**
 * The text for a QR code: `SECURECHAT-SAFETY:1:<60 digits>`. The number is
 * already the same on both sides, so unlike Signal's scannable fingerprint
 * (which carries both hashes, each side's own first) the payload is the same
 * for both, and scanning is an equality check.
 */
export function scannableSafetyPayload (digits: string): string {
  assertSafetyNumber(digits)
  return `${SAFETY_PAYLOAD_PREFIX}:${SAFETY_PAYLOAD_VERSION}:${digits}`
}

/**
 * How a scanned payload compares with our own safety number:
 * - `match`: same number, the keys are verified
 * - `mismatch`: a safety payload of our version with another number
 * - `unsupported-version`: a safety payload of another version; say so
 *   rather than report a mismatch
 * - `malformed`: not a securechat safety payload
 *
 * Never throws on the scanned text; `expected` must be a safety number.
 */
export type SafetyPayloadCheck = 'match' | 'mismatch' | 'unsupported-version' | 'malformed'

export function checkSafetyPayload (scanned: string, expected: string): SafetyPayloadCheck {
  assertSafetyNumber(expected)
  const match = /^([A-Z-]+):(0|[1-9][0-9]{0,8}):(.*)$/s.exec(scanned)
  if (match?.[1] !== SAFETY_PAYLOAD_PREFIX || match[2] == null || match[3] == null) {
    return 'malformed'
  }
  if (Number(match[2]) !== SAFETY_PAYLOAD_VERSION) {
    return 'unsupported-version'
  }
  if (!isSafetyNumber(match[3])) {
    return 'malformed'
  }
  return match[3] === expected ? 'match' : 'mismatch'
}
