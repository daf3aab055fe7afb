/**
 * Where a file name from the network becomes a file in the downloads folder
 * (issue 12). The sender's name is a suggestion, never a path: safeFileName
 * keeps one harmless component of it, createUniqueFile opens a new file
 * under that name (or `name (1).ext`, ...) and never touches anything that
 * is already there, and a transfer in progress lives under its id in
 * `.partial/`, a name safeFileName can never produce.
 */
import { chmod, lstat, mkdir, open, realpath } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import { MAX_FILE_NAME_BYTES } from './constants.ts'
import { NoFreeFileNameError, PathOutsideDirError, UnsafePartialDirError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { FileHandle } from 'node:fs/promises'

/** Names createUniqueFile tries, the safe name itself and `name (1).ext` to `name (999).ext`, before NoFreeFileNameError */
export const MAX_NAME_ATTEMPTS = 1000
/** What a name with nothing usable left becomes */
export const FALLBACK_FILE_NAME = 'file'

const PARTIAL_DIR = '.partial'
/** A transfer id as a file name: TRANSFER_ID_BYTES in lower-case hex */
const TRANSFER_ID = /^[0-9a-f]{32}$/

/**
 * Replaced by `_`: control characters (C0 with NUL, DEL, C1), what Windows
 * forbids in a name, the line and paragraph separators, and every format
 * character (bidi embeddings, overrides, isolates and marks, zero-width
 * space, soft hyphen, BOM, tags...) but the zero-width joiner and
 * non-joiner, which Persian, Indic scripts and emoji sequences need and
 * which reorder nothing. A right-to-left override makes `photo\u202Egpj.exe`
 * show as `photoexe.jpg`; here it becomes `photo_gpj.exe`.
 */
const UNSAFE = /[\p{Cc}<>:"/\\|?*\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/gu

/**
 * Device names Windows opens instead of a file, also with any extension
 * (`NUL.tar.gz` is NUL) and trailing spaces, in any case; the superscript
 * digits count as digits there.
 */
const RESERVED = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(?:COM|LPT)[0-9\u00b9\u00b2\u00b3])$/i

/** The extension kept when a name is cut or numbered: `.pdf`, and `.tar.gz` as one */
const EXTENSION = /(?:\.tar)?\.[\p{L}\p{N}_-]{1,16}$/iu

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * A name from the network made safe to create in a folder, on any system:
 *
 * - the last non-empty component only, split on `/` and `\`
 *   (`../../etc/passwd` and `C:\Windows\x` give `passwd` and `x`);
 *   lone surrogates become U+FFFD, then NFC;
 * - each UNSAFE character becomes `_`;
 * - at most MAX_FILE_NAME_BYTES UTF-8 bytes, cut between grapheme clusters
 *   (between code points if a single cluster is too long) and keeping the
 *   extension;
 * - trailing dots and spaces removed (Windows drops them);
 * - a leading dot becomes `_`: `.bashrc` gives `_bashrc`, never a hidden
 *   file, and `.` and `..` have nothing left, so give FALLBACK_FILE_NAME;
 * - a reserved device name gets a leading `_`: `con.txt` gives `_con.txt`;
 * - nothing left gives FALLBACK_FILE_NAME.
 *
 * Pure, and idempotent: a safe name is its own safe name.
 */
export function safeFileName (name: string): string {
  const component = name.toWellFormed().normalize('NFC').split(/[/\\]/).findLast(part => part !== '') ?? ''
  let safe = trimEnd(fit(component.replace(UNSAFE, '_'), MAX_FILE_NAME_BYTES))
  if (safe.startsWith('.')) safe = `_${safe.slice(1)}`
  if (isReservedName(safe)) safe = trimEnd(fit(`_${safe}`, MAX_FILE_NAME_BYTES))
  return safe === '' ? FALLBACK_FILE_NAME : safe
}

export interface UniqueFile {
  /** absolute path of the new file, inside the real path of the folder */
  path: string
  /** the new file, empty, open for writing, mode 0o600 */
  handle: FileHandle
}

/**
 * Creates a new file for `name` in `dir`: safeFileName(name), or if anything
 * at all has that name (a file, a directory, a symlink, dangling or not),
 * `name (1).ext`, `name (2).ext`... up to MAX_NAME_ATTEMPTS names, then
 * NoFreeFileNameError. Each is opened with O_CREAT | O_EXCL (`wx`), so
 * nothing existing is ever followed, truncated or replaced, and two
 * concurrent calls never get the same file. The caller closes the handle.
 *
 * File system errors other than "exists" (a missing folder, EACCES, ENOSPC)
 * are passed on as Node gives them, with their `code`.
 */
export async function createUniqueFile (dir: string, name: string, options: AbortOptions = {}): Promise<UniqueFile> {
  const root = await realpath(dir)
  const safe = safeFileName(name)
  for (let n = 0; n < MAX_NAME_ATTEMPTS; n++) {
    options.signal?.throwIfAborted()
    const path = resolveInDir(root, numberedName(safe, n))
    try {
      return { path, handle: await open(path, 'wx', 0o600) }
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err
    }
  }
  throw new NoFreeFileNameError()
}

/**
 * `dir/name`, or PathOutsideDirError unless that is `name` directly inside
 * `dir` (checked with path.relative; give `dir` as a real path, as
 * createUniqueFile does, so that no symlink in it leads elsewhere)
 */
export function resolveInDir (dir: string, name: string): string {
  const path = join(dir, name)
  const rel = relative(dir, path)
  if (rel !== name || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new PathOutsideDirError()
  }
  return path
}

/**
 * Where the transfer `id` (32 lower-case hex characters, TypeError
 * otherwise) keeps its partial file: `<dir>/.partial/<id>.part`. It never
 * appears under its final name, and no safe name starts with a dot.
 */
export function partialPath (dir: string, id: string): string {
  if (typeof id !== 'string' || !TRANSFER_ID.test(id)) throw new TypeError('a transfer id is 32 lower-case hex characters')
  return join(dir, PARTIAL_DIR, `${id}.part`)
}

/**
 * Creates the downloads folder `dir` if missing, and in it `.partial` with
 * mode 0o700, and returns the latter's path. An existing `.partial` must be
 * a directory of this user (not a symlink, not a file), else
 * UnsafePartialDirError; one readable by others is made 0o700.
 */
export async function ensurePartialDir (dir: string, options: AbortOptions = {}): Promise<string> {
  options.signal?.throwIfAborted()
  await mkdir(dir, { recursive: true })
  const partial = join(dir, PARTIAL_DIR)
  try {
    await mkdir(partial, { mode: 0o700 })
    return partial
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err
  }
  const stats = await lstat(partial)
  const uid = process.getuid?.()
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) throw new UnsafePartialDirError()
  if ((stats.mode & 0o077) !== 0) await chmod(partial, 0o700)
  return partial
}

/** The n-th name tried for `name`: itself, then `stem (n).ext`, the stem cut to fit */
function numberedName (name: string, n: number): string {
  if (n === 0) return name
  const ext = extensionOf(name)
  const suffix = ` (${n})${ext}`
  return cut(name.slice(0, name.length - ext.length), MAX_FILE_NAME_BYTES - byteLength(suffix)) + suffix
}

/** `name` in at most `max` UTF-8 bytes, cut at its end but keeping its extension */
function fit (name: string, max: number): string {
  if (byteLength(name) <= max) return name
  const ext = extensionOf(name)
  return cut(name.slice(0, name.length - ext.length), max - byteLength(ext)) + ext
}

/** The extension of `name` (`.tar.gz`, `.pdf`), or '' if none or if it would be the whole name */
function extensionOf (name: string): string {
  const match = EXTENSION.exec(name)
  return match === null || match.index === 0 ? '' : match[0]
}

/** The longest start of `text` in `budget` UTF-8 bytes that ends between grapheme clusters, or failing that between code points */
function cut (text: string, budget: number): string {
  const byGrapheme = take(clusters(text), budget)
  return byGrapheme !== '' ? byGrapheme : take(text, budget)
}

function * clusters (text: string): Generator<string> {
  for (const { segment } of graphemes.segment(text)) yield segment
}

/** The longest run of `pieces` from the start in `budget` UTF-8 bytes */
function take (pieces: Iterable<string>, budget: number): string {
  let out = ''
  let used = 0
  for (const piece of pieces) {
    used += byteLength(piece)
    if (used > budget) break
    out += piece
  }
  return out
}

/** `name` without trailing dots and spaces (a loop: a regex would backtrack quadratically on a long run that is not at the end) */
function trimEnd (name: string): string {
  let end = name.length
  while (end > 0 && (name[end - 1] === '.' || name[end - 1] === ' ')) end--
  return name.slice(0, end)
}

/** Whether Windows would take `name` for a device: its part before the first dot, trailing spaces ignored, is reserved */
function isReservedName (name: string): boolean {
  const dot = name.indexOf('.')
  return RESERVED.test((dot === -1 ? name : name.slice(0, dot)).trimEnd())
}

function byteLength (text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

function isErrno (err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code
}
