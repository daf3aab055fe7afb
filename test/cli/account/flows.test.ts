/**
 * The account flows with scripted prompts and a stubbed application API:
 * choosing a passphrase (strength, confirmation of a weak one and of none,
 * two entries that differ), login (three tries, each checked; what ends
 * them), and what a start does with each state of a data dir.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { askPassphrase } from '../../../src/cli/account/login.ts'
import { NO_PASSPHRASE_WARNING, askNewPassphrase } from '../../../src/cli/account/new-passphrase.ts'
import { describeStrength, estimateStrength } from '../../../src/app/index.ts'
import { looseModeWarning, register, unlock, unprotectedWarning } from '../../../src/cli/account/index.ts'
import { PromptCancelledError } from '../../../src/cli/errors.ts'
import { CorruptKeyFileError, WrongPassphraseError } from '../../../src/store/errors.ts'
import { CANCEL, recordingSink, scripted } from './scripted.ts'
import type { AccountApi } from '../../../src/cli/account/index.ts'
import type { Answer } from './scripted.ts'
import type { DataDirState } from '../../../src/app/index.ts'

const STRONG = 'tangerine otter sleeps under quiet bridges'
const WEAK = 'password1'
const DIR = '/home/alice/.securechat'

/** The application API over one imagined data dir, recording every call */
function stubApi (state: DataDirState, options: { passphrase?: string, looseModes?: string[] } = {}): AccountApi & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    inspectDataDir: async dataDir => {
      calls.push(`inspect ${dataDir}`)
      return { state, looseModes: options.looseModes ?? [] }
    },
    checkPassphrase: async (dataDir, passphrase) => {
      calls.push(`check ${dataDir} ${passphrase ?? '(none)'}`)
      if (state === 'protected' && passphrase !== options.passphrase) {
        throw new WrongPassphraseError(passphrase == null ? 'the key file is protected by a passphrase and none was given' : undefined)
      }
    },
    createAccount: async init => {
      calls.push(`create ${init.dataDir} ${init.passphrase ?? '(none)'}`)
      return { peerId: '12D3KooWTestPeer' }
    }
  }
}

void describe('strength', () => {
  void it('scores a common password 0 and says why, in words', async () => {
    const strength = await estimateStrength('password')
    assert.equal(strength.score, 0)
    assert.match(describeStrength(strength), /^strength: 0 of 4 \(very weak\)\. This is a heavily used password\./)
  })

  void it('scores a long unusual phrase 4, with nothing to add', async () => {
    const strength = await estimateStrength(STRONG)
    assert.equal(strength.score, 4)
    assert.equal(describeStrength(strength), 'strength: 4 of 4 (very strong).')
  })

  void it('counts the nickname as known to an attacker', async () => {
    const alone = await estimateStrength('zebulon1987')
    const known = await estimateStrength('zebulon1987', ['zebulon'])
    assert.ok(known.score <= alone.score, `${known.score} <= ${alone.score}`)
    assert.ok(known.score < 3)
  })
})

void describe('choosing a passphrase', () => {
  void it('a strong one typed twice: no confirmation asked', async () => {
    const prompts = scripted([STRONG, STRONG])
    assert.equal(await askNewPassphrase(prompts), STRONG)
    assert.deepEqual(prompts.log, [
      'secret: New passphrase (empty for none):',
      'say: strength: 4 of 4 (very strong).',
      'secret: Repeat the passphrase:'
    ])
  })

  void it('a weak one is shown with its score and confirmed; declined, the user starts over', async () => {
    const prompts = scripted([WEAK, false, WEAK, true, WEAK])
    assert.equal(await askNewPassphrase(prompts), WEAK)
    const said = prompts.log.filter(l => l.startsWith('say: strength: '))
    assert.equal(said.length, 2)
    assert.match(said[0] ?? '', /^say: strength: [0-2] of 4 \((very weak|weak|fair)\)\. /)
    assert.equal(prompts.log.filter(l => l === 'confirm: This passphrase is easy to guess. Use it anyway?').length, 2)
    assert.equal(prompts.left(), 0)
  })

  void it('two entries that differ: said so, and asked again from the start', async () => {
    const prompts = scripted([STRONG, `${STRONG}!`, STRONG, STRONG])
    assert.equal(await askNewPassphrase(prompts), STRONG)
    assert.ok(prompts.log.includes('say: The two entries differ. Try again.'))
    assert.equal(prompts.log.filter(l => l.startsWith('secret: ')).length, 4)
  })

  void it('the same text in another Unicode form matches (the store derives from NFC)', async () => {
    const composed = 'café au lait sous la pluie fine'
    const decomposed = composed.normalize('NFD')
    assert.notEqual(composed, decomposed)
    assert.equal(await askNewPassphrase(scripted([composed, decomposed])), composed)
  })

  void it('none: the plain warning, then a confirmation; yes gives undefined', async () => {
    const prompts = scripted(['', true])
    assert.equal(await askNewPassphrase(prompts), undefined)
    assert.deepEqual(prompts.log, [
      'secret: New passphrase (empty for none):',
      `say: ${NO_PASSPHRASE_WARNING}`,
      'confirm: Continue without a passphrase?'
    ])
    assert.match(NO_PASSPHRASE_WARNING, /anyone with this disk .*can read your messages/)
  })

  void it('none, declined: back to the first prompt', async () => {
    const prompts = scripted(['', false, STRONG, STRONG])
    assert.equal(await askNewPassphrase(prompts), STRONG)
  })

  void it('Ctrl+C at any prompt ends it with PromptCancelledError', async () => {
    const scripts: Answer[][] = [[CANCEL], [WEAK, CANCEL], [STRONG, CANCEL], ['', CANCEL]]
    for (const answers of scripts) {
      await assert.rejects(askNewPassphrase(scripted(answers)), PromptCancelledError)
    }
  })
})

void describe('login', () => {
  const checker = (right: string) => {
    const checked: Array<string | undefined> = []
    return {
      checked,
      check: async (passphrase: string | undefined): Promise<void> => {
        checked.push(passphrase)
        if (passphrase !== right) throw new WrongPassphraseError()
      }
    }
  }

  void it('the right one at the third try', async () => {
    const { checked, check } = checker('right')
    const prompts = scripted(['wrong', 'also wrong', 'right'])
    assert.equal(await askPassphrase(prompts, check), 'right')
    assert.deepEqual(checked, ['wrong', 'also wrong', 'right'])
    assert.deepEqual(prompts.log.filter(l => l.startsWith('say: ')), ['say: Wrong passphrase, 2 tries left.', 'say: Wrong passphrase, 1 try left.'])
  })

  void it('three wrong: the check\'s WrongPassphraseError, and no fourth prompt', async () => {
    const { checked, check } = checker('right')
    const prompts = scripted(['a', 'b', 'c', 'right'])
    await assert.rejects(askPassphrase(prompts, check), (err: Error) => err.name === 'WrongPassphraseError')
    assert.deepEqual(checked, ['a', 'b', 'c'])
    assert.equal(prompts.left(), 1)
  })

  void it('an empty entry is checked as no passphrase, and counts as a try', async () => {
    const { checked, check } = checker('right')
    assert.equal(await askPassphrase(scripted(['', 'right']), check), 'right')
    assert.deepEqual(checked, [undefined, 'right'])
  })

  void it('any other error ends the tries at once', async () => {
    const prompts = scripted(['a', 'b'])
    await assert.rejects(askPassphrase(prompts, async () => { throw new CorruptKeyFileError() }), CorruptKeyFileError)
    assert.equal(prompts.left(), 1)
  })
})

void describe('a start, by the state of the data dir', () => {
  void it('empty, on a terminal: registration first, then the node starts with the chosen passphrase', async () => {
    const api = stubApi('empty')
    const sink = recordingSink()
    const prompts = scripted([STRONG, STRONG])
    assert.equal(await unlock({ dataDir: DIR, name: 'alice' }, { sink, prompts, api }), STRONG)
    assert.deepEqual(api.calls, [`inspect ${DIR}`, `create ${DIR} ${STRONG}`])
    assert.deepEqual(sink.lines.out, [`account created in ${DIR}, protected by a passphrase`, 'peer id: 12D3KooWTestPeer'])
    assert.deepEqual(sink.lines.err, [])
  })

  void it('empty, on a terminal, none chosen: the unprotected line once', async () => {
    const api = stubApi('empty')
    const sink = recordingSink()
    assert.equal(await unlock({ dataDir: DIR, name: 'alice' }, { sink, prompts: scripted(['', true]), api }), undefined)
    assert.deepEqual(api.calls, [`inspect ${DIR}`, `create ${DIR} (none)`])
    assert.deepEqual(sink.lines.err, [unprotectedWarning(DIR)])
    assert.match(unprotectedWarning(DIR), /^warning: data dir \/home\/alice\/\.securechat is not protected by a passphrase \(run securechat passwd\)$/)
  })

  void it('empty, with a passphrase from the environment: no prompt, the node creates the account', async () => {
    const api = stubApi('empty')
    const sink = recordingSink()
    const prompts = scripted([])
    assert.equal(await unlock({ dataDir: DIR, name: 'alice', passphrase: 'from env' }, { sink, prompts, api }), 'from env')
    assert.deepEqual(api.calls, [`inspect ${DIR}`])
    assert.deepEqual(prompts.log, [])
  })

  void it('empty, no terminal, no passphrase: the unprotected line, no registration', async () => {
    const api = stubApi('empty')
    const sink = recordingSink()
    assert.equal(await unlock({ dataDir: DIR, name: 'alice' }, { sink, api }), undefined)
    assert.deepEqual(api.calls, [`inspect ${DIR}`])
    assert.deepEqual(sink.lines.err, [unprotectedWarning(DIR)])
  })

  void it('unprotected: the line once, nothing asked', async () => {
    const sink = recordingSink()
    const prompts = scripted([])
    assert.equal(await unlock({ dataDir: DIR, name: 'alice' }, { sink, prompts, api: stubApi('unprotected') }), undefined)
    assert.deepEqual(sink.lines.err, [unprotectedWarning(DIR)])
    assert.deepEqual(prompts.log, [])
  })

  void it('protected, on a terminal: asked, checked before the node starts', async () => {
    const api = stubApi('protected', { passphrase: STRONG })
    const sink = recordingSink()
    const prompts = scripted(['nope', STRONG])
    assert.equal(await unlock({ dataDir: DIR, name: 'alice' }, { sink, prompts, api }), STRONG)
    assert.deepEqual(api.calls, [`inspect ${DIR}`, `check ${DIR} nope`, `check ${DIR} ${STRONG}`])
    assert.equal(prompts.log[0], `secret: Passphrase for ${DIR}:`)
    assert.deepEqual(sink.lines.err, [])
  })

  void it('protected, three wrong: WrongPassphraseError', async () => {
    const api = stubApi('protected', { passphrase: STRONG })
    await assert.rejects(unlock({ dataDir: DIR, name: 'alice' }, { sink: recordingSink(), prompts: scripted(['a', 'b', 'c']), api }), WrongPassphraseError)
    assert.equal(api.calls.filter(c => c.startsWith('check ')).length, 3)
  })

  void it('protected, passphrase from the environment: no prompt (the node checks it)', async () => {
    const api = stubApi('protected', { passphrase: STRONG })
    const prompts = scripted([])
    assert.equal(await unlock({ dataDir: DIR, name: 'alice', passphrase: 'x' }, { sink: recordingSink(), prompts, api }), 'x')
    assert.deepEqual(api.calls, [`inspect ${DIR}`])
  })

  void it('protected, no terminal and no passphrase: WrongPassphraseError, nothing asked', async () => {
    const api = stubApi('protected', { passphrase: STRONG })
    await assert.rejects(unlock({ dataDir: DIR, name: 'alice' }, { sink: recordingSink(), api }), WrongPassphraseError)
    assert.deepEqual(api.calls, [`inspect ${DIR}`, `check ${DIR} (none)`])
  })

  void it('loose modes: one visible warning each, whatever the state', async () => {
    const looseModes = [`${DIR} 0755`, `${DIR}/securechat.key 0644`]
    const sink = recordingSink()
    await unlock({ dataDir: DIR, name: 'alice', passphrase: 'x' }, { sink, api: stubApi('protected', { looseModes }) })
    assert.deepEqual(sink.lines.err, looseModes.map(looseModeWarning))
    assert.equal(looseModeWarning(`${DIR}/securechat.key 0644`), `warning: other users may read or change ${DIR}/securechat.key (mode 0644); fix it with: chmod go-rwx ${DIR}/securechat.key`)
    assert.equal(looseModeWarning('/tmp/my dir 0777'), 'warning: other users may read or change /tmp/my dir (mode 0777); fix it with: chmod go-rwx \'/tmp/my dir\'')
  })

  void it('register with a given passphrase asks nothing', async () => {
    const api = stubApi('empty')
    const prompts = scripted([])
    assert.deepEqual(await register({ dataDir: DIR, name: 'alice', passphrase: 'given' }, { sink: recordingSink(), prompts, api }), { peerId: '12D3KooWTestPeer', passphrase: 'given' })
    assert.deepEqual(prompts.log, [])
  })
})
