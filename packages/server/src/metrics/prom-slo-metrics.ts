import { BURN_WINDOWS, type SloEvaluation, type SloMetrics } from '@stella-orch/core';
import { Gauge, type Registry } from 'prom-client';
import type { LabelPolicy } from './label-policy.js';

/** At most this many SLOs get burn-rate series in one process (four series each); later ones get none. */
export const MAX_SLO_SERIES = 1_000;

/**
 * The SLO gauges on prom-client, set from each complete evaluation pass: the burn rate of every SLO over
 * every window (`slo` is the SLO id: unique, and bounded by the SLOs defined) and the open incidents per
 * tenant. Each pass replaces the previous one, so a deleted SLO's series go with the next pass.
 */
export class PromSloMetrics implements SloMetrics {
  readonly #labels: LabelPolicy;
  readonly #burnRate: Gauge<'tenant' | 'slo' | 'window'>;
  readonly #openIncidents: Gauge<'tenant'>;

  /** Registers the gauges in `registry`. */
  constructor(registry: Registry, labels: LabelPolicy) {
    this.#labels = labels;
    this.#burnRate = new Gauge({
      name: 'stella_orch_slo_burn_rate',
      help: 'Burn rate of each SLO (error ratio / (1 − objective)) over the window, as of the last evaluation.',
      labelNames: ['tenant', 'slo', 'window'],
      registers: [registry],
    });
    this.#openIncidents = new Gauge({
      name: 'stella_orch_incidents_open',
      help: 'SLO incidents open, as of the last evaluation.',
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  /** @inheritdoc */
  evaluated(evaluations: readonly SloEvaluation[]): void {
    this.#burnRate.reset();
    this.#openIncidents.reset();
    for (const [index, evaluation] of evaluations.entries()) {
      const tenant = this.#labels.tenant(evaluation.tenantId);
      if (index < MAX_SLO_SERIES) {
        for (const window of BURN_WINDOWS) {
          this.#burnRate.set({ tenant, slo: evaluation.sloId, window }, evaluation.burnRates[window]);
        }
      }
      this.#openIncidents.inc({ tenant }, evaluation.openIncidentId === null ? 0 : 1);
    }
  }
}
