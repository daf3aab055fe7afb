/**
 * Backup and restore as a user runs them, in real processes: `securechat
 * init`, `export`, `import --data-dir NEW`, and a node started on NEW has
 * the same peer id. A tampered archive, a truncated one and a wrong
 * passphrase each exit 1 with a clear stderr line and leave nothing in the
 * target's parent; an export onto an existing file, or of a running node's
 * data dir, is refused just as clearly.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { is } from '../../helpers/events.ts'
import { BIN, NODE_BIN, NODE_FLAGS, REPO_ROOT, spawnChat } from '../../helpers/process.ts'
import { copyDir } from '../../helpers/files.ts'
import { createTempDir, tempDir } from '../../helpers/tmp.ts'
import type { TempDir } from '../../helpers/tmp.ts'
import { secretFile } from '../account/scripted.ts'

const PASSPHRASE = 'tangerine otter sleeps under quiet bridges'
const START = 60_000

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** `securechat ...args` to its end, without a terminal */
async function securechat (args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  delete childEnv.NODE_TEST_CONTEXT
  delete childEnv.SECURECHAT_PASSPHRASE
  Object.assign(childEnv, env)
  const child = spawn(NODE_BIN, [...NODE_FLAGS, BIN, ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { code, stdout, stderr }
}

function describeRun (run: Run): string {
  return `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`
}

const WITH_PASSPHRASE = { SECURECHAT_PASSPHRASE: PASSPHRASE }

/** A protected account made by `securechat init`, exported to `<root>/backup.sca` */
async function initAndExport (root: string): Promise<string> {
  const dataDir = join(root, 'alice')
  const init = await securechat(['init', '--name', 'alice', '--data-dir', dataDir], WITH_PASSPHRASE)
  assert.equal(init.code, 0, describeRun(init))
  const peerId = /^peer id: (\S+)$/m.exec(init.stdout)?.[1]
  assert.ok(peerId != null, describeRun(init))

  const file = join(root, 'backup.sca')
  const run = await securechat(['export', file, '--data-dir', dataDir], WITH_PASSPHRASE)
  assert.equal(run.code, 0, describeRun(run))
  assert.match(run.stdout, new RegExp(`^archive written: ${file} \\(\\d+ bytes\\)$`, 'm'))
  assert.match(run.stdout, new RegExp(`^peer id: ${peerId}; 0 peers, 0 messages$`, 'm'))
  assert.equal(run.stderr, '')
  return peerId
}

void describe('securechat export and import, as processes', { timeout: 300_000 }, () => {
  // init and export run once (two processes, each deriving at the real scrypt cost); each test gets its own copy of both
  let made: { dir: TempDir, peerId: string } | undefined
  before(async () => {
    const dir = await createTempDir('securechat-backup-cli-made-')
    made = { dir, peerId: await initAndExport(dir.path) }
  })
  after(async () => { await made?.dir.remove() })

  /** The account and its archive, copied into a fresh `<root>`: `alice/` and `backup.sca` */
  async function exported (t: { after: (fn: () => unknown) => void }): Promise<{ root: string, file: string, peerId: string, dataDir: string }> {
    assert.ok(made != null, 'made in before()')
    const root = await tempDir(t, 'securechat-backup-cli-')
    const dataDir = join(root, 'alice')
    const file = join(root, 'backup.sca')
    await copyDir(join(made.dir.path, 'alice'), dataDir)
    await copyFile(join(made.dir.path, 'backup.sca'), file)
    return { root, file, peerId: made.peerId, dataDir }
  }

  void it('init, export, import --data-dir NEW (passphrase from a file): a node on NEW has the same peer id', async (t) => {
    const { root, file, peerId } = await exported(t)
    const restored = join(root, 'restored')
    const passphraseFile = await secretFile(t, 'pass', `${PASSPHRASE}\n`)
    const run = await securechat(['import', file, '--data-dir', restored, '--passphrase-file', passphraseFile])
    assert.equal(run.code, 0, describeRun(run))
    assert.equal(run.stdout, `account restored into ${restored}, protected by the archive's passphrase\npeer id: ${peerId}; 0 peers, 0 messages\nstart it with: securechat --data-dir ${restored}\n`)
    assert.deepEqual((await readdir(root)).sort(), ['alice', 'backup.sca', 'restored'])

    const node = spawnChat({ name: 'alice', dataDir: restored, host: '127.0.0.1', args: ['--no-mdns', '--port', '0'], env: WITH_PASSPHRASE, t })
    const ready = await node.waitFor(is('ready'), { timeout: START })
    assert.equal(ready.peerId, peerId, node.diagnostics())
    assert.deepEqual(await node.stop(), { code: 0, signal: null, forced: false })
  })

  void it('--json: one line each for scripts, the passphrase from the environment', async (t) => {
    const { root, file, peerId } = await exported(t)
    const restored = join(root, 'restored')
    const run = await securechat(['import', file, '--data-dir', restored, '--json'], WITH_PASSPHRASE)
    assert.equal(run.code, 0, describeRun(run))
    assert.deepEqual(JSON.parse(run.stdout), { type: 'imported', dataDir: restored, peerId, peers: 0, messages: 0 })
    const again = await securechat(['export', file, '--data-dir', restored, '--json'], WITH_PASSPHRASE)
    assert.equal(again.code, 1, describeRun(again))
    assert.equal((JSON.parse(again.stdout) as { code: string }).code, 'ArchiveExistsError')
  })

  void it('a tampered archive, a truncated one, a wrong passphrase: exit 1, a clear line, nothing in the target\'s parent', async (t) => {
    const { root, file } = await exported(t)
    const bytes = await readFile(file)
    const tampered = Buffer.from(bytes)
    tampered[bytes.byteLength >> 1] = (tampered[bytes.byteLength >> 1] as number) ^ 0x40
    await writeFile(join(root, 'tampered.sca'), tampered)
    await writeFile(join(root, 'truncated.sca'), bytes.subarray(0, bytes.byteLength - 20))
    const parent = join(root, 'target')
    await mkdir(parent)
    const dataDir = join(parent, 'restored')

    const cases: Array<[string, string, Record<string, string>, RegExp]> = [
      ['tampered', join(root, 'tampered.sca'), WITH_PASSPHRASE, /^error: archive is damaged or was tampered with: frame 1 failed authentication\n$/],
      ['truncated', join(root, 'truncated.sca'), WITH_PASSPHRASE, /^error: archive is truncated: it ends inside frame 1\n$/],
      ['wrong passphrase', file, { SECURECHAT_PASSPHRASE: 'not the passphrase' }, /^error: wrong passphrase: it does not open this archive\n$/],
      ['no passphrase', file, {}, /^error: the archive is protected by a passphrase and none was given\n$/]
    ]
    for (const [what, archive, env, line] of cases) {
      const run = await securechat(['import', archive, '--data-dir', dataDir], env)
      assert.equal(run.code, 1, `${what}: ${describeRun(run)}`)
      assert.match(run.stderr, line, what)
      assert.equal(run.stdout, '', what)
      assert.deepEqual(await readdir(parent), [], `${what}: nothing left in the target's parent`)
    }
    // the same command with the unmodified archive goes through: the refusals were the changes'
    const run = await securechat(['import', file, '--data-dir', dataDir], WITH_PASSPHRASE)
    assert.equal(run.code, 0, describeRun(run))
    assert.deepEqual(await readdir(parent), ['restored'])
  })

  void it('refuses to export onto an existing file, and a running node\'s data dir (stop the node first)', async (t) => {
    const { root, file, dataDir } = await exported(t)
    const before = await readFile(file)
    const run = await securechat(['export', file, '--data-dir', dataDir], WITH_PASSPHRASE)
    assert.equal(run.code, 1, describeRun(run))
    assert.equal(run.stderr, `error: ${file} already exists: an export never replaces a file (choose another name, or remove it first)\n`)
    assert.deepEqual(await readFile(file), before)

    const node = spawnChat({ name: 'alice', dataDir, host: '127.0.0.1', args: ['--no-mdns', '--port', '0'], env: WITH_PASSPHRASE, t })
    await node.waitFor(is('ready'), { timeout: START })
    const busy = await securechat(['export', join(root, 'second.sca'), '--data-dir', dataDir], WITH_PASSPHRASE)
    assert.equal(busy.code, 1, describeRun(busy))
    assert.equal(busy.stderr, `error: data dir ${dataDir} is in use by a running securechat node: stop the node first\n`)
    assert.deepEqual((await readdir(root)).sort(), ['alice', 'backup.sca'])
    assert.deepEqual(await node.stop(), { code: 0, signal: null, forced: false })
  })
})
