import {
  formatStep,
  type Backfill,
  type BackfillStatus,
  type JsonValue,
  type Watermark,
} from '@stella-orch/core';
import type { BackfillRow, WatermarkRow } from './queries/backfills.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** A stored backfill as the port's {@link Backfill}. */
export function mapBackfill(row: BackfillRow): Backfill {
  return {
    tenantId: row.tenant_id,
    backfillId: row.backfill_id,
    sourceId: row.source_id,
    jobType: row.job_type,
    windowStart: toIso(row.window_start),
    windowEnd: toIso(row.window_end),
    step: formatStep(row.step_seconds),
    stepSeconds: row.step_seconds,
    status: row.status as BackfillStatus,
    runId: row.run_id,
    totalJobs: row.total_jobs,
    reason: row.reason,
    ticket: row.ticket,
    payloadTemplate: row.payload_template as JsonValue,
    priority: row.priority,
    maxAttempts: row.max_attempts,
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    updatedBy: row.updated_by,
    updatedAt: toIso(row.updated_at),
    pausedBy: row.paused_by,
    pausedAt: toIsoOrNull(row.paused_at),
    canceledReason: row.canceled_reason,
    canceledBy: row.canceled_by,
    canceledAt: toIsoOrNull(row.canceled_at),
  };
}

/** A stored watermark as the port's {@link Watermark}. */
export function mapWatermark(row: WatermarkRow): Watermark {
  return {
    tenantId: row.tenant_id,
    sourceId: row.source_id,
    jobType: row.job_type,
    watermark: toIso(row.watermark),
    updatedAt: toIso(row.updated_at),
  };
}
