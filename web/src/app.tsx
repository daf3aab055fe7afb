/**
 * The web app: the account screens until the node runs, then peers and a
 * conversation with its history, live messages and delivery marks. Every
 * change the node reports arrives as an event; the view reloads what an
 * event says changed.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { account, command, events, hasToken, safety, sendFile } from './api.ts'
import { FirstStart, Unlock } from './account.tsx'
import type { AccountView, SafetyInfo, Transfer } from './api.ts'

interface Peer {
  peerId: string
  name?: string
  petname?: string
  relation: string
  verified: boolean
  online: boolean
  connection?: string
}

interface Room {
  id: string
  name: string
  hasKey: boolean
  members: Array<{ peerId: string, name?: string, online: boolean }>
}

interface Message {
  id: string
  peer: string
  direction: 'in' | 'out'
  from: string
  name: string
  text: string
  ts: number
  status?: 'pending' | 'sent' | 'delivered' | 'read'
}

const HISTORY_LIMIT = 200
const MARKS: Record<string, string> = { pending: '…', sent: '✓', delivered: '✓✓', read: '✓✓ read' }
const RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3 }

/** The message with the furthest of its stored status and the mark its events gave */
function withMark (m: Message, mark: string | undefined): Message {
  if (mark == null || m.direction !== 'out' || (RANK[m.status ?? 'pending'] ?? 0) >= (RANK[mark] ?? 0)) return m
  return { ...m, status: mark as Message['status'] }
}

/**
 * A peer as people see it: its petname or nickname, always with the end of
 * its peer id (as the REPL shows it), since a nickname is the peer's own
 * choice and a stranger may take a contact's
 */
export function label (p: Peer | undefined, id: string): string {
  const name = p?.petname ?? p?.name
  return name == null ? `…${id.slice(-12)}` : `${name} (…${id.slice(-12)})`
}

export function App () {
  const [view, setView] = useState<AccountView>()
  const [error, setError] = useState<string>()

  useEffect(() => {
    if (!hasToken()) {
      setError('Open the address securechat printed when it started (it holds the key to your account).')
      return
    }
    account().then(setView, (err: Error) => { setError(err.message) })
  }, [])

  // the node is starting (opened by securechat itself): ask again in a moment
  useEffect(() => {
    if (view?.state !== 'starting') return
    const timer = setTimeout(() => { account().then(setView, (err: Error) => { setError(err.message) }) }, 1_000)
    return () => { clearTimeout(timer) }
  }, [view])

  if (error != null) return <main class="account"><h1>securechat</h1><p role="alert" class="error">{error}</p></main>
  if (view == null || view.state === 'starting') return <main class="account"><p>{view == null ? 'Loading…' : 'securechat is starting…'}</p></main>
  if (view.state === 'empty') return <FirstStart onOpen={setView} />
  if (view.state === 'locked') return <Unlock onOpen={setView} />
  if (view.state === 'unprotected') return <Unlock onOpen={setView} unprotected />
  return <Chat me={view} />
}

function Chat ({ me }: { me: AccountView }) {
  const [peers, setPeers] = useState<Peer[]>([])
  const [requests, setRequests] = useState<Record<string, number>>({})
  const [current, setCurrent] = useState<string>()
  const [rooms, setRooms] = useState<Room[]>([])
  const [room, setRoom] = useState<string>()
  /** bumped by every event about rooms: the room shown reloads */
  const [roomTick, setRoomTick] = useState(0)
  const [transfers, setTransfers] = useState<Transfer[]>([])
  /** the latest progress of each transfer under way */
  const [progress, setProgress] = useState<Record<string, { bytes: number, size: number, via: string }>>({})
  const [messages, setMessages] = useState<Message[]>([])
  const [live, setLive] = useState(false)
  /** marks by message id, from the events: one may come before the send's own answer puts its message in the list */
  const [marks, setMarks] = useState<Record<string, string>>({})
  const currentRef = useRef<string | undefined>(undefined)
  currentRef.current = current

  const loadFiles = useCallback(async () => { setTransfers(await command<Transfer[]>({ type: 'files' })) }, [])
  const loadRooms = useCallback(async () => { setRooms(await command<Room[]>({ type: 'rooms' })) }, [])
  const loadPeers = useCallback(async () => {
    setPeers(await command<Peer[]>({ type: 'peers' }))
    const held = await command<Array<{ peerId: string, messages: number }>>({ type: 'requests' })
    setRequests(Object.fromEntries(held.map(r => [r.peerId, r.messages])))
  }, [])
  const loadHistory = useCallback(async (peer: string) => {
    const { messages } = await command<{ messages: Message[] }>({ type: 'history', peer, limit: HISTORY_LIMIT })
    if (currentRef.current === peer) setMessages(messages)
    const unread = messages.filter(m => m.direction === 'in').map(m => m.id)
    if (unread.length > 0) await command({ type: 'markRead', peer, ids: unread })
  }, [])

  useEffect(() => {
    void loadPeers()
    return events((type, detail) => {
      const peer = currentRef.current
      switch (type) {
        case 'peer':
        case 'contact':
          void loadPeers()
          return
        case 'message':
          if (detail.room != null) {
            setRoomTick(t => t + 1)
            return
          }
          if (peer != null && detail.from === peer) void loadHistory(peer)
          void loadPeers()
          return
        case 'offer':
        case 'offered':
        case 'file':
          void loadFiles()
          return
        case 'progress':
          setProgress(p => ({ ...p, [String(detail.id)]: { bytes: Number(detail.bytes), size: Number(detail.size), via: String(detail.via) } }))
          return
        case 'room':
          void loadRooms()
          setRoomTick(t => t + 1)
          return
        case 'sent':
        case 'delivered':
        case 'read': {
          const id = String(detail.id)
          setMarks(ms => (RANK[ms[id] ?? 'pending'] ?? 0) < (RANK[type] ?? 0) ? { ...ms, [id]: type } : ms)
        }
      }
    }, () => {
      // (re)connected: what happened meanwhile is in the node, not in the events missed
      setLive(true)
      void loadPeers()
      void loadRooms()
      void loadFiles()
      setRoomTick(t => t + 1)
      if (currentRef.current != null) void loadHistory(currentRef.current)
    })
  }, [loadPeers, loadHistory, loadRooms, loadFiles])

  useEffect(() => {
    setMessages([])
    if (current != null) void loadHistory(current)
  }, [current, loadHistory])

  const peer = peers.find(p => p.peerId === current)
  return (
    <div class="layout">
      <header>
        <h1>securechat</h1>
        <p>You are <strong>{me.name}</strong> <span class="id" title={me.peerId}>…{me.peerId?.slice(-8)}</span>{live ? '' : ' (connecting…)'}</p>
      </header>
      <nav aria-label="Peers">
        <h2>Peers</h2>
        {peers.length === 0 && <p>Nobody yet. Peers on your network appear here.</p>}
        <ul>
          {peers.map(p => (
            <li key={p.peerId}>
              <button type="button" aria-current={p.peerId === current ? 'true' : undefined} onClick={() => { setRoom(undefined); setCurrent(p.peerId) }}>
                <span class={p.online ? 'dot online' : 'dot'} aria-hidden="true" />
                {label(p, p.peerId)}
                {p.relation !== 'contact' && <span class="relation"> {p.relation}</span>}
                <span class="sr"> {p.online ? `online${p.connection != null ? `, ${p.connection}` : ''}` : 'offline'}{p.verified ? ', verified' : ''}</span>
                {p.verified && <span aria-hidden="true" title="verified"> ✔</span>}
              </button>
            </li>
          ))}
        </ul>
        <h2>Rooms</h2>
        <ul>
          {rooms.map(r => (
            <li key={r.id}>
              <button type="button" aria-current={r.name === room ? 'true' : undefined} onClick={() => { setCurrent(undefined); setRoom(r.name) }}>
                # {r.name}
                <span class="sr"> room, {r.members.filter(m => m.online).length} of {r.members.length} members online</span>
              </button>
            </li>
          ))}
        </ul>
        <JoinRoom onJoined={(name) => { void loadRooms(); setCurrent(undefined); setRoom(name) }} />
      </nav>
      <main>
        {room != null
          ? <RoomPane room={rooms.find(r => r.name === room)} name={room} peers={peers} tick={roomTick} onLeft={() => { setRoom(undefined); void loadRooms() }} />
          : current == null
          ? <p>Choose a peer or a room to chat with.</p>
          : (
            <>
              <PeerPanel peerId={current} peer={peer} held={requests[current]} onChange={() => { void loadPeers(); void loadHistory(current) }} />
              <Conversation peerId={current} peer={peer} messages={messages.map(m => withMark(m, marks[m.id]))} onSent={(m) => { setMessages(ms => ms.some(x => x.id === m.id) ? ms : [...ms, m]) }} />
              <Files peerId={current} peer={peer} transfers={transfers.filter(t => t.peer === current)} progress={progress} onChange={() => { void loadFiles() }} />
            </>
            )}
      </main>
    </div>
  )
}

/** Who the peer is to the user: a request to answer, a petname, the safety number to compare and mark verified */
function PeerPanel ({ peerId, peer, held, onChange }: { peerId: string, peer: Peer | undefined, held: number | undefined, onChange: () => void }) {
  const [error, setError] = useState<string>()
  const [info, setInfo] = useState<SafetyInfo>()
  const [petname, setPetname] = useState('')
  useEffect(() => { setInfo(undefined); setError(undefined); setPetname(peer?.petname ?? '') }, [peerId])

  const run = async (cmd: { type: string } & Record<string, unknown>): Promise<void> => {
    setError(undefined)
    try {
      await command(cmd)
      onChange()
      if (info != null) setInfo(await safety(peerId))
    } catch (err) {
      setError((err as Error).message)
    }
  }

  return (
    <section class="peer" aria-label={`About ${label(peer, peerId)}`}>
      <h2>{label(peer, peerId)} {peer?.verified === true && <span class="badge">verified</span>}</h2>
      <p class="id">{peerId}</p>
      {peer?.relation === 'request' && (
        <div class="request" role="group" aria-label="Message request">
          <p>{label(peer, peerId)} is not a contact{held != null ? `: ${held} message${held === 1 ? '' : 's'} held` : ''}. Accept only someone you know.</p>
          <button type="button" onClick={() => { void run({ type: 'accept', peer: peerId }) }}>Accept</button>
          <button type="button" class="secondary" onClick={() => { void run({ type: 'decline', peer: peerId }) }}>Decline</button>
          <button type="button" class="danger" onClick={() => { void run({ type: 'block', peer: peerId }) }}>Block</button>
        </div>
      )}
      <details>
        <summary>Name and safety number</summary>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); void run({ type: 'name', peer: peerId, petname: petname === '' ? null : petname }) }}>
          <label for="petname">Your name for them</label>
          <input id="petname" value={petname} onInput={(e) => { setPetname(e.currentTarget.value) }} />
          <button type="submit">Save name</button>
        </form>
        {info == null
          ? <button type="button" onClick={() => { safety(peerId).then(setInfo, (err: Error) => { setError(err.message) }) }}>Show safety number</button>
          : (
            <div class="safety">
              <p>Compare this number with {label(peer, peerId)}, in person or on a call you trust. If it is the same on both screens, nobody is in between.</p>
              <pre aria-label="Safety number">{info.formatted}</pre>
              <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(info.qr)}`} alt="QR code of the safety number" width={160} height={160} />
              {info.verified ? <p class="badge">Verified</p> : <button type="button" onClick={() => { void run({ type: 'verify', peer: peerId }) }}>Mark as verified</button>}
            </div>
            )}
      </details>
      {error != null && <p role="alert" class="error">{error}</p>}
    </section>
  )
}

function Conversation ({ peerId, peer, messages, onSent }: { peerId: string, peer: Peer | undefined, messages: Message[], onSent: (m: Message) => void }) {
  const [text, setText] = useState('')
  const [error, setError] = useState<string>()
  const end = useRef<HTMLLIElement>(null)
  useEffect(() => { end.current?.scrollIntoView?.({ block: 'end' }) }, [messages.length])

  const send = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (text.trim() === '') return
    setError(undefined)
    try {
      onSent(await command<Message>({ type: 'send', peer: peerId, text }))
      setText('')
    } catch (err) {
      setError((err as Error).message)
    }
  }

  return (
    <section aria-label={`Conversation with ${label(peer, peerId)}`}>
      <ol class="messages" aria-live="polite">
        {messages.map(m => (
          <li key={`${m.from}:${m.id}`} class={m.direction}>
            <span class="who">{m.direction === 'out' ? 'you' : label(peer, m.from)}</span>
            <span class="text">{m.text}</span>
            {m.direction === 'out' && <span class="mark" data-status={m.status}>{MARKS[m.status ?? 'pending']}</span>}
          </li>
        ))}
        <li ref={end} aria-hidden="true" />
      </ol>
      <form class="composer" onSubmit={(e) => { void send(e) }}>
        <label for="text" class="sr">Message</label>
        <input id="text" name="text" autocomplete="off" value={text} onInput={(e) => { setText(e.currentTarget.value) }} placeholder="Write a message" />
        <button type="submit">Send</button>
      </form>
      {error != null && <p role="alert" class="error">{error}</p>}
    </section>
  )
}

/** Join a room by its name and, for a private room, its key (members meet through the relays and on the LAN) */
function JoinRoom ({ onJoined }: { onJoined: (name: string) => void }) {
  const [name, setName] = useState('')
  const [key, setKey] = useState('')
  const [error, setError] = useState<string>()
  const join = async (e: Event): Promise<void> => {
    e.preventDefault()
    setError(undefined)
    try {
      const room = await command<Room>({ type: 'join', room: name, ...(key === '' ? {} : { key }) })
      setName('')
      setKey('')
      onJoined(room.name)
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return (
    <form class="join" onSubmit={(e) => { void join(e) }} aria-label="Join a room">
      <label for="room-name">Room name</label>
      <input id="room-name" value={name} onInput={(e) => { setName(e.currentTarget.value) }} autocomplete="off" />
      <label for="room-key">Room key (optional)</label>
      <input id="room-key" type="password" value={key} onInput={(e) => { setKey(e.currentTarget.value) }} autocomplete="off" />
      <button type="submit" disabled={name === ''}>Join</button>
      {error != null && <p role="alert" class="error">{error}</p>}
    </form>
  )
}

/** A room: its members (online or not), its messages in the room's one order, and a composer */
function RoomPane ({ room, name, peers, tick, onLeft }: { room: Room | undefined, name: string, peers: Peer[], tick: number, onLeft: () => void }) {
  const [messages, setMessages] = useState<Message[]>([])
  const [text, setText] = useState('')
  const [error, setError] = useState<string>()
  useEffect(() => {
    command<{ messages: Message[] }>({ type: 'roomHistory', room: name, limit: HISTORY_LIMIT }).then(r => { setMessages(r.messages) }, (err: Error) => { setError(err.message) })
  }, [name, tick])
  const who = (id: string): string => label(peers.find(p => p.peerId === id) ?? room?.members.find(m => m.peerId === id) as Peer | undefined, id)

  const post = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (text.trim() === '') return
    setError(undefined)
    try {
      const posted = await command<Message>({ type: 'post', room: name, text })
      setMessages(ms => ms.some(m => m.id === posted.id) ? ms : [...ms, posted])
      setText('')
    } catch (err) {
      setError((err as Error).message)
    }
  }

  return (
    <section aria-label={`Room ${name}`}>
      <h2># {name}</h2>
      <p>Members: {room == null || room.members.length === 0 ? 'none met yet' : room.members.map(m => `${who(m.peerId)} (${m.online ? 'online' : 'offline'})`).join(', ')}</p>
      <button type="button" class="secondary" onClick={() => { command({ type: 'leave', room: name }).then(onLeft, (err: Error) => { setError(err.message) }) }}>Leave room</button>
      <ol class="messages" aria-live="polite">
        {messages.map(m => (
          <li key={`${m.from}:${m.id}`} class={m.direction}>
            <span class="who">{m.direction === 'out' ? 'you' : who(m.from)}</span>
            <span class="text">{m.text}</span>
          </li>
        ))}
      </ol>
      <form class="composer" onSubmit={(e) => { void post(e) }}>
        <label for="room-text" class="sr">Message to the room</label>
        <input id="room-text" autocomplete="off" value={text} onInput={(e) => { setText(e.currentTarget.value) }} placeholder={`Write to #${name}`} />
        <button type="submit">Send</button>
      </form>
      {error != null && <p role="alert" class="error">{error}</p>}
    </section>
  )
}

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

/** Files with this peer: drop one (or choose it) to offer it; offers to answer; progress and the path in use */
function Files ({ peerId, peer, transfers, progress, onChange }: { peerId: string, peer: Peer | undefined, transfers: Transfer[], progress: Record<string, { bytes: number, size: number, via: string }>, onChange: () => void }) {
  const [error, setError] = useState<string>()
  const [over, setOver] = useState(false)
  const offer = async (files: FileList | null | undefined): Promise<void> => {
    setError(undefined)
    for (const file of Array.from(files ?? [])) {
      try {
        await sendFile(peerId, file)
      } catch (err) {
        setError((err as Error).message)
      }
    }
    onChange()
  }
  const answer = async (type: 'acceptFile' | 'declineFile', id: string): Promise<void> => {
    setError(undefined)
    try {
      await command({ type, id })
    } catch (err) {
      setError((err as Error).message)
    }
    onChange()
  }
  return (
    <section
      class={over ? 'files over' : 'files'} aria-label={`Files with ${label(peer, peerId)}`}
      onDragOver={(e) => { e.preventDefault(); setOver(true) }} onDragLeave={() => { setOver(false) }}
      onDrop={(e) => { e.preventDefault(); setOver(false); void offer(e.dataTransfer?.files) }}
    >
      <h3>Files</h3>
      <label for="file">Send a file (or drop it here)</label>
      <input id="file" type="file" multiple onChange={(e) => { void offer(e.currentTarget.files); e.currentTarget.value = '' }} />
      <ul>
        {transfers.map(t => {
          const p = progress[t.id]
          const bytes = t.state === 'complete' ? t.size : Math.max(t.bytes, p?.bytes ?? 0)
          return (
            <li key={t.id} data-transfer={t.id} data-state={t.state}>
              <span>{t.direction === 'in' ? '↓' : '↑'} {t.name} ({formatBytes(t.size)})</span>{' '}
              <span class="state">{t.state}{p != null && t.state === 'accepted' ? `, ${p.via === 'direct' ? 'direct' : 'through the relay'}` : ''}</span>
              {(t.state === 'accepted' || t.state === 'complete') && (
                <progress max={t.size || 1} value={t.size === 0 ? 1 : bytes} aria-label={`${t.name}: ${Math.floor(100 * (t.size === 0 ? 1 : bytes / t.size))} %`} />
              )}
              {t.direction === 'in' && t.state === 'offered' && (
                <>
                  <button type="button" onClick={() => { void answer('acceptFile', t.id) }}>Accept {t.name}</button>
                  <button type="button" class="secondary" onClick={() => { void answer('declineFile', t.id) }}>Decline {t.name}</button>
                </>
              )}
            </li>
          )
        })}
      </ul>
      {error != null && <p role="alert" class="error">{error}</p>}
    </section>
  )
}
