import type { StackInfo } from '../local/stack';
import { loadPaths } from '../scripts/loader/load';
import { localTarget } from '../scripts/loader/target';

/**
 * The loader's rate against a running local stack (issue 6: at least 200 resources/s on the
 * shared Synthea bundles). Each call loads a fresh copy, under a source name of its own, so it
 * measures first loads, not re-runs that find everything present.
 */
export async function measureLoadRate(info: StackInfo, paths: string[]): Promise<{ files: number; resources: number; seconds: number; perSecond: number }> {
  const target = await localTarget(info);
  const summary = await loadPaths({ paths, target, source: `bench-${Date.now().toString(36)}` });
  if (summary.refused.length > 0) {
    throw new Error(`the load refused ${summary.refused.length} entries, first ${summary.refused[0]?.position}: ${summary.refused[0]?.reason}`);
  }
  const resources = summary.loaded + summary.skipped;
  return { files: summary.files, resources, seconds: summary.seconds, perSecond: resources / summary.seconds };
}
