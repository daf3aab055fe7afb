/**
 * What a directory holds, for tests that check what reached the disk: every
 * file under it, a snapshot of every entry (to prove nothing changed), and
 * a byte search for secrets and identifiers in any of the encodings they
 * could be written in; and a copy of a tree that keeps its modes.
 */
import { createHash } from 'node:crypto'
import { chmod, cp, lstat, readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'

/**
 * A copy of the tree `from` at `to` (which must not exist) with the same
 * modes, as `cp -a` makes: fs.cp keeps the modes of files but makes
 * directories by the umask, and a data dir copied that way is one that
 * other users may read (the CLI warns about it).
 */
export async function copyDir (from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true })
  const entries = await readdir(from, { recursive: true, withFileTypes: true })
  for (const path of ['', ...entries.filter(e => e.isDirectory()).map(e => relative(from, join(e.parentPath, e.name)))]) {
    await chmod(join(to, path), (await lstat(join(from, path))).mode & 0o7777)
  }
}

/** Every regular file under `dir`, recursively */
export async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name)).sort()
}

/**
 * Everything a process could change in `dir` short of access times: the
 * list of entries (the dir itself included), each one's type, mode, size,
 * mtime and ctime, and the sha256 of every file. Equal snapshots mean nothing
 * was created, removed, written, renamed or chmod-ed.
 */
export async function snapshotDir (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const paths = ['', ...entries.map(e => relative(dir, join(e.parentPath, e.name)))].sort()
  return Promise.all(paths.map(async path => {
    const full = join(dir, path)
    const info = await lstat(full)
    const hash = info.isFile() ? createHash('sha256').update(await readFile(full)).digest('hex') : '-'
    const type = info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other'
    return `${path === '' ? '.' : path} ${type} ${(info.mode & 0o7777).toString(8)} ${info.size} ${info.mtimeMs} ${info.ctimeMs} ${hash}`
  }))
}

/** A byte string to look for, and what it is */
export interface Needle {
  label: string
  bytes: Uint8Array
}

/** A text as UTF-8 and as UTF-16LE (how some tools write strings) */
export function textNeedles (label: string, text: string): Needle[] {
  return [
    { label: `${label} (utf8)`, bytes: Buffer.from(text, 'utf8') },
    { label: `${label} (utf16le)`, bytes: Buffer.from(text, 'utf16le') }
  ]
}

/**
 * A peer id in every encoding it could reach a file in: base58btc text, the
 * raw multihash bytes, the public key bytes, and hex and base64 of the
 * multihash (any 20-byte window of them would do; the whole is enough for a
 * leak by our own code).
 */
export function peerIdNeedles (label: string, peerId: string): Needle[] {
  const id = peerIdFromString(peerId)
  const multihash = id.toMultihash().bytes
  const needles: Needle[] = [
    ...textNeedles(`${label} base58`, peerId),
    { label: `${label} multihash`, bytes: multihash },
    { label: `${label} multihash hex`, bytes: Buffer.from(Buffer.from(multihash).toString('hex')) },
    { label: `${label} multihash HEX`, bytes: Buffer.from(Buffer.from(multihash).toString('hex').toUpperCase()) },
    { label: `${label} multihash base64`, bytes: Buffer.from(Buffer.from(multihash).toString('base64').slice(0, 40)) },
    { label: `${label} multihash base64url`, bytes: Buffer.from(Buffer.from(multihash).toString('base64url').slice(0, 40)) }
  ]
  const publicKey = id.publicKey?.raw
  if (publicKey !== undefined) {
    needles.push({ label: `${label} public key`, bytes: publicKey }, { label: `${label} public key hex`, bytes: Buffer.from(Buffer.from(publicKey).toString('hex')) })
  }
  return needles
}

/** Every (file, needle) pair where a file under `dir` contains a needle */
export async function findOnDisk (dir: string, needles: Needle[]): Promise<string[]> {
  const hits: string[] = []
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file)
    for (const needle of needles) {
      if (bytes.includes(Buffer.from(needle.bytes))) {
        hits.push(`${relative(dir, file)}: ${needle.label}`)
      }
    }
  }
  return hits
}
