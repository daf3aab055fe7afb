/**
 * The layout of every help text: two columns, built from the option tables
 * so that help cannot drift from the parsers.
 */
import type { OptionTable } from './options.ts'

const WIDTH = 26

/** `  left      right`, or right on the next line when left is too wide */
export function row (left: string, right: string): string {
  return left.length >= WIDTH - 2
    ? `  ${left}\n  ${' '.repeat(WIDTH)}${right}`
    : `  ${left.padEnd(WIDTH)}${right}`
}

/** One row per option: `-h, --help`, `--port N` */
export function optionRows (table: OptionTable): string[] {
  return Object.entries(table).map(([name, spec]) => {
    const flag = `${spec.short != null ? `-${spec.short}, ` : ''}--${name}${spec.arg != null ? ` ${spec.arg}` : ''}`
    return row(flag, spec.description)
  })
}
