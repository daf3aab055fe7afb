/**
 * What a face asks about a data dir before it starts a node: is there an
 * account, is it protected by a passphrase, are its modes loose, and does a
 * passphrase open it. Only reads (no LevelDB, which rewrites its files as it
 * opens): nothing in the data dir changes, whatever the answer.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DB_DIR_NAME } from './constants.ts'
import { keyFilePath } from './data-key.ts'
import { CorruptKeyFileError } from './errors.ts'
import { decodeKeyFile, parseKeyFile } from './keyfile.ts'
import { readKeyFile } from './keyfile-io.ts'
import type { AbortOptions } from '@libp2p/interface'

/**
 * `empty`: no key file and no database (missing, or holding other files
 * only): the first start creates the account. `unprotected`: the key file
 * holds the data key itself. `protected`: the key file wraps it under a
 * passphrase.
 */
export type DataDirState = 'empty' | 'unprotected' | 'protected'

export interface DataDirInfo {
  state: DataDirState
  /**
   * The data dir, its key file and its database directory where group or
   * others have any access, as `<path> <mode>`, e.g.
   * `/home/alice/.securechat/securechat.key 0644`. Faces warn about each;
   * the store never creates one (0700 directories, a 0600 key file), so
   * these were made by hand or by another tool.
   */
  looseModes: string[]
}

/** The permission bits of `path`, or undefined if it does not exist */
async function modeOf (path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined
    }
    throw err
  }
}

/** Programmer mistakes: TypeError (the store's own rule, see LevelStore) */
export function assertOptionalPassphrase (passphrase: unknown, what = 'passphrase'): void {
  if (passphrase !== undefined && (typeof passphrase !== 'string' || passphrase.length === 0)) {
    throw new TypeError(`${what} must be a non-empty string when given`)
  }
}

function loose (path: string, mode: number | undefined): string[] {
  return mode !== undefined && (mode & 0o077) !== 0 ? [`${path} ${mode.toString(8).padStart(4, '0')}`] : []
}

/** A key file missing next to a database: its data is under a lost key, or (see checkDataKey) it holds nothing */
function missingKeyFile (): CorruptKeyFileError {
  return new CorruptKeyFileError('key file is missing but the data dir holds a database')
}

/**
 * Whether `dataDir` holds an account and whether a passphrase protects it,
 * and which of its modes are loose. Throws CorruptKeyFileError for a
 * damaged key file, or a database without one.
 */
export async function inspectDataDir (dataDir: string, options: AbortOptions = {}): Promise<DataDirInfo> {
  options.signal?.throwIfAborted()
  const dirMode = await modeOf(dataDir)
  if (dirMode === undefined) {
    return { state: 'empty', looseModes: [] }
  }
  const keyPath = keyFilePath(dataDir)
  const dbPath = join(dataDir, DB_DIR_NAME)
  const file = await readKeyFile(keyPath)
  const dbMode = await modeOf(dbPath)
  const looseModes = [...loose(dataDir, dirMode), ...loose(keyPath, file?.mode), ...loose(dbPath, dbMode)]

  if (file === undefined) {
    if (dbMode !== undefined) {
      throw missingKeyFile()
    }
    return { state: 'empty', looseModes }
  }
  const parsed = parseKeyFile(file.bytes)
  if (parsed.kdf === 'none') {
    parsed.key.fill(0)
    return { state: 'unprotected', looseModes }
  }
  return { state: 'protected', looseModes }
}

/**
 * Resolves if `passphrase` (none for an unprotected data dir) opens the key
 * file of `dataDir`, and so would let a node start there; WrongPassphraseError
 * otherwise, CorruptKeyFileError for a damaged key file or a database without
 * one. An empty data dir takes any passphrase (its first start creates the
 * key file with it). Only reads; takes a fraction of a second (scrypt).
 */
export async function checkPassphrase (dataDir: string, passphrase?: string, options: AbortOptions = {}): Promise<void> {
  assertOptionalPassphrase(passphrase)
  options.signal?.throwIfAborted()
  const file = await readKeyFile(keyFilePath(dataDir))
  if (file === undefined) {
    if (await modeOf(join(dataDir, DB_DIR_NAME)) !== undefined) {
      throw missingKeyFile()
    }
    return
  }
  const key = await decodeKeyFile(file.bytes, passphrase).finally(() => file.bytes.fill(0))
  key.fill(0)
}
