/** The one `--json` line writer */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JsonLines } from '../../src/cli/json-lines.ts'

function capture (): { lines: string[], json: JsonLines } {
  const lines: string[] = []
  return { lines, json: new JsonLines({ out: line => { lines.push(line) } }) }
}

void describe('JsonLines', () => {
  void it('one object per line, type first, undefined fields left out', () => {
    const { lines, json } = capture()
    json.write('stopped')
    json.write('peer', { peerId: 'p', name: undefined, status: 'connected' })
    assert.deepEqual(lines, ['{"type":"stopped"}', '{"type":"peer","peerId":"p","status":"connected"}'])
  })

  void it('no text can break a line: newlines and U+2028/U+2029 are escaped', () => {
    const { lines, json } = capture()
    const text = 'a\nb\rc\u2028d\u2029e'
    json.write('message', { text })
    assert.equal(lines.length, 1)
    assert.ok(!/[\n\r\u2028\u2029]/.test(lines[0] ?? ''), lines[0])
    assert.deepEqual(JSON.parse(lines[0] ?? ''), { type: 'message', text })
  })
})
