import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';

interface JsonHistory {
  events: Array<{ markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> } }>;
}

/** The patch ids a history in JSON (as stored under test/histories) recorded, in order: its core_patch markers, whose id is a JSON payload. */
export function patchMarkers(history: unknown): string[] {
  return (history as JsonHistory).events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
}

/** The patch ids a running or closed workflow recorded so far. */
export async function recordedPatches(handle: WorkflowHandle): Promise<string[]> {
  return patchMarkers(JSON.parse(historyToJSON(await handle.fetchHistory())));
}
