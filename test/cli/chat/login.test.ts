/**
 * A start of `securechat [chat]` on a protected data dir, with scripted
 * prompts for the terminal: three wrong passphrases end it with
 * WrongPassphraseError and exit 1 before anything is opened (every file of
 * the data dir unchanged), Ctrl+C at the prompt exits 130, and `--json`
 * never prompts, even on a terminal.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createAccount } from '../../../src/app/index.ts'
import { chat } from '../../../src/cli/chat/index.ts'
import { snapshotDir } from '../../helpers/files.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { CANCEL, fakeIo, scripted } from '../account/scripted.ts'
import type { ChatOptions } from '../../../src/cli/chat/options.ts'

const PASSPHRASE = 'tangerine otter sleeps under quiet bridges'

function options (dataDir: string, json = false): ChatOptions {
  return { name: 'alice', dataDir, downloads: join(dataDir, 'downloads'), autoAcceptFiles: false, port: 0, host: '127.0.0.1', relays: [], json, readReceipts: true, mdns: false }
}

async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

void describe('login at start', () => {
  void it('three wrong passphrases: WrongPassphraseError, exit 1, not a byte of the data dir changed', async (t) => {
    const dataDir = await tempDir(t, 'securechat-login-')
    await createAccount({ dataDir, passphrase: PASSPHRASE })
    const before = await snapshotDir(dataDir)
    const { io, stdout, stderr } = fakeIo({ tty: true, env: { NO_COLOR: '1' } })
    const prompts = scripted(['one', 'two', 'three'])
    assert.equal(await chat(options(dataDir), io, { prompts }), 1)
    await settled()
    assert.equal(prompts.left(), 0)
    assert.deepEqual(prompts.log, [
      `secret: Passphrase for ${dataDir}:`, 'say: Wrong passphrase, 2 tries left.',
      `secret: Passphrase for ${dataDir}:`, 'say: Wrong passphrase, 1 try left.',
      `secret: Passphrase for ${dataDir}:`
    ])
    assert.match(stderr(), /^error: wrong passphrase/)
    assert.equal(stdout(), '')
    assert.deepEqual(await snapshotDir(dataDir), before)
  })

  void it('Ctrl+C at the passphrase prompt: exit 130, nothing started', async (t) => {
    const dataDir = await tempDir(t, 'securechat-login-')
    await createAccount({ dataDir, passphrase: PASSPHRASE })
    const before = await snapshotDir(dataDir)
    const { io, stderr } = fakeIo({ tty: true, env: { NO_COLOR: '1' } })
    assert.equal(await chat(options(dataDir), io, { prompts: scripted(['wrong', CANCEL]) }), 130)
    await settled()
    assert.match(stderr(), /error: cancelled, nothing was changed/)
    assert.deepEqual(await snapshotDir(dataDir), before)
  })

  void it('--json on a terminal never prompts: the WrongPassphraseError line, exit 1', async (t) => {
    const dataDir = await tempDir(t, 'securechat-login-')
    await createAccount({ dataDir, passphrase: PASSPHRASE })
    const before = await snapshotDir(dataDir)
    const { io, stdout } = fakeIo({ tty: true })
    const prompts = scripted([])
    assert.equal(await chat(options(dataDir, true), io, { prompts }), 1)
    await settled()
    assert.deepEqual(prompts.log, [])
    const lines = stdout().trim().split('\n').map(l => JSON.parse(l) as { type: string, code: string })
    assert.deepEqual(lines.map(l => [l.type, l.code]), [['error', 'WrongPassphraseError']])
    assert.deepEqual(await snapshotDir(dataDir), before)
  })

  void it('without a terminal, an empty data dir is not registered by prompts: the node creates it unprotected, and says so', async (t) => {
    const dataDir = await tempDir(t, 'securechat-login-')
    const { io, input, stdout, stderr } = fakeIo({ tty: false })
    const prompts = scripted([])
    const running = chat(options(dataDir, true), io, { prompts })
    input.end('/quit\n')
    assert.equal(await running, 0)
    await settled()
    assert.deepEqual(prompts.log, [])
    assert.match(stdout(), /^\{"type":"ready"/)
    assert.equal(stderr().match(/is not protected by a passphrase/g)?.length, 1, stderr())
  })
})
