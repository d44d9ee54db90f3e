import { createActivities, type CollectionActivities } from '../src/activities';
import type { ProviderGateway } from '../src/activities/provider-gateway';
import { createLogger } from '../src/logger';
import type { PolicyRegistry } from '../src/policy/load';

/**
 * A provider gateway that answers at once and only tells `onSend` which idempotency key
 * it accepted: the providers' own latency is not what the lifecycle benchmark measures.
 */
export function noopGateway(onSend: (key: string) => void = () => undefined): ProviderGateway {
  let next = 0;
  const id = (key: string) => {
    onSend(key);
    return `noop-${++next}`;
  };
  return {
    sendSms: (key) => Promise.resolve({ messageId: id(key) }),
    createCallTask: (key) => Promise.resolve({ taskId: id(key) }),
    sendLetter: (key) => Promise.resolve({ letterId: id(key) }),
    sendLawyerLetter: (key) => Promise.resolve({ referenceNo: id(key) }),
    fileLitigation: (key) => Promise.resolve({ caseNo: id(key) }),
    placeWithAgency: (key) => Promise.resolve({ placementId: id(key) }),
    recallFromAgency: (key) => Promise.resolve({ recalled: Boolean(id(key)) }),
  };
}

/** The case's activities over the given gateway, plus the bench-only no-op the baselines call. */
export function createBenchActivities(gateway: ProviderGateway, policies: PolicyRegistry) {
  return {
    ...createActivities({ gateway, policies, logger: createLogger('bench', { level: 'silent' }) }),
    benchNoop: (): Promise<void> => Promise.resolve(),
  };
}

export type BenchActivities = CollectionActivities & { benchNoop(): Promise<void> };
