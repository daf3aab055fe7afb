/**
 * The node's identity: its protobuf private key, sealed under the data key
 * in one record, `identity/self`.
 */
import { openValue, sealValue } from './at-rest.ts'
import { IDENTITY_KEY, SUBLEVEL_IDENTITY } from './constants.ts'
import { putSynced } from './handles.ts'
import type { Handles } from './handles.ts'

/** The stored private key, or undefined before the first putIdentity */
export async function readIdentity (handles: Handles): Promise<Uint8Array | undefined> {
  const sealed: Uint8Array | undefined = await handles.identity.get(IDENTITY_KEY)
  if (sealed === undefined) {
    return undefined
  }
  return openValue(handles.dataKey, SUBLEVEL_IDENTITY, IDENTITY_KEY, sealed)
}

/** Replaces the stored private key, synced; run it inside the write queue */
export async function writeIdentity (handles: Handles, key: Uint8Array): Promise<void> {
  await putSynced(handles.db, handles.identity, IDENTITY_KEY, sealValue(handles.dataKey, SUBLEVEL_IDENTITY, IDENTITY_KEY, key))
}
