import type { Actor } from './job.js';
import { OPERATOR_METADATA_LIMITS } from './operator-metadata.js';
import type { SourcePauser } from './slo-store.js';
import type { SourceStore } from './source-store.js';

/** The actor of the pauses incident mode makes: the orchestrator itself, with no client and no scope. */
export const INCIDENT_MODE_ACTOR: Actor = { subject: 'system:incident-mode', clientId: null, scopes: [] };

/**
 * Incident mode's {@link SourcePauser} on the source registry: the pause is an ordinary audited source
 * pause (a `source.pause` entry and its `operator.source.pause` event, by {@link INCIDENT_MODE_ACTOR}, with
 * the incident as reason), so it reads, and is resumed, like any operator's. A source already paused stays
 * paused with its first reason (and the answer is still `true`).
 *
 * @throws OrchestratorError `SOURCE_NOT_FOUND` when the SLO names a source that is not registered
 */
export function sourceRegistryPauser(sources: SourceStore): SourcePauser {
  return {
    async pause(tenantId, sourceId, reason) {
      const { source } = await sources.forTenant(tenantId).changeSourceState({
        sourceId,
        change: {
          action: 'pause',
          pause: { reason: reason.slice(0, OPERATOR_METADATA_LIMITS.maxReasonLength) },
        },
        actor: INCIDENT_MODE_ACTOR,
      });
      return source.paused;
    },
  };
}
