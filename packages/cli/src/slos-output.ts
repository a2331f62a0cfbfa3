import type { Incident, Slo, SloBurnRate } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

function percent(objective: number): string {
  return `${Number((objective * 100).toPrecision(10))}%`;
}

function windowOf(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  return `${seconds}s`;
}

function scopeOf(slo: Slo): string {
  const parts = [
    slo.jobType === null ? null : `type ${slo.jobType}`,
    slo.sourceId === null ? null : `source ${slo.sourceId}`,
  ];
  const named = parts.filter((part) => part !== null);
  return named.length === 0 ? 'all jobs' : named.join(', ');
}

/** The SLO list: id, name, scope, objective, window, thresholds. */
export function renderSloList(slos: readonly Slo[]): string {
  if (slos.length === 0) return 'No SLOs.';
  return renderTable(
    ['SLO ID', 'NAME', 'SCOPE', 'OBJECTIVE', 'WINDOW', 'FAST/SLOW BURN'],
    slos.map((slo) => [
      slo.sloId,
      slo.name,
      scopeOf(slo),
      percent(slo.objective),
      windowOf(slo.windowSeconds),
      `${slo.alertPolicy.fastBurnThreshold}/${slo.alertPolicy.slowBurnThreshold}`,
    ]),
  );
}

/** One SLO, field by field. */
export function renderSlo(slo: Slo): string {
  return renderFields([
    ['SLO ID', slo.sloId],
    ['Name', slo.name],
    ['Scope', scopeOf(slo)],
    ['Objective', percent(slo.objective)],
    ['Window', windowOf(slo.windowSeconds)],
    ['Fast burn threshold', String(slo.alertPolicy.fastBurnThreshold)],
    ['Slow burn threshold', String(slo.alertPolicy.slowBurnThreshold)],
    ['Pause source on incident', slo.pauseSourceOnIncident ? 'yes' : 'no'],
    ['Created', `${formatTime(slo.createdAt)} by ${slo.createdBy}`],
    ['Updated', `${formatTime(slo.updatedAt)} by ${slo.updatedBy}`],
  ]);
}

/** The burn rates of every window, the error budget and the alerts. */
export function renderBurnRate(burn: SloBurnRate): string {
  const table = renderTable(
    ['WINDOW', 'GOOD', 'BAD', 'ERROR RATIO', 'BURN RATE'],
    (['1h', '6h', '24h', '30d'] as const).map((window) => {
      const w = burn.windows[window];
      return [
        window,
        String(w.good),
        String(w.bad),
        String(w.errorRatio),
        w.total === 0 ? '0 (no jobs)' : String(w.burnRate),
      ];
    }),
  );
  const budget = burn.errorBudget;
  const alerts = [burn.alerts.fast ? 'fast' : null, burn.alerts.slow ? 'slow' : null].filter(
    (a) => a !== null,
  );
  return [
    `${burn.name} (${percent(burn.objective)}) as of ${formatTime(burn.asOf)}`,
    table,
    `Error budget over ${windowOf(budget.windowSeconds)}: ${Number((budget.remaining * 100).toPrecision(6))}% left ` +
      `(${budget.bad} failed of ${budget.total}, ${budget.allowedFailures} allowed)`,
    `Alerts: ${alerts.length === 0 ? 'none' : alerts.join(', ')}`,
    `Open incident: ${burn.openIncident?.incidentId ?? 'none'}`,
  ].join('\n');
}

/** The incident list. */
export function renderIncidentList(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return 'No incidents.';
  return renderTable(
    ['INCIDENT ID', 'SLO ID', 'STATUS', 'TRIGGER', 'OPENED', 'RESOLVED'],
    incidents.map((i) => [
      i.incidentId,
      i.sloId,
      i.status,
      i.trigger,
      formatTime(i.openedAt),
      formatTime(i.resolvedAt),
    ]),
  );
}

/** One incident, field by field. */
export function renderIncident(incident: Incident): string {
  const rates = (r: Incident['burnRatesAtOpen'] | null) =>
    r === null ? '-' : `1h ${r['1h']}, 6h ${r['6h']}, 24h ${r['24h']}, 30d ${r['30d']}`;
  return renderFields([
    ['Incident ID', incident.incidentId],
    ['SLO ID', incident.sloId],
    ['Status', incident.status],
    ['Trigger', incident.trigger],
    ['Opened', formatTime(incident.openedAt)],
    ['Resolved', formatTime(incident.resolvedAt)],
    ['Burn rates at open', rates(incident.burnRatesAtOpen)],
    ['Burn rates at resolve', rates(incident.burnRatesAtResolve)],
    [
      'Paused source',
      incident.pausedSourceId === null
        ? '-'
        : `${incident.pausedSourceId} (${incident.sourcePaused ? 'paused' : 'not paused'})`,
    ],
  ]);
}
