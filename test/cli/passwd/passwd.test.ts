/**
 * `securechat passwd` on real data dirs, with scripted prompts for the
 * terminal: change, set and remove a passphrase; three wrong tries, a wrong
 * passphrase from the environment, no account: refused, the key file
 * unchanged byte for byte.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { checkPassphrase, createAccount, inspectDataDir } from '../../../src/app/index.ts'
import { unprotectedWarning } from '../../../src/cli/account/index.ts'
import { passwd } from '../../../src/cli/passwd/index.ts'
import { protectCheaply } from '../../helpers/scrypt.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { CANCEL, fakeIo, scripted } from '../account/scripted.ts'

const OLD = 'tangerine otter sleeps under quiet bridges'
const NEW = 'violet kettles hum beside frozen lanterns'

async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/** An account, protected by `passphrase` (if given) at the cheapest scrypt cost; what passwd writes has the real one */
async function account (t: { after: (fn: () => unknown) => void }, passphrase?: string): Promise<{ dataDir: string, keyFile: () => Promise<Buffer> }> {
  const dataDir = await tempDir(t, 'securechat-passwd-')
  await createAccount({ dataDir })
  if (passphrase != null) {
    await protectCheaply(dataDir, passphrase)
  }
  return { dataDir, keyFile: async () => readFile(join(dataDir, 'securechat.key')) }
}

void describe('securechat passwd', () => {
  void it('on a terminal: the current one (a wrong try first), the new one twice; only the new one opens it', async (t) => {
    const { dataDir } = await account(t, OLD)
    const { io, stdout, stderr } = fakeIo({ tty: true })
    const prompts = scripted(['not it', OLD, NEW, NEW])
    assert.equal(await passwd({ dataDir, remove: false }, io, { prompts }), 0)
    await settled()
    assert.equal(prompts.left(), 0)
    assert.deepEqual(prompts.log.filter(l => l.startsWith('secret: ')), [
      'secret: Current passphrase:', 'secret: Current passphrase:', 'secret: New passphrase (empty for none):', 'secret: Repeat the passphrase:'
    ])
    assert.equal(stdout(), `passphrase changed: data dir ${dataDir} is protected by the new one\n`)
    assert.equal(stderr(), '')
    await checkPassphrase(dataDir, NEW)
    await assert.rejects(checkPassphrase(dataDir, OLD), { name: 'WrongPassphraseError' })
  })

  void it('on a terminal: an empty new one removes the protection after the warning and a yes', async (t) => {
    const { dataDir } = await account(t, OLD)
    const { io, stderr } = fakeIo({ tty: true })
    const prompts = scripted([OLD, '', true])
    assert.equal(await passwd({ dataDir, remove: false }, io, { prompts }), 0)
    await settled()
    assert.ok(prompts.log.includes('confirm: Continue without a passphrase?'))
    assert.equal((await inspectDataDir(dataDir)).state, 'unprotected')
    assert.equal(stderr(), `${unprotectedWarning(dataDir)}\n`)
  })

  void it('on a terminal, an unprotected data dir: nothing to ask first, then the new one protects it', async (t) => {
    const { dataDir } = await account(t)
    const { io, stdout, stderr } = fakeIo({ tty: true })
    assert.equal(await passwd({ dataDir, remove: false }, io, { prompts: scripted([NEW, NEW]) }), 0)
    await settled()
    assert.equal(stdout(), `passphrase set: data dir ${dataDir} is protected by the new one\n`)
    assert.match(stderr(), /^note: the data key is unchanged.*securechat export FILE, then securechat import FILE --data-dir NEW_DIR$/m)
    await checkPassphrase(dataDir, NEW)
  })

  void it('three wrong tries: WrongPassphraseError, exit 1, the key file unchanged', async (t) => {
    const { dataDir, keyFile } = await account(t, OLD)
    const before = await keyFile()
    const { io, stderr } = fakeIo({ tty: true })
    const prompts = scripted(['a', 'b', 'c'])
    assert.equal(await passwd({ dataDir, remove: false }, io, { prompts }), 1)
    await settled()
    assert.match(stderr(), /^error: wrong passphrase/m)
    assert.deepEqual(await keyFile(), before)
  })

  void it('Ctrl+C at the new passphrase: exit 130, the old one still works', async (t) => {
    const { dataDir, keyFile } = await account(t, OLD)
    const before = await keyFile()
    const { io } = fakeIo({ tty: true })
    assert.equal(await passwd({ dataDir, remove: false }, io, { prompts: scripted([OLD, NEW, CANCEL]) }), 130)
    assert.deepEqual(await keyFile(), before)
  })

  void it('without a terminal: both from the environment (or files), nothing asked', async (t) => {
    const { dataDir } = await account(t, OLD)
    const { io } = fakeIo({ tty: false })
    assert.equal(await passwd({ dataDir, passphrase: OLD, newPassphrase: NEW, remove: false }, io), 0)
    await checkPassphrase(dataDir, NEW)
  })

  void it('without a terminal: a wrong current one is refused, the key file unchanged', async (t) => {
    const { dataDir, keyFile } = await account(t, OLD)
    const before = await keyFile()
    const { io, stderr } = fakeIo({ tty: false })
    assert.equal(await passwd({ dataDir, passphrase: 'wrong', newPassphrase: NEW, remove: false }, io), 1)
    await settled()
    assert.match(stderr(), /^error: wrong passphrase/)
    assert.deepEqual(await keyFile(), before)
    // and none at all for a protected data dir
    assert.equal(await passwd({ dataDir, newPassphrase: NEW, remove: false }, io), 1)
    assert.deepEqual(await keyFile(), before)
  })

  void it('without a terminal and no new passphrase: a usage error (exit 2), unless --remove-passphrase', async (t) => {
    const { dataDir, keyFile } = await account(t, OLD)
    const before = await keyFile()
    const { io, stderr } = fakeIo({ tty: false })
    assert.equal(await passwd({ dataDir, passphrase: OLD, remove: false }, io), 2)
    await settled()
    assert.match(stderr(), /^error: no new passphrase: without a terminal, give it in --new-passphrase-file or SECURECHAT_NEW_PASSPHRASE/)
    assert.deepEqual(await keyFile(), before)

    assert.equal(await passwd({ dataDir, passphrase: OLD, remove: true }, io), 0)
    assert.equal((await inspectDataDir(dataDir)).state, 'unprotected')
  })

  void it('no account: NoAccountError, exit 1; unprotected and kept so: nothing to do, exit 0', async (t) => {
    const empty = await tempDir(t, 'securechat-passwd-')
    const { io, stdout, stderr } = fakeIo({ tty: false })
    assert.equal(await passwd({ dataDir: empty, newPassphrase: NEW, remove: false }, io), 1)
    await settled()
    assert.equal(stderr(), `error: no account in data dir ${empty} (create one with securechat init)\n`)
    assert.equal((await inspectDataDir(empty)).state, 'empty')

    const { dataDir, keyFile } = await account(t)
    const before = await keyFile()
    assert.equal(await passwd({ dataDir, remove: true }, io), 0)
    await settled()
    assert.match(stdout(), /has no passphrase and keeps none: nothing changed/)
    assert.deepEqual(await keyFile(), before)
  })
})
