-- 000005_job_trace_context: a job keeps the W3C Trace Context of the request that submitted it
-- (docs/decisions/0011-tracing.md).
--
-- traceparent is the context of the orchestrator's submit span, always written in version 00 form
-- (version-trace id-parent id-flags, lower-case hex); the lease hands it to the worker, whose span hangs
-- under it, so producer, orchestrator and worker spans form one trace. tracestate is the vendor list that
-- came with it, kept as received once valid. Both are NULL for jobs written before this migration. The
-- checks mirror packages/core/src/trace-context.ts: an all-zero trace id or parent id is invalid, and
-- tracestate holds at most 32 list members in at most 512 characters.
ALTER TABLE orch.jobs
  ADD COLUMN traceparent text,
  ADD COLUMN tracestate text,
  ADD CONSTRAINT jobs_traceparent_check CHECK (
    traceparent IS NULL
    OR (
      traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
      AND substr(traceparent, 4, 32) <> repeat('0', 32)
      AND substr(traceparent, 37, 16) <> repeat('0', 16)
    )
  ),
  ADD CONSTRAINT jobs_tracestate_check CHECK (
    tracestate IS NULL
    OR (
      traceparent IS NOT NULL
      AND length(tracestate) BETWEEN 1 AND 512
      AND cardinality(string_to_array(tracestate, ',')) <= 32
    )
  );
