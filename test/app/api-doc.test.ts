/**
 * docs/API.md against the types: the commands, their fields and results,
 * the events and their fields, and the error names, read from the
 * TypeScript sources with the compiler's own type checker. A command, field
 * or event added, renamed or removed on one side only fails here.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import ts from 'typescript'

const root = new URL('../../', import.meta.url)
const api = new URL('src/app/index.ts', root).pathname

/** `name` or `name?` for each property of a type */
function fields (checker: ts.TypeChecker, type: ts.Type): string[] {
  return checker.getPropertiesOfType(type)
    .filter(p => p.name !== 'type')
    .map(p => (p.flags & ts.SymbolFlags.Optional) !== 0 ? `${p.name}?` : p.name)
}

function exported (checker: ts.TypeChecker, file: ts.SourceFile, name: string): ts.Type {
  const module = checker.getSymbolAtLocation(file)
  assert.ok(module != null)
  const symbol = checker.getExportsOfModule(module).find(s => s.name === name)
  assert.ok(symbol != null, `src/app/index.ts exports no ${name}`)
  return checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol))
}

/** What the types say: command -> fields, command -> result fields, event -> detail fields */
function fromTypes (): { commands: Map<string, string[]>, results: Map<string, string[]>, events: Map<string, string[]> } {
  const program = ts.createProgram([api], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(api)
  assert.ok(file != null)

  const commands = new Map<string, string[]>()
  const command = exported(checker, file, 'Command')
  for (const member of command.isUnion() ? command.types : [command]) {
    const type = checker.getTypeOfSymbol(checker.getPropertyOfType(member, 'type') as ts.Symbol)
    assert.ok(type.isStringLiteral())
    commands.set(type.value, fields(checker, member))
  }

  const results = new Map<string, string[]>()
  const resultMap = exported(checker, file, 'CommandResults')
  for (const p of checker.getPropertiesOfType(resultMap)) {
    let type = checker.getTypeOfSymbol(p)
    // an array result (peers) lists the fields of its element
    if (checker.isArrayType(type)) type = checker.getTypeArguments(type as ts.TypeReference)[0] as ts.Type
    results.set(p.name, fields(checker, type))
  }

  const events = new Map<string, string[]>()
  const eventMap = exported(checker, file, 'ChatEvents')
  for (const p of checker.getPropertiesOfType(eventMap)) {
    const custom = checker.getTypeOfSymbol(p)
    const detail = checker.getTypeOfSymbol(checker.getPropertyOfType(custom, 'detail') as ts.Symbol)
    events.set(p.name, fields(checker, detail))
  }

  return { commands, results, events }
}

/** The rows of the first table after `## heading`: first cell -> the other cells */
function table (doc: string, heading: string): string[][] {
  const start = doc.indexOf(`\n## ${heading}\n`)
  assert.ok(start >= 0, `docs/API.md has no "## ${heading}"`)
  const lines = doc.slice(start).split('\n').slice(2)
  const rows: string[][] = []
  let inTable = false

  for (const line of lines) {
    if (line.startsWith('## ')) break
    if (!line.startsWith('|')) { if (inTable) break; continue }
    inTable = true
    if (/^\|[-| ]+\|$/.test(line)) continue
    rows.push(line.slice(1, -1).split('|').map(c => c.trim()))
  }

  return rows.slice(1)
}

/** `peer`, `text` -> ['peer', 'text']; the part after a `Type:` prefix only */
function names (cell: string): string[] {
  const list = cell.includes(':') ? cell.slice(cell.indexOf(':') + 1) : cell
  return [...list.matchAll(/`([^`]+)`/g)].map(m => m[1] as string)
}

const sorted = (values: Iterable<string>): string[] => [...values].sort()

void describe('docs/API.md', async () => {
  const doc = await readFile(new URL('docs/API.md', root), 'utf8')
  const types = fromTypes()

  void it('lists every command with exactly its fields and result fields', () => {
    const rows = table(doc, 'Commands')
    assert.deepEqual(sorted(rows.map(r => names(r[0] ?? '')[0] ?? '')), sorted(types.commands.keys()))

    for (const [name, cell, result] of rows) {
      const command = names(name ?? '')[0] as string
      assert.deepEqual(sorted(names(cell ?? '')), sorted(types.commands.get(command) ?? []), `fields of ${command}`)
      assert.deepEqual(sorted(names(result ?? '')), sorted(types.results.get(command) ?? []), `result of ${command}`)
    }

    assert.deepEqual(sorted(types.results.keys()), sorted(types.commands.keys()), 'a result per command')
  })

  void it('lists every event with exactly its fields', () => {
    const rows = table(doc, 'Events')
    assert.deepEqual(sorted(rows.map(r => names(r[0] ?? '')[0] ?? '')), sorted(types.events.keys()))

    for (const [name, cell] of rows) {
      const event = names(name ?? '')[0] as string
      assert.deepEqual(sorted(names(cell ?? '')), sorted(types.events.get(event) ?? []), `fields of ${event}`)
    }
  })

  void it('lists every error class a face can see, and no other', async () => {
    const modules = await Promise.all([
      import('../../src/errors.ts'), import('../../src/app/errors.ts'), import('../../src/store/errors.ts'), import('../../src/protocol/errors.ts'),
      import('../../src/archive/errors.ts'), import('../../src/rooms/errors.ts'), import('../../src/files/errors.ts')
    ])
    // a refused membership proof, and a room message refused from a non-member or a flooding member,
    // are only logged on the receiving node and reset the sender's stream (docs/PROTOCOL.md, "Rooms"): no face sees them
    const unseen = new Set(['InvalidMembershipError', 'NotRoomMemberError', 'RoomFloodError',
      // file transfer's own errors stay in the service: a bad frame, a chunk out of place, a refusal or a
      // changed file ends a pull (resumed later) or the transfer, which a face sees as a `file` event with
      // a `reason` in words, never as an error name; a name a face could see goes in docs/API.md instead
      'NoFreeFileNameError', 'PathOutsideDirError', 'UnsafePartialDirError', 'InvalidFileFrameError', 'FileChangedError',
      'ChunkOffsetError', 'ChunkOverrunError', 'EarlyEndError', 'MissingEndError', 'UnexpectedReplyError', 'TransferRefusedError',
      // the reason a download through a relay is stopped to go on over a direct connection: never a failure
      'TransferMovedError'])
    const classes = modules.flatMap(m => Object.values(m as Record<string, unknown>))
      .filter((v): v is typeof Error => typeof v === 'function' && v.prototype instanceof Error)
      .map(c => c.name)
      .filter(name => !unseen.has(name))
    const libp2pFraming = ['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError']
    const documented = table(doc, 'Errors').flatMap(r => names(r[0] ?? ''))
    assert.deepEqual(sorted(documented), sorted([...classes, ...libp2pFraming]))
  })

  void it('the CHAT_EVENT_TYPES and COMMAND_TYPES lists match the types', async () => {
    const app = await import('../../src/app/index.ts')
    assert.deepEqual(sorted(app.CHAT_EVENT_TYPES), sorted(types.events.keys()))
    assert.deepEqual(sorted(app.COMMAND_TYPES), sorted(types.commands.keys()))
  })
})
