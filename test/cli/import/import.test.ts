/**
 * `securechat import` on real archives, with scripted prompts for the
 * terminal: three tries at the archive's passphrase, what it refuses before
 * asking (a data dir that is not empty, a file that is not an archive), and
 * what it prints, as text and as one JSON line.
 */
import assert from 'node:assert/strict'
import type { EventEmitter } from 'node:events'
import { watch } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { checkPassphrase, createAccount, exportArchive } from '../../../src/app/index.ts'
import { importCommand } from '../../../src/cli/import/index.ts'
import { createTempDir } from '../../helpers/tmp.ts'
import { fakeIo, scripted } from '../account/scripted.ts'
import type { TempDir } from '../../helpers/tmp.ts'

const PASSPHRASE = 'tangerine otter sleeps under quiet bridges'

async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

let fixtures: TempDir
let file: string
let peerId: string

/** A fresh parent dir for a restore, under the suite's temp dir */
async function parent (name: string): Promise<string> {
  const dir = join(fixtures.path, name)
  await mkdir(dir)
  return dir
}

void describe('securechat import', () => {
  before(async () => {
    fixtures = await createTempDir('securechat-import-')
    const dataDir = join(fixtures.path, 'source')
    peerId = (await createAccount({ dataDir, passphrase: PASSPHRASE })).peerId
    file = join(fixtures.path, 'backup.sca')
    await exportArchive({ dataDir, file, passphrase: PASSPHRASE })
  })
  after(async () => { await fixtures.remove() })

  void it('on a terminal: the archive\'s passphrase, two wrong tries first; prints the peer id and how to start it', async () => {
    const dataDir = join(await parent('terminal'), 'restored')
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted(['a', '', PASSPHRASE])
    assert.equal(await importCommand({ file, dataDir, json: false }, io, { prompts }), 0)
    await settled()
    assert.equal(prompts.left(), 0)
    assert.deepEqual(prompts.log, [
      `secret: Passphrase for ${file}:`, 'say: Wrong passphrase, 2 tries left.', `secret: Passphrase for ${file}:`, 'say: Wrong passphrase, 1 try left.', `secret: Passphrase for ${file}:`
    ])
    assert.equal(stdout(), `account restored into ${dataDir}, protected by the archive's passphrase\npeer id: ${peerId}; 0 peers, 0 messages\nstart it with: securechat --data-dir ${dataDir}\n`)
    assert.equal(stderr(), '')
    await checkPassphrase(dataDir, PASSPHRASE)
  })

  void it('three wrong tries: WrongPassphraseError, exit 1, nothing created', async () => {
    const dir = await parent('wrong')
    const { io, stderr } = fakeIo({ tty: true })
    assert.equal(await importCommand({ file, dataDir: join(dir, 'restored'), json: false }, io, { prompts: scripted(['a', 'b', 'c']) }), 1)
    await settled()
    assert.match(stderr(), /^error: wrong passphrase: it does not open this archive\n$/)
    assert.deepEqual(await readdir(dir), [])
  })

  void it('refuses a data dir that is not empty and a file that is not an archive before asking anything', async () => {
    const dir = await parent('refused')
    await writeFile(join(dir, 'notes.txt'), 'mine')
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted([])
    assert.equal(await importCommand({ file, dataDir: dir, json: false }, io, { prompts }), 1)
    assert.equal(await importCommand({ file: join(dir, 'notes.txt'), dataDir: join(dir, 'restored'), json: false }, io, { prompts }), 1)
    await settled()
    assert.deepEqual(prompts.log, [])
    assert.equal(stdout(), '')
    assert.equal(stderr(), `error: data dir ${dir} is not empty: an import restores into a new data dir only (choose another --data-dir)\nerror: not a securechat archive\n`)
    assert.deepEqual(await readdir(dir), ['notes.txt'])
  })

  void it('SIGINT while it restores: exit 130, the scratch dir removed, nothing in the parent', async () => {
    const dir = await parent('interrupted')
    const { io, stderr } = fakeIo({ tty: false })
    // one signal (a second forces the exit), once the scratch dir exists: the store is still to be created and filled
    let sent = false
    const watcher = watch(dir, (_, name) => {
      if (!sent && name?.startsWith('.restored.import-') === true) {
        sent = true
        ;(io.signals as EventEmitter).emit('SIGINT')
      }
    })
    try {
      assert.equal(await importCommand({ file, dataDir: join(dir, 'restored'), passphrase: PASSPHRASE, json: false }, io), 130)
    } finally {
      watcher.close()
    }
    await settled()
    assert.ok(sent, 'the scratch dir was seen')
    assert.equal(stderr(), 'error: interrupted: nothing was imported\n')
    assert.deepEqual(await readdir(dir), [])
  })

  void it('without a terminal: the passphrase given or WrongPassphraseError; --json prints one line', async () => {
    const dir = await parent('scripted')
    const { io, stdout, stderr } = fakeIo({ tty: false })
    assert.equal(await importCommand({ file, dataDir: join(dir, 'a'), json: false }, io), 1)
    await settled()
    assert.equal(stderr(), 'error: the archive is protected by a passphrase and none was given\n')
    assert.equal(await importCommand({ file, dataDir: join(dir, 'a'), passphrase: PASSPHRASE, json: true }, io), 0)
    assert.equal(await importCommand({ file, dataDir: join(dir, 'a'), passphrase: PASSPHRASE, json: true }, io), 1)
    await settled()
    const lines = stdout().trimEnd().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(lines[0], { type: 'imported', dataDir: join(dir, 'a'), peerId, peers: 0, messages: 0 })
    assert.deepEqual(lines[1] && [lines[1].type, lines[1].code], ['error', 'DataDirNotEmptyError'])
    assert.equal(lines.length, 2)
  })
})
