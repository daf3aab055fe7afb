/**
 * `securechat export` on real data dirs, with scripted prompts for the
 * terminal: what it asks (the data dir's passphrase, or a new one for the
 * archive of an unprotected data dir), what it refuses before asking, and
 * what it prints, as text and as one JSON line.
 */
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkArchivePassphrase, createAccount } from '../../../src/app/index.ts'
import { PASSPHRASE_REQUIRED } from '../../../src/cli/account/new-passphrase.ts'
import { exportCommand } from '../../../src/cli/export/index.ts'
import { protectCheaply } from '../../helpers/scrypt.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { CANCEL, fakeIo, scripted } from '../account/scripted.ts'

const PASSPHRASE = 'tangerine otter sleeps under quiet bridges'
const NEW = 'violet kettles hum beside frozen lanterns'

async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/** An account, protected by `passphrase` (if given) at the cheapest scrypt cost; the archive takes the real one */
async function account (t: { after: (fn: () => unknown) => void }, passphrase?: string): Promise<{ root: string, dataDir: string, file: string, peerId: string }> {
  const root = await tempDir(t, 'securechat-export-')
  const dataDir = join(root, 'data')
  const { peerId } = await createAccount({ dataDir })
  if (passphrase != null) {
    await protectCheaply(dataDir, passphrase)
  }
  return { root, dataDir, file: join(root, 'backup.sca'), peerId }
}

void describe('securechat export', () => {
  void it('on a terminal, a protected data dir: its passphrase (a wrong try first); the archive opens with it', async (t) => {
    const { dataDir, file, peerId } = await account(t, PASSPHRASE)
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted(['not it', PASSPHRASE])
    assert.equal(await exportCommand({ file, dataDir, json: false }, io, { prompts }), 0)
    await settled()
    assert.equal(prompts.left(), 0)
    assert.deepEqual(prompts.log.filter(l => l.startsWith('secret: ')), [`secret: Passphrase for ${dataDir}:`, `secret: Passphrase for ${dataDir}:`])
    assert.match(stdout(), new RegExp(`^archive written: ${file} \\(\\d+ bytes\\)\npeer id: ${peerId}; 0 peers, 0 messages\nrestore it with: securechat import ${file} --data-dir DIR\n$`))
    assert.equal(stderr(), '')
    await checkArchivePassphrase(file, PASSPHRASE)
  })

  void it('on a terminal, an unprotected data dir: a passphrase for the archive, never none', async (t) => {
    const { dataDir, file } = await account(t)
    const { io } = fakeIo({ tty: true })
    const prompts = scripted(['', NEW, NEW])
    assert.equal(await exportCommand({ file, dataDir, json: false }, io, { prompts }), 0)
    await settled()
    assert.ok(prompts.log.includes(`say: ${PASSPHRASE_REQUIRED}`), prompts.log.join('\n'))
    assert.ok(prompts.log.some(l => /^say: strength: [34] of 4/.test(l)), prompts.log.join('\n'))
    assert.ok(!prompts.log.some(l => l.startsWith('confirm: ')), 'no "continue without" question')
    await checkArchivePassphrase(file, NEW)
  })

  void it('refuses an existing FILE and a data dir without an account before asking anything', async (t) => {
    const { root, dataDir, file } = await account(t, PASSPHRASE)
    await writeFile(file, 'an older backup')
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted([])
    assert.equal(await exportCommand({ file, dataDir, json: false }, io, { prompts }), 1)
    assert.equal(await exportCommand({ file: join(root, 'new.sca'), dataDir: join(root, 'nothing'), json: false }, io, { prompts }), 1)
    await settled()
    assert.deepEqual(prompts.log, [])
    assert.equal(stdout(), '')
    assert.equal(stderr(), `error: ${file} already exists: an export never replaces a file (choose another name, or remove it first)\n` +
      `error: no account in data dir ${join(root, 'nothing')}: nothing to export\n`)
    assert.deepEqual((await readdir(root)).sort(), ['backup.sca', 'data'])
  })

  void it('Ctrl+C at the prompt: exit 130, no file', async (t) => {
    const { root, dataDir, file } = await account(t, PASSPHRASE)
    const { io } = fakeIo({ tty: true })
    assert.equal(await exportCommand({ file, dataDir, json: false }, io, { prompts: scripted([CANCEL]) }), 130)
    assert.deepEqual(await readdir(root), ['data'])
  })

  void it('without a terminal: the passphrase given, or a clear refusal; --json prints one line, errors too', async (t) => {
    const { root, dataDir, file, peerId } = await account(t, PASSPHRASE)
    const { io, stdout, stderr } = fakeIo({ tty: false })
    // protected, none given: the data dir does not open
    assert.equal(await exportCommand({ file, dataDir, json: false }, io), 1)
    await settled()
    assert.match(stderr(), /^error: the key file is protected by a passphrase and none was given\n$/)
    assert.deepEqual(await readdir(root), ['data'])

    assert.equal(await exportCommand({ file, dataDir, passphrase: PASSPHRASE, json: true }, io), 0)
    assert.equal(await exportCommand({ file, dataDir, passphrase: PASSPHRASE, json: true }, io), 1)
    await settled()
    const [done, error, ...rest] = stdout().trimEnd().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(rest, [])
    assert.deepEqual({ ...done, bytes: typeof done?.bytes }, { type: 'exported', file, peerId, peers: 0, messages: 0, bytes: 'number' })
    assert.deepEqual(error && [error.type, error.code], ['error', 'ArchiveExistsError'])

    const bare = await account(t)
    assert.equal(await exportCommand({ file: bare.file, dataDir: bare.dataDir, json: false }, io), 2)
    await settled()
    assert.match(stderr(), /error: no passphrase: an archive is always encrypted; without a terminal, give it in --passphrase-file or SECURECHAT_PASSPHRASE\n$/)
  })
})
