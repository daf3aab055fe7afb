/**
 * File names from the network (issue 12): safeFileName on hostile names and
 * any string, createUniqueFile on a real folder with files, directories and
 * symlinks in the way, the partial files' folder.
 */
import assert from 'node:assert/strict'
import { lstat, mkdir, readdir, readFile, readlink, realpath, stat, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, posix, win32 } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { NoFreeFileNameError, PathOutsideDirError, UnsafePartialDirError } from '../../src/files/errors.ts'
import { MAX_FILE_NAME_BYTES } from '../../src/files/constants.ts'
import {
  FALLBACK_FILE_NAME, MAX_NAME_ATTEMPTS, createUniqueFile, ensurePartialDir, partialPath, resolveInDir, safeFileName
} from '../../src/files/names.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { UniqueFile } from '../../src/files/names.ts'

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Written apart from the module's own rule, so that both must agree */
const DEVICE = /^(?:con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])\s*(?:\.|$)/i
const BIDI_AND_INVISIBLE = /[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u

/** Everything a safe name must be, in any folder, on POSIX and on Windows */
function assertSafe (name: string): void {
  assert.notEqual(name, '')
  assert.ok(bytes(name) <= MAX_FILE_NAME_BYTES, `${bytes(name)} bytes`)
  assert.doesNotMatch(name, /[/\\\0<>:"|?*\u2028\u2029]|\p{Cc}/u)
  assert.doesNotMatch(name, BIDI_AND_INVISIBLE)
  assert.ok(!name.startsWith('.'), 'hidden or special')
  assert.ok(!name.endsWith('.') && !name.endsWith(' '), 'trailing dot or space')
  assert.doesNotMatch(name, DEVICE)
  assert.ok(name.isWellFormed())
  assert.equal(name, name.normalize('NFC'))
  assert.equal(safeFileName(name), name, 'idempotent')
  for (const [path, dir] of [[posix, '/home/u/downloads'], [win32, 'C:\\Users\\u\\Downloads']] as const) {
    assert.ok(!path.isAbsolute(name))
    assert.equal(path.relative(dir, path.join(dir, name)), name)
    assert.equal(path.dirname(path.join(dir, name)), dir)
  }
}

/** Pieces hostile names are made of, so that random strings hit every rule often */
const piece = fc.constantFrom(
  '.', '..', ' ', '/', '\\', '\0', '\n', '\x7f', '\x9b', ':', '*', '?', '"', '<', '>', '|',
  'CON', 'con', 'Nul', 'aux', 'PRN', 'COM1', 'lpt9', 'LPT¹', 'com³', 'COM0', 'CONIN$', 'conout$',
  '.txt', '.tar.gz', '.exe', 'txt', 'exe', 'a', 'Z', '-', '_', '(1)',
  'é', 'e\u0301', '\u0301', '日本', '👨‍👩‍👧', '🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}', '\u200d', '\u200c',
  '\u202e', '\u202d', '\u2066', '\u2069', '\u200f', '\u061c', '\u200b', '\ufeff', '\u00ad',
  '\ud800', '\udfff', '\u2028', '\u00a0', '\u3000'
)
const hostileName = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map(parts => parts.join('')),
  fc.tuple(fc.array(piece, { maxLength: 4 }), fc.string({ unit: fc.constantFrom('a', 'é', '日', '👨‍👩‍👧', 'a\u0301', ' ', '.'), minLength: 60, maxLength: 300 }), fc.array(piece, { maxLength: 4 }))
    .map(([head, body, tail]) => head.join('') + body + tail.join('')),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 300 })
)

void describe('safeFileName', () => {
  void it('keeps only the last component of a path', () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd')
    assert.equal(safeFileName('/etc/passwd'), 'passwd')
    assert.equal(safeFileName('C:\\Windows\\x'), 'x')
    assert.equal(safeFileName('..\\..\\boot.ini'), 'boot.ini')
    assert.equal(safeFileName('dir/sub/'), 'sub')
    assert.equal(safeFileName('\\\\server\\share\\f.doc'), 'f.doc')
    assert.equal(safeFileName('C:x.txt'), 'C_x.txt', 'a drive-relative path is one name with its colon replaced')
    assert.equal(safeFileName('a/..'), FALLBACK_FILE_NAME)
  })

  void it('gives the fallback when nothing is left', () => {
    for (const name of ['', '.', '..', '...', '/', '//', '\\', '. .', '   ', './..', '../.']) {
      assert.equal(safeFileName(name), FALLBACK_FILE_NAME, JSON.stringify(name))
    }
  })

  void it('never gives a hidden file: a leading dot becomes _', () => {
    assert.equal(safeFileName('.bashrc'), '_bashrc')
    assert.equal(safeFileName('../.ssh/authorized_keys'), 'authorized_keys')
    assert.equal(safeFileName('.ssh'), '_ssh')
    assert.equal(safeFileName('..bashrc'), '_.bashrc')
    assert.equal(safeFileName('.partial'), '_partial', 'never the partial files folder')
  })

  void it('replaces NUL, control characters and what Windows forbids', () => {
    assert.equal(safeFileName('a\0b.txt'), 'a_b.txt')
    assert.equal(safeFileName('passwd\0.png'), 'passwd_.png')
    assert.equal(safeFileName('tab\tnew\nline\rdel\x7fcsi\x9b.txt'), 'tab_new_line_del_csi_.txt')
    assert.equal(safeFileName('a<b>c:d"e|f?g*h'), 'a_b_c_d_e_f_g_h')
    assert.equal(safeFileName('file.txt:secret'), 'file.txt_secret', 'no NTFS alternate data stream')
    assert.equal(safeFileName('line\u2028sep'), 'line_sep')
  })

  void it('removes trailing dots and spaces', () => {
    assert.equal(safeFileName('name. . .'), 'name')
    assert.equal(safeFileName('name.txt '), 'name.txt')
    assert.equal(safeFileName('evil.exe.'), 'evil.exe')
    assert.equal(safeFileName(' lead'), ' lead', 'a leading space is visible and harmless')
  })

  void it('makes reserved device names safe, with any extension and in any case', () => {
    const cases: Array<[string, string]> = [
      ['CON', '_CON'], ['con.txt', '_con.txt'], ['LPT1.tar.gz', '_LPT1.tar.gz'], ['Nul', '_Nul'], ['aux.c', '_aux.c'],
      ['prn.', '_prn'], ['COM0', '_COM0'], ['com9.log', '_com9.log'], ['COM¹', '_COM¹'], ['lpt³.txt', '_lpt³.txt'],
      ['nul .txt', '_nul .txt'], ['CON..txt', '_CON..txt'], ['CONIN$', '_CONIN$'], ['conout$.x', '_conout$.x'],
      ['dir/con', '_con'], ['con:', 'con_']
    ]
    for (const [name, safe] of cases) assert.equal(safeFileName(name), safe, name)
    for (const name of ['CONSOLE.txt', 'COM10', 'LPT', 'xCON', 'CON_', 'con-1.txt', 'COM⁴', 'icon.png']) {
      assert.equal(safeFileName(name), name, `${name} is not a device`)
    }
  })

  void it('normalises to NFC and repairs lone surrogates', () => {
    assert.equal(safeFileName('e\u0301te\u0301.txt'), '\u00e9t\u00e9.txt')
    assert.equal(safeFileName('a\ud800b\udc00.txt'), 'a\ufffdb\ufffd.txt')
  })

  void it('replaces bidi controls and invisible format characters', () => {
    // shows as "photoexe.jpg" in a right-to-left-aware terminal or file manager
    assert.equal(safeFileName('photo\u202egpj.exe'), 'photo_gpj.exe')
    assert.equal(safeFileName('\u202dreport.pdf'), '_report.pdf')
    assert.equal(safeFileName('invoice\u2066fdp.\u2069exe'), 'invoice_fdp._exe')
    assert.equal(safeFileName('a\u200eb\u200fc\u061cd.txt'), 'a_b_c_d.txt')
    assert.equal(safeFileName('zero\u200bwidth\ufeff\u00ad.txt'), 'zero_width__.txt')
    assert.equal(safeFileName('\u{e0041}tag.txt'), '_tag.txt')
    // the joiners reorder nothing and are part of emoji and of Persian and Indic words
    assert.equal(safeFileName('👨‍👩‍👧.png'), '👨‍👩‍👧.png')
    assert.equal(safeFileName('می\u200cخواهم.txt'), 'می\u200cخواهم.txt')
  })

  void it('cuts long names to 255 bytes between characters, keeping the extension', () => {
    const accented = safeFileName('é'.repeat(150) + '.txt') // 304 bytes
    assert.equal(accented, 'é'.repeat(125) + '.txt')

    assert.equal(safeFileName('日'.repeat(100)), '日'.repeat(85)) // 300 bytes, 3 each

    const family = '👨‍👩‍👧' // one grapheme cluster of 18 bytes
    assert.equal(safeFileName(family.repeat(20) + '.tar.gz'), family.repeat(13) + '.tar.gz')

    const mixed = safeFileName('a' + 'é日👨‍👩‍👧'.repeat(30) + '.pdf')
    assert.ok(bytes(mixed) <= MAX_FILE_NAME_BYTES && mixed.endsWith('.pdf') && mixed.startsWith('aé日👨‍👩‍👧'))

    // one cluster longer than the limit: cut between code points
    const stacked = safeFileName('a' + '\u0301'.repeat(300) + '.txt')
    assert.ok(bytes(stacked) <= MAX_FILE_NAME_BYTES && stacked.startsWith('\u00e1') && stacked.endsWith('.txt'))

    // a cut that ends on spaces or dots loses them
    assert.equal(safeFileName('a'.repeat(254) + ' b'), 'a'.repeat(254))
    assert.equal(safeFileName('.' + 'a'.repeat(300)), '_' + 'a'.repeat(254))
    // an extension too long to be one is cut like the rest
    assert.equal(safeFileName('a.' + 'b'.repeat(300)), 'a.' + 'b'.repeat(253))
    // exactly 255 bytes stays as it is
    assert.equal(safeFileName('x'.repeat(251) + '.txt'), 'x'.repeat(251) + '.txt')
    // a device name with a long tail still fits once prefixed
    const device = safeFileName('CON' + ' '.repeat(240) + '.' + 'x'.repeat(11) + '.txt')
    assert.ok(device.startsWith('_CON') && bytes(device) <= MAX_FILE_NAME_BYTES && device.endsWith('.txt'))
  })

  void it('is fast on long hostile names', () => {
    const start = performance.now()
    for (const name of ['. '.repeat(200_000) + 'x', '.'.repeat(400_000), '/'.repeat(400_000), 'a.'.repeat(200_000), '\u0301'.repeat(400_000)]) {
      assertSafe(safeFileName(name))
    }
    assert.ok(performance.now() - start < 2000)
  })

  void it('gives a safe name for any string', () => {
    fc.assert(fc.property(hostileName, name => { assertSafe(safeFileName(name)) }), { numRuns: 2000 })
  })

  void it('keeps a name that is safe already', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'B', '0', '-', '_', ' ', '(', ')', 'é', '日'), minLength: 1, maxLength: 40 })
      .filter(s => !s.endsWith(' '))
    fc.assert(fc.property(plain, fc.constantFrom('', '.txt', '.tar.gz'), (stem, ext) => {
      fc.pre(!DEVICE.test(stem + ext))
      assert.equal(safeFileName(stem + ext), stem + ext)
    }))
  })
})

void describe('createUniqueFile', () => {
  async function create (t: { after: (fn: () => unknown) => void }, dir: string, name: string, options = {}): Promise<UniqueFile> {
    const file = await createUniqueFile(dir, name, options)
    t.after(async () => { await file.handle.close() })
    return file
  }

  void it('opens a new, empty, private file under the safe name', async t => {
    const dir = await tempDir(t)
    const file = await create(t, dir, 'report.pdf')
    assert.equal(file.path, join(await realpath(dir), 'report.pdf'))
    await file.handle.write('data')
    assert.equal(await readFile(file.path, 'utf8'), 'data')
    assert.equal((await stat(file.path)).mode & 0o777, 0o600)
  })

  void it('writes nothing outside the folder, whatever the name', async t => {
    const base = await tempDir(t)
    const dir = join(base, 'downloads')
    await mkdir(dir)
    const names = ['../../etc/passwd', '/etc/passwd', '../escape.txt', 'C:\\Windows\\x', '..', '.', '', '.bashrc', 'CON', 'a\0b']
    const paths = []
    for (const name of names) paths.push((await create(t, dir, name)).path)
    assert.deepEqual(await readdir(base), ['downloads'])
    assert.deepEqual((await readdir(dir)).sort(), ['_CON', '_bashrc', 'a_b', 'escape.txt', 'file', 'file (1)', 'file (2)', 'passwd', 'passwd (1)', 'x'])
    for (const path of paths) assert.equal(dirname(path), await realpath(dir))
  })

  void it('never replaces an existing file, directory or symlink, and never follows a symlink', async t => {
    const base = await tempDir(t)
    const dir = join(base, 'downloads')
    await mkdir(dir)
    const target = join(base, 'target.txt')
    await writeFile(target, 'precious')
    await writeFile(join(dir, 'a.txt'), 'old')
    await mkdir(join(dir, 'b.txt'))
    await symlink(target, join(dir, 'c.txt'))
    await symlink(join(base, 'missing.txt'), join(dir, 'd.txt')) // dangling: O_EXCL must not create its target

    for (const name of ['a', 'b', 'c', 'd']) {
      const file = await create(t, dir, `${name}.txt`)
      assert.equal(basename(file.path), `${name} (1).txt`)
      await file.handle.write('new')
    }
    assert.equal(await readFile(join(dir, 'a.txt'), 'utf8'), 'old')
    assert.ok((await lstat(join(dir, 'b.txt'))).isDirectory())
    assert.deepEqual(await readdir(join(dir, 'b.txt')), [])
    assert.equal(await readlink(join(dir, 'c.txt')), target)
    assert.equal(await readFile(target, 'utf8'), 'precious')
    assert.equal(await readlink(join(dir, 'd.txt')), join(base, 'missing.txt'))
    await assert.rejects(lstat(join(base, 'missing.txt')), { code: 'ENOENT' })
    assert.deepEqual((await readdir(base)).sort(), ['downloads', 'target.txt'])
  })

  void it('counts up, keeping the extension, and stays within 255 bytes', async t => {
    const dir = await tempDir(t)
    const names = []
    for (let i = 0; i < 3; i++) names.push(basename((await create(t, dir, 'backup.tar.gz')).path))
    assert.deepEqual(names, ['backup.tar.gz', 'backup (1).tar.gz', 'backup (2).tar.gz'])

    const long = 'é'.repeat(125) + '.txt'
    assert.equal(basename((await create(t, dir, long)).path), long)
    const second = basename((await create(t, dir, long)).path)
    assert.equal(second, 'é'.repeat(123) + ' (1).txt')
    assertSafe(second)

    assert.equal(basename((await create(t, dir, 'x.')).path), 'x')
    assert.equal(basename((await create(t, dir, 'x')).path), 'x (1)')
  })

  void it('gives numbered names that are safe for any name', async t => {
    const base = await tempDir(t)
    let run = 0
    await fc.assert(fc.asyncProperty(hostileName, async name => {
      const dir = join(base, String(run++))
      await mkdir(dir)
      const first = await createUniqueFile(dir, name)
      const second = await createUniqueFile(dir, name)
      await first.handle.close()
      await second.handle.close()
      assert.notEqual(first.path, second.path)
      assertSafe(basename(second.path))
      assert.equal(basename(first.path), safeFileName(name))
    }), { numRuns: 100 })
  })

  void it('gives concurrent calls distinct files', async t => {
    const dir = await tempDir(t)
    const files = await Promise.all(Array.from({ length: 50 }, async () => await create(t, dir, 'same.bin')))
    const names = new Set(files.map(file => basename(file.path)))
    assert.equal(names.size, 50)
    assert.ok(names.has('same.bin') && names.has('same (49).bin'))
  })

  void it(`fails with NoFreeFileNameError after ${MAX_NAME_ATTEMPTS} names`, async t => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'f.txt'), '')
    for (let n = 1; n < MAX_NAME_ATTEMPTS; n++) await writeFile(join(dir, `f (${n}).txt`), '')
    await assert.rejects(createUniqueFile(dir, 'f.txt'), (err: Error) => err instanceof NoFreeFileNameError && err.name === 'NoFreeFileNameError')
    assert.equal((await readdir(dir)).length, MAX_NAME_ATTEMPTS)
  })

  void it('creates the file in the real folder when given a symlink to it', async t => {
    const base = await tempDir(t)
    await mkdir(join(base, 'real'))
    await symlink(join(base, 'real'), join(base, 'link'))
    const file = await create(t, join(base, 'link'), 'x.txt')
    assert.equal(file.path, join(await realpath(base), 'real', 'x.txt'))
  })

  void it('rejects with the signal\'s reason when aborted, creating nothing', async t => {
    const dir = await tempDir(t)
    const reason = new Error('stopped')
    await assert.rejects(createUniqueFile(dir, 'x.txt', { signal: AbortSignal.abort(reason) }), reason)
    assert.deepEqual(await readdir(dir), [])
  })

  void it('passes file system errors on with their code', async t => {
    const dir = await tempDir(t)
    await assert.rejects(createUniqueFile(join(dir, 'missing'), 'x.txt'), { code: 'ENOENT' })
    await writeFile(join(dir, 'plain'), '')
    await assert.rejects(createUniqueFile(join(dir, 'plain'), 'x.txt'), { code: 'ENOTDIR' })
  })
})

void describe('resolveInDir', () => {
  void it('refuses anything but a name directly inside the folder', () => {
    assert.equal(resolveInDir('/d', 'x.txt'), '/d/x.txt')
    for (const name of ['', '.', '..', '../x', '/etc/passwd', 'a/../../b', 'a/../b', 'a/']) {
      assert.throws(() => resolveInDir('/d', name), (err: Error) => err instanceof PathOutsideDirError && err.name === 'PathOutsideDirError', name)
    }
  })
})

void describe('partial files', () => {
  const id = '0123456789abcdef0123456789abcdef'

  void it('live under .partial by transfer id', () => {
    assert.equal(partialPath('/d', id), `/d/.partial/${id}.part`)
    fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), id => {
      const path = partialPath('/d', id)
      assert.equal(dirname(path), '/d/.partial')
      assert.equal(basename(path), `${id}.part`)
    }))
  })

  void it('refuse an id that is not 32 lower-case hex characters', () => {
    for (const bad of ['', id.toUpperCase(), id.slice(1), id + '0', `../${id.slice(3)}`, id.slice(1) + 'g', `${id.slice(0, 31)}/`, ` ${id}`]) {
      assert.throws(() => partialPath('/d', bad), TypeError, bad)
    }
    assert.throws(() => partialPath('/d', 42 as unknown as string), TypeError)
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), s => {
      fc.pre(!/^[0-9a-f]{32}$/.test(s))
      assert.throws(() => partialPath('/d', s), TypeError)
    }))
  })

  void it('get a private folder, made with the downloads folder if missing', async t => {
    const base = await tempDir(t)
    const dir = join(base, 'data', 'downloads')
    const partial = await ensurePartialDir(dir)
    assert.equal(partial, join(dir, '.partial'))
    assert.equal(dirname(partialPath(dir, id)), partial)
    assert.equal((await lstat(partial)).mode & 0o777, 0o700)
    assert.equal(await ensurePartialDir(dir), partial, 'idempotent')
  })

  void it('make an existing folder private', async t => {
    const dir = await tempDir(t)
    await mkdir(join(dir, '.partial'), { mode: 0o755 })
    await ensurePartialDir(dir)
    assert.equal((await lstat(join(dir, '.partial'))).mode & 0o777, 0o700)
  })

  void it('refuse a .partial that is a symlink or a file', async t => {
    const base = await tempDir(t)
    await mkdir(join(base, 'elsewhere'), { mode: 0o755 })
    await mkdir(join(base, 'one'))
    await symlink(join(base, 'elsewhere'), join(base, 'one', '.partial'))
    await mkdir(join(base, 'two'))
    await writeFile(join(base, 'two', '.partial'), '')
    const isUnsafe = (err: Error): boolean => err instanceof UnsafePartialDirError && err.name === 'UnsafePartialDirError'
    await assert.rejects(ensurePartialDir(join(base, 'one')), isUnsafe)
    await assert.rejects(ensurePartialDir(join(base, 'two')), isUnsafe)
    assert.equal((await lstat(join(base, 'elsewhere'))).mode & 0o777, 0o755, 'the target is untouched')
  })

  void it('honour an aborted signal', async t => {
    const dir = join(await tempDir(t), 'downloads')
    const reason = new Error('stopped')
    await assert.rejects(ensurePartialDir(dir, { signal: AbortSignal.abort(reason) }), reason)
    await assert.rejects(lstat(dir), { code: 'ENOENT' })
  })
})
