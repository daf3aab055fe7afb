/**
 * File transfers (src/files): one sealed StoredTransfer per transfer, under
 * the keyed hash of its id (keys.ts), its plaintext padded by
 * transfer-record.ts. A record that fails to open or does not match its key
 * is corrupt: skipped and reported by a scan, not counted towards
 * MAX_STORED_TRANSFERS. Run the writes inside the write queue, so that a
 * count holds until its write.
 */
import { openValue, sealValue } from './at-rest.ts'
import { MAX_STORED_TRANSFERS, SUBLEVEL_TRANSFERS } from './constants.ts'
import { TransferLimitError } from './errors.ts'
import { asCorrupt } from './handles.ts'
import { decodeTransfer, encodeTransfer } from './transfer-record.ts'
import type { Handles, ReportCorrupt } from './handles.ts'
import type { StoredTransfer } from './index.ts'

function decodeTransferRecord (handles: Handles, key: string, sealed: Uint8Array): StoredTransfer {
  const transfer = decodeTransfer(openValue(handles.dataKey, SUBLEVEL_TRANSFERS, key, sealed))
  if (handles.names.transfer(transfer.id) !== key) {
    throw new Error('stored transfer does not match its key')
  }
  return transfer
}

/** Every transfer, oldest first, without the entries that cannot be read */
export async function scanTransfers (handles: Handles, options: { signal?: AbortSignal }, report: ReportCorrupt): Promise<StoredTransfer[]> {
  const transfers: StoredTransfer[] = []
  for await (const [key, sealed] of handles.transfers.iterator({ signal: options.signal })) {
    try {
      transfers.push(decodeTransferRecord(handles, key, sealed))
    } catch (err) {
      report(asCorrupt(err, SUBLEVEL_TRANSFERS, key))
    }
  }
  return transfers.sort((a, b) => (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Transfer `id`, if stored; throws CorruptRecordError if it cannot be read */
export async function readTransfer (handles: Handles, id: string): Promise<StoredTransfer | undefined> {
  const key = handles.names.transfer(id)
  const sealed: Uint8Array | undefined = await handles.transfers.get(key)
  if (sealed === undefined) return undefined
  try {
    return decodeTransferRecord(handles, key, sealed)
  } catch (err) {
    throw asCorrupt(err, SUBLEVEL_TRANSFERS, key)
  }
}

/**
 * Writes `transfer` (validated and picked by the caller) over an earlier
 * version of it, synced; TransferLimitError, writing nothing, if it is new
 * and MAX_STORED_TRANSFERS are stored
 */
export async function putTransfer (handles: Handles, transfer: StoredTransfer): Promise<void> {
  const key = handles.names.transfer(transfer.id)
  if (await handles.transfers.get(key) === undefined) {
    const keys = await handles.transfers.keys({ limit: MAX_STORED_TRANSFERS }).all()
    if (keys.length >= MAX_STORED_TRANSFERS) {
      throw new TransferLimitError(`the store holds ${MAX_STORED_TRANSFERS} transfers, as many as it keeps: remove finished ones first`)
    }
  }
  const value = sealValue(handles.dataKey, SUBLEVEL_TRANSFERS, key, encodeTransfer(transfer))
  await handles.db.batch([{ type: 'put', sublevel: handles.transfers, key, value }], { sync: true })
}

/** Removes transfer `id`, synced; resolves whether there was one */
export async function deleteTransfer (handles: Handles, id: string): Promise<boolean> {
  const key = handles.names.transfer(id)
  if (await handles.transfers.get(key) === undefined) return false
  await handles.db.batch([{ type: 'del', sublevel: handles.transfers, key }], { sync: true })
  return true
}
