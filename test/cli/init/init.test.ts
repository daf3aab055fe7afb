/**
 * `securechat init` on a real data dir, with scripted prompts for the
 * terminal: what it asks, what it creates (a protected or an unprotected key
 * file, checked with the app's own functions), and what it refuses.
 */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkPassphrase, createAccount, inspectDataDir } from '../../../src/app/index.ts'
import { unprotectedWarning } from '../../../src/cli/account/index.ts'
import { init } from '../../../src/cli/init/index.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { CANCEL, fakeIo, scripted } from '../account/scripted.ts'

const STRONG = 'tangerine otter sleeps under quiet bridges'
const PEER_ID_LINE = /^peer id: 12D3KooW\w{44}$/m

async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

void describe('securechat init', () => {
  void it('on a terminal: a weak passphrase declined, a strong one typed twice; the data dir opens with it only', async (t) => {
    const dataDir = join(await tempDir(t, 'securechat-init-'), 'account')
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted(['alice', false, STRONG, STRONG])
    assert.equal(await init({ name: 'alice', dataDir }, io, { prompts }), 0)
    await settled()

    assert.equal(prompts.left(), 0)
    assert.ok(prompts.log.some(l => /^say: strength: 0 of 4 \(very weak\)\./.test(l)), prompts.log.join('\n'))
    assert.match(stdout(), PEER_ID_LINE)
    assert.match(stdout(), new RegExp(`^start it with: securechat --name alice --data-dir ${dataDir}$`, 'm'))
    assert.equal(stderr(), '')
    assert.ok(!stdout().includes(STRONG))

    assert.equal((await inspectDataDir(dataDir)).state, 'protected')
    assert.deepEqual((await inspectDataDir(dataDir)).looseModes, [])
    await checkPassphrase(dataDir, STRONG)
    await assert.rejects(checkPassphrase(dataDir, 'alice'), { name: 'WrongPassphraseError' })
  })

  void it('on a terminal, none chosen and confirmed: unprotected, and it says so once', async (t) => {
    const dataDir = await tempDir(t, 'securechat-init-')
    const { io, stderr } = fakeIo({ tty: true })
    assert.equal(await init({ name: 'alice', dataDir }, io, { prompts: scripted(['', true]) }), 0)
    await settled()
    assert.equal((await inspectDataDir(dataDir)).state, 'unprotected')
    assert.equal(stderr(), `${unprotectedWarning(dataDir)}\n`)
  })

  void it('without a terminal and without a passphrase: unprotected, said once on stderr, nothing asked', async (t) => {
    const dataDir = await tempDir(t, 'securechat-init-')
    const { io, stdout, stderr } = fakeIo({ tty: false })
    assert.equal(await init({ name: 'alice', dataDir }, io), 0)
    await settled()
    assert.match(stdout(), PEER_ID_LINE)
    assert.equal(stderr(), `${unprotectedWarning(dataDir)}\n`)
    assert.equal((await inspectDataDir(dataDir)).state, 'unprotected')
  })

  void it('a passphrase given (from the environment or a file): no prompt, even on a terminal', async (t) => {
    const dataDir = await tempDir(t, 'securechat-init-')
    const { io, stderr } = fakeIo({ tty: true })
    const prompts = scripted([])
    assert.equal(await init({ name: 'alice', dataDir, passphrase: 'from the environment' }, io, { prompts }), 0)
    await settled()
    assert.deepEqual(prompts.log, [])
    assert.equal(stderr(), '')
    await checkPassphrase(dataDir, 'from the environment')
  })

  void it('refuses a data dir that holds an account, before asking anything: exit 1, nothing changed', async (t) => {
    const dataDir = await tempDir(t, 'securechat-init-')
    const { peerId } = await createAccount({ dataDir })
    const before = await readdir(dataDir, { recursive: true })
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted([])
    assert.equal(await init({ name: 'alice', dataDir }, io, { prompts }), 1)
    await settled()
    assert.deepEqual(prompts.log, [])
    assert.equal(stdout(), '')
    assert.equal(stderr(), `error: data dir ${dataDir} is not empty: it already holds an account (start it with securechat --data-dir ${dataDir})\n`)
    assert.deepEqual(await readdir(dataDir, { recursive: true }), before)
    assert.equal((await inspectDataDir(dataDir)).state, 'unprotected')
    // createAccount refuses it too, by name
    await assert.rejects(createAccount({ dataDir }), { name: 'DataDirNotEmptyError' })
    assert.match(peerId, /^12D3KooW/)
  })

  void it('Ctrl+C at a prompt: exit 130, the data dir is not created', async (t) => {
    const dataDir = join(await tempDir(t, 'securechat-init-'), 'account')
    const { io, stderr } = fakeIo({ tty: true })
    assert.equal(await init({ name: 'alice', dataDir }, io, { prompts: scripted([STRONG, CANCEL]) }), 130)
    await settled()
    assert.equal(stderr(), 'error: cancelled, nothing was changed\n')
    assert.equal((await inspectDataDir(dataDir)).state, 'empty')
    await assert.rejects(readdir(dataDir), { code: 'ENOENT' })
  })
})
