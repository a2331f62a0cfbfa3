// The source resources of the HTTP contract (docs/api.md, "Sources"), as they travel on the wire.
import type { PageQuery } from './job-resources.js';

/** A token bucket: up to `burst` jobs at once, refilled at `refillPerSecond`. */
export interface SourceRateLimit {
  readonly burst: number;
  readonly refillPerSecond: number;
}

/** A registered producer of work. */
export interface Source {
  readonly sourceId: string;
  readonly tenantId: string;
  readonly sourceType: string;
  readonly displayName: string | null;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly paused: boolean;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  /** `null`: unlimited. */
  readonly rateLimit: SourceRateLimit | null;
  /** The most jobs of the source leased or running at once; `null`: unlimited. */
  readonly maxConcurrent: number | null;
  /** Grows with every change; the ETag of optimistic updates. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The body of `POST /sources`. */
export interface NewSource {
  readonly sourceId: string;
  readonly sourceType: string;
  readonly displayName?: string | null;
  readonly description?: string | null;
  readonly rateLimit?: SourceRateLimit | null;
  /** 1 to 1,000,000; absent or `null`: unlimited. */
  readonly maxConcurrent?: number | null;
}

/** The body of `PATCH /sources/{sourceId}`: an absent field stays, `null` clears it. */
export interface SourceChange {
  readonly sourceType?: string;
  readonly displayName?: string | null;
  readonly description?: string | null;
  readonly rateLimit?: SourceRateLimit | null;
  readonly maxConcurrent?: number | null;
}

/** Filters and page of `GET /sources`. */
export interface ListSourcesQuery extends PageQuery {
  readonly sourceType?: string;
  readonly enabled?: boolean;
  readonly paused?: boolean;
}

/** Why a source is paused (`POST /sources/{sourceId}/pause`). */
export interface SourcePause {
  readonly reason: string;
  readonly ticket?: string;
}
