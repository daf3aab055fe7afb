/** First start (a new identity: nickname and passphrase) and unlock (the passphrase of a protected account) */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, createAccount, strength, unlock } from './api.ts'
import type { AccountView, Strength } from './api.ts'

interface Props {
  onOpen: (view: AccountView) => void
  /** an account with no passphrase: a button starts it */
  unprotected?: boolean
}

function message (err: unknown): string {
  if (err instanceof ApiError && err.code === 'WrongPassphraseError') return 'Wrong passphrase.'
  return err instanceof Error ? err.message : String(err)
}

export function FirstStart ({ onOpen }: Props) {
  const [name, setName] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [again, setAgain] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [estimate, setEstimate] = useState<Strength & { for: string }>()
  const [weakOk, setWeakOk] = useState(false)

  // the estimate follows the typing, a moment after it stops
  useEffect(() => {
    setWeakOk(false)
    if (passphrase === '') {
      setEstimate(undefined)
      return
    }
    const timer = setTimeout(() => { strength(passphrase, name).then(s => { setEstimate({ ...s, for: passphrase }) }, () => { setEstimate(undefined) }) }, 250)
    return () => { clearTimeout(timer) }
  }, [passphrase, name])

  const weak = passphrase === '' || (estimate != null && !estimate.enough)
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (passphrase !== again) {
      setError('The two passphrases differ.')
      return
    }
    // the estimate of what is typed now, not of what was typed a moment ago (the node checks it again)
    const current = passphrase === '' ? undefined : estimate?.for === passphrase ? estimate : await strength(passphrase, name).catch(() => undefined)
    if (current != null) setEstimate({ ...current, for: passphrase })
    if ((passphrase === '' || current == null || !current.enough) && !weakOk) {
      setError(passphrase === '' ? 'Without a passphrase, anyone who can read your files can read your messages. Tick the box to go on anyway.' : 'This passphrase is weak. Tick the box to use it anyway, or choose a longer one.')
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      onOpen(await createAccount({ ...(name === '' ? {} : { name }), ...(passphrase === '' ? {} : { passphrase }), weak: weakOk }))
    } catch (err) {
      setError(message(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="account">
      <h1>Welcome to securechat</h1>
      <p>This creates your identity on this machine. The passphrase encrypts everything securechat keeps on disk; without it nobody, you included, can open it.</p>
      <form onSubmit={(e) => { void submit(e) }}>
        <label for="name">Nickname</label>
        <input id="name" name="name" autocomplete="nickname" value={name} onInput={(e) => { setName(e.currentTarget.value) }} />
        <label for="passphrase">Passphrase</label>
        <input id="passphrase" name="passphrase" type="password" autocomplete="new-password" aria-describedby="strength" value={passphrase} onInput={(e) => { setPassphrase(e.currentTarget.value) }} />
        <p id="strength" class="strength" aria-live="polite">{passphrase === '' ? 'No passphrase: the data on disk is then protected by file permissions only.' : estimate == null ? '' : `Strength: ${estimate.text.replace(/^strength: /, '')}`}</p>
        <label for="again">Passphrase again</label>
        <input id="again" name="again" type="password" autocomplete="new-password" value={again} onInput={(e) => { setAgain(e.currentTarget.value) }} />
        {weak && (
          <label class="check"><input type="checkbox" checked={weakOk} onChange={(e) => { setWeakOk(e.currentTarget.checked) }} /> {passphrase === '' ? 'Go on without a passphrase' : 'Use this weak passphrase anyway'}</label>
        )}
        {error != null && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create my identity'}</button>
      </form>
    </main>
  )
}

export function Unlock ({ onOpen, unprotected = false }: Props) {
  const [passphrase, setPassphrase] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onOpen(await unlock(unprotected ? undefined : passphrase))
    } catch (err) {
      setError(message(err))
      setPassphrase('')
    } finally {
      setBusy(false)
    }
  }

  if (unprotected) {
    return (
      <main class="account">
        <h1>Start securechat</h1>
        <p>This account has no passphrase: anyone who can read its files can read your messages.</p>
        <form onSubmit={(e) => { void submit(e) }}>
          {error != null && <p role="alert" class="error">{error}</p>}
          <button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Start'}</button>
        </form>
      </main>
    )
  }

  return (
    <main class="account">
      <h1>Unlock securechat</h1>
      <form onSubmit={(e) => { void submit(e) }}>
        <label for="passphrase">Passphrase</label>
        <input id="passphrase" name="passphrase" type="password" autocomplete="current-password" autofocus value={passphrase} onInput={(e) => { setPassphrase(e.currentTarget.value) }} />
        {error != null && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy || passphrase === ''}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
    </main>
  )
}
