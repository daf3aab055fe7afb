/**
 * How the text renderer shows file transfers under way. On a terminal:
 * cli-progress bars, one per active transfer (a MultiBar), with bytes,
 * throughput and time left. cli-progress draws into a terminal of ours
 * that only records the rows (its `terminal` option): the Terminal sink
 * (../terminal.ts) owns the screen and keeps the bars between the output
 * and the prompt, so neither a line of output nor the prompt is ever drawn
 * over. Without a terminal: a line at most every 10 %.
 *
 * Labels come in safe to print (the renderer sanitizes the file name).
 * Every row of a bar is cut to fit the terminal's width (ASCII bar
 * characters, so that the estimate of wide characters cuts no bar short).
 */
import cliProgress from 'cli-progress'
import { displayWidth } from './wrap.ts'

/** One transfer's progress, as the renderer hands it on */
export interface ProgressUpdate {
  id: string
  /** `↓ "report.pdf" from bob` or `↑ "report.pdf" to bob`, sanitized */
  label: string
  bytes: number
  size: number
  /** bytes a second */
  rate: number
}

export interface ProgressDisplay {
  update(progress: ProgressUpdate): void
  /** the transfer ended (its `file` line follows): its bar goes */
  end(id: string): void
  /** the session ends: every bar goes, no timer is left */
  close(): void
}

/** Redraws a second: enough for a rate, little for a slow terminal */
const BAR_FPS = 4
const BAR_SIZE = 20
/** Columns of a label in a bar, at most: the rest of the row is the bar and its numbers */
const LABEL_COLUMNS = 36

/** The rows a MultiBar drew, recorded: its cursor moves only say which row it writes */
class RowRecorder {
  rows: string[] = ['']
  private row = 0
  private readonly columns: () => number

  constructor (columns: () => number) {
    this.columns = columns
  }

  cursorSave (): void {}
  cursorRestore (): void {}
  cursor (_enabled: boolean): void {}
  lineWrapping (_enabled: boolean): void {}
  clearRight (): void {}
  clearLine (): void {}
  clearBottom (): void {}

  cursorTo (x: number | null = null): void {
    // a bar is rendered whole after a move to its row's start
    if (x === 0) this.rows[this.row] = ''
  }

  cursorRelative (_dx: number | null = null, dy: number | null = null): void {
    this.moveTo(this.row + (dy ?? 0))
  }

  cursorRelativeReset (): void {
    this.rows = ['']
    this.row = 0
  }

  newline (): void {
    this.moveTo(this.row + 1)
  }

  /** cut to the width (estimated on the high side): the Terminal counts every row as one row on screen */
  write (s: string): void {
    this.rows[this.row] = fit((this.rows[this.row] ?? '') + s, this.columns())
  }

  isTTY (): boolean {
    return true
  }

  getWidth (): number {
    return this.columns()
  }

  private moveTo (row: number): void {
    this.row = Math.max(0, row)
    while (this.rows.length <= this.row) this.rows.push('')
  }
}

export interface BarDisplayInit {
  /** draws these rows between the output and the prompt (none: the bars are gone) */
  footer: (rows: string[]) => void
  /** the terminal's width in columns, if known */
  columns: () => number | undefined
}

/** cli-progress bars, one per transfer under way */
export class BarDisplay implements ProgressDisplay {
  private readonly footer: (rows: string[]) => void
  private readonly columns: () => number
  private multibar?: cliProgress.MultiBar
  private readonly bars = new Map<string, cliProgress.SingleBar>()

  constructor (init: BarDisplayInit) {
    this.footer = init.footer
    // one short of the width, so no row ends right at the edge (and wraps)
    this.columns = () => Math.max(20, (init.columns() ?? 80) - 1)
  }

  update (p: ProgressUpdate): void {
    const payload = {
      label: fit(p.label, LABEL_COLUMNS),
      done: formatBytes(p.bytes),
      size: formatBytes(p.size),
      speed: `${formatBytes(p.rate)}/s`,
      left: timeLeft(p.size - p.bytes, p.rate)
    }
    // an empty file is done at 0 bytes
    const total = Math.max(1, p.size)
    const value = p.size === 0 ? 1 : Math.min(p.bytes, p.size)
    const bar = this.bars.get(p.id)

    if (bar != null) {
      bar.update(value, payload)
      return
    }

    this.bars.set(p.id, this.multi().create(total, value, payload))
  }

  end (id: string): void {
    const bar = this.bars.get(id)

    if (bar == null) {
      return
    }

    this.bars.delete(id)

    if (this.bars.size === 0) {
      this.close()
      return
    }

    this.multibar?.remove(bar)
  }

  close (): void {
    const multibar = this.multibar
    this.multibar = undefined
    this.bars.clear()
    multibar?.stop()
    this.footer([])
  }

  private multi (): cliProgress.MultiBar {
    if (this.multibar != null) {
      return this.multibar
    }

    const recorder = new RowRecorder(this.columns)
    const options: cliProgress.Options & { terminal: RowRecorder } = {
      terminal: recorder,
      format: '{label} [{bar}] {percentage}% {done} of {size}, {speed}, {left}',
      barsize: BAR_SIZE,
      fps: BAR_FPS,
      // the prompt needs its cursor, and SIGINT is the session's (signals.ts)
      hideCursor: false,
      gracefulExit: false,
      // rows are cut to the width here, never wrapped by the terminal
      linewrap: true,
      clearOnComplete: true,
      // every bar on every redraw: the recorder starts each frame empty (the Terminal skips a frame that did not change)
      forceRedraw: true,
      autopadding: true
    }
    const multibar = new cliProgress.MultiBar(options, cliProgress.Presets.legacy)
    multibar.on('redraw-post', () => {
      if (this.multibar === multibar) this.footer(recorder.rows.filter(row => row !== ''))
    })
    this.multibar = multibar
    return multibar
  }
}

/** A line at most every 10 % of each transfer, for output that is not a terminal */
export class LineDisplay implements ProgressDisplay {
  private readonly out: (line: string) => void
  /** the tenths of each transfer printed last */
  private readonly printed = new Map<string, number>()

  constructor (out: (line: string) => void) {
    this.out = out
  }

  update (p: ProgressUpdate): void {
    const tenths = p.size === 0 ? 10 : Math.floor(Math.min(p.bytes, p.size) * 10 / p.size)

    // 0 % says nothing, 100 % is the `file` line's
    if (tenths < 1 || tenths > 9 || tenths <= (this.printed.get(p.id) ?? 0)) {
      return
    }

    this.printed.set(p.id, tenths)
    this.out(`… ${p.label}: ${tenths * 10} % (${formatBytes(p.bytes)} of ${formatBytes(p.size)}, ${formatBytes(p.rate)}/s, ${timeLeft(p.size - p.bytes, p.rate)})`)
  }

  end (id: string): void {
    this.printed.delete(id)
  }

  close (): void {
    this.printed.clear()
  }
}

/** `1.5 MiB` */
export function formatBytes (bytes: number): string {
  return bytes < 1024
    ? `${Math.round(bytes)} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : bytes < 1024 ** 3
        ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
        : `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}

/** `12 s left`, `3 min left`, `2 h 5 min left`; `? left` at no throughput */
function timeLeft (bytes: number, rate: number): string {
  if (bytes <= 0) return '0 s left'
  if (!(rate > 0)) return '? left'
  const s = Math.ceil(bytes / rate)
  if (s < 60) return `${s} s left`
  if (s < 3600) return `${Math.ceil(s / 60)} min left`
  const h = Math.floor(s / 3600)
  return `${h} h ${Math.ceil((s - h * 3600) / 60)} min left`
}

/** `text` in at most `columns` columns, `…` where it was cut */
function fit (text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text
  let out = ''
  for (const ch of text) {
    if (displayWidth(out + ch) > columns - 1) break
    out += ch
  }
  return `${out}…`
}
