/**
 * The key file on disk (its format is keyfile.ts): read with a size bound,
 * replaced atomically and durably, and the temp files a killed write leaves
 * behind cleaned up. Nothing here knows a passphrase.
 *
 * A replacement (replaceKeyFile) is four steps, and a crash (SIGKILL, power
 * loss) between any two leaves a whole key file, the old one or the new one:
 *
 *   temp-written  `securechat.key.<12 hex>.tmp` created 0600 (`wx`, never an
 *                 existing file) and written; `securechat.key` is untouched
 *   temp-synced   its bytes are on disk
 *   renamed       rename(2) over `securechat.key`: atomic, so a reader sees
 *                 the old file or the new one, never a mix or nothing
 *   dir-synced    the rename itself is on disk (until then a power loss
 *                 may bring back the old file, which still works)
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, open, readdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { KEY_FILE_MODE, MAX_KEY_FILE_BYTES } from './constants.ts'
import { CorruptKeyFileError } from './errors.ts'

export interface KeyFileContents {
  bytes: Uint8Array
  /** permission bits of the file */
  mode: number
}

/** The steps of replaceKeyFile, in order (see the top of this file) */
export const KEY_FILE_STEPS = ['temp-written', 'temp-synced', 'renamed', 'dir-synced'] as const

export type KeyFileStep = typeof KEY_FILE_STEPS[number]

/** `securechat.key.<12 hex>.tmp`: a temp file of the key file called `name` */
function isTempOf (name: string, entry: string): boolean {
  return entry.startsWith(`${name}.`) && /^\.[0-9a-f]{12}\.tmp$/.test(entry.slice(name.length))
}

/**
 * Reads the key file; `undefined` if it does not exist. A symlink is
 * refused (passwd would replace it with a file and leave the target under
 * the old wrapping), and so is anything but a regular file (a FIFO would
 * block the read: O_NONBLOCK).
 */
export async function readKeyFile (path: string): Promise<KeyFileContents | undefined> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined
    }
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new CorruptKeyFileError('key file is a symbolic link: keep the real file in the data dir', { cause: err })
    }
    throw new CorruptKeyFileError('key file cannot be opened', { cause: err })
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) {
      throw new CorruptKeyFileError('key file is not a regular file')
    }
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw new CorruptKeyFileError('key file is too large')
    }
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    if (bytesRead > MAX_KEY_FILE_BYTES) {
      throw new CorruptKeyFileError('key file is too large')
    }
    const bytes = new Uint8Array(buffer.subarray(0, bytesRead))
    buffer.fill(0)
    return { bytes, mode: stat.mode & 0o777 }
  } catch (err) {
    if (err instanceof CorruptKeyFileError) {
      throw err
    }
    throw new CorruptKeyFileError('key file cannot be read', { cause: err })
  } finally {
    await handle.close()
  }
}

/** A new 0600 temp file next to `path`, holding `bytes`, synced; its path */
async function writeTemp (path: string, bytes: Uint8Array, afterStep?: (step: KeyFileStep) => void): Promise<string> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', KEY_FILE_MODE)
  try {
    // the mode given to open() is filtered by the umask, which can only
    // remove bits: this makes it exactly 0600 (readable by us) whatever it is
    await handle.chmod(KEY_FILE_MODE)
    await handle.writeFile(bytes)
    afterStep?.('temp-written')
    await handle.sync()
    afterStep?.('temp-synced')
  } catch (err) {
    await handle.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw err
  }
  await handle.close()
  return temp
}

async function syncDir (path: string): Promise<void> {
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/**
 * Replaces the key file atomically and durably: a new 0600 temp file in the
 * same directory, fsync, rename over `path`, fsync of the directory.
 * `afterStep` is called after each step (the crash test kills the process
 * there). On a failure before the rename the temp file is removed and the
 * old key file is untouched.
 */
export async function replaceKeyFile (path: string, bytes: Uint8Array, afterStep?: (step: KeyFileStep) => void): Promise<void> {
  const temp = await writeTemp(path, bytes, afterStep)
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
  afterStep?.('renamed')
  await syncDir(path)
  afterStep?.('dir-synced')
}

/**
 * Creates the key file, atomically and durably, only if there is none: the
 * temp file is hard-linked to `path` (link(2) never replaces), then
 * removed. Rejects with the EEXIST of link() if a key file appeared
 * meanwhile (another process creating the same data dir): two processes
 * starting on a new data dir at once must not each take their own key.
 */
export async function createKeyFile (path: string, bytes: Uint8Array): Promise<void> {
  const temp = await writeTemp(path, bytes)
  try {
    await link(temp, path)
  } finally {
    await unlink(temp).catch(() => {})
  }
  await syncDir(path)
}

/**
 * Removes the temp files a killed write left next to `path`. One may
 * hold the data key unwrapped (a passphrase being removed) or wrapped under
 * a passphrase the user never saw confirmed, so none is left lying around.
 * Called only once the key file has been opened with the right passphrase.
 */
export async function removeKeyFileTemps (path: string): Promise<void> {
  const name = basename(path)
  const dir = dirname(path)
  for (const entry of await readdir(dir)) {
    if (isTempOf(name, entry)) {
      await unlink(join(dir, entry)).catch(() => {})
    }
  }
}
