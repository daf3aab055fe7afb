/**
 * The rows of a message on screen. The first row starts with our head (time
 * and sender), every other row with a gutter that message text never starts
 * a row with: a line break in the text continues after the gutter, and, when
 * the terminal's width is known, so does a line too long for one row. So the
 * terminal never wraps a message by itself, and no visual row begins with
 * text a peer chose (which could look like another sender's head).
 *
 * Widths are estimated on the high side (a row wrapped a little early is
 * fine, one the terminal wraps again is not): ASCII one column, Latin, Greek
 * and Cyrillic one, non-spacing marks none, anything else two.
 */
import { stripVTControlCharacters } from 'node:util'

export interface RowLayout {
  /** the start of the first row, as printed (may hold colour codes) */
  head: string
  /** the start of every further row */
  gutter: string
  /** printed right after the text (a status mark with its leading space); moves to a row of its own if it does not fit */
  tail?: string
  /** the columns a row may fill; undefined: unknown, wrap only at line breaks */
  width?: number
}

/** Fewer columns than this left after the head: the text starts on the next row */
const MIN_TEXT_COLUMNS = 12

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** The columns `text` takes on a terminal, at most (colour codes take none) */
export function displayWidth (text: string): number {
  let width = 0

  for (const ch of stripVTControlCharacters(text)) {
    width += charWidth(ch)
  }

  return width
}

function charWidth (ch: string): number {
  const cp = ch.codePointAt(0) ?? 0

  if (cp >= 0x20 && cp < 0x7f) {
    return 1
  }

  // joiners and variation selectors join or restyle what is before them
  if (/[\p{Mn}\p{Me}\u200c\u200d]/u.test(ch)) {
    return 0
  }

  // Latin-1 and Latin Extended, Greek and Cyrillic (no combining marks there: those are Mn)
  return (cp >= 0xa0 && cp < 0x0300) || (cp >= 0x0370 && cp < 0x0530) ? 1 : 2
}

/** The rows of `lines` (sanitized text, no line breaks in it) under `layout` */
export function layoutRows (lines: readonly string[], layout: RowLayout): string[] {
  const { head, gutter, tail = '' } = layout
  const width = layout.width

  if (width == null || width < displayWidth(gutter) + MIN_TEXT_COLUMNS) {
    const rows = [head + (lines[0] ?? ''), ...lines.slice(1).map(line => gutter + line)]
    rows[rows.length - 1] += tail
    return rows
  }

  const rows: string[] = []
  let row = head
  let free = width - displayWidth(head)
  let empty = true

  const newRow = (): void => {
    rows.push(row)
    row = gutter
    free = width - displayWidth(gutter)
    empty = true
  }

  const put = (text: string, columns: number): void => {
    row += text
    free -= columns
    empty = false
  }

  if (free < MIN_TEXT_COLUMNS) {
    row = row.trimEnd()
    newRow()
  }

  for (const [i, line] of lines.entries()) {
    if (i > 0) {
      newRow()
    }

    for (const word of line.split(' ').filter(w => w !== '')) {
      const columns = displayWidth(word)
      const space = empty ? 0 : 1

      if (space + columns <= free) {
        put(`${space === 1 ? ' ' : ''}${word}`, space + columns)
        continue
      }

      if (columns <= width - displayWidth(gutter)) {
        newRow()
        put(word, columns)
        continue
      }

      // longer than a row: break it where it stands
      if (!empty) {
        if (free > 1 + MIN_TEXT_COLUMNS / 2) {
          put(' ', 1)
        } else {
          newRow()
        }
      }

      for (const { segment } of graphemes.segment(word)) {
        const w = displayWidth(segment)

        if (w > free && !empty) {
          newRow()
        }

        put(segment, w)
      }
    }
  }

  if (tail !== '') {
    const columns = displayWidth(tail)

    if (columns > free) {
      newRow()
      put(tail.trimStart(), displayWidth(tail.trimStart()))
    } else {
      put(tail, columns)
    }
  }

  rows.push(row)
  return rows
}
