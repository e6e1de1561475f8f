import type { EServiceDeps } from '../common/deps.ts';

// Being built (issue 13): plans nothing yet.
export function startDecisionNotices(_deps: EServiceDeps): { afterBatch(): void; close(): Promise<void> } {
  return { afterBatch() {}, async close() {} };
}
