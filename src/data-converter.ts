import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, type PayloadKeys } from './payload-codec';

/**
 * The one data converter of every process that talks to Temporal (worker, API, CLI, scripts,
 * bench, tests): the default JSON payload converter, then the AES-256-GCM codec.
 *
 * - The codec runs outside the workflow sandbox (the worker applies it to activations and
 *   completions), so nothing here is bundled into workflow code and prebundled workflows
 *   need no rebuild.
 * - Failure messages stay in clear (the default failure converter): ours carry provider
 *   paths, statuses and codes, never contact data; failure details are payloads and encrypted.
 * - Without keys (only allowed with ALLOW_TEST_POLICIES=true) payloads are plain JSON, as
 *   the SDK writes them by default.
 */
export function createDataConverter(keys: PayloadKeys | undefined): DataConverter {
  return keys ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : {};
}
