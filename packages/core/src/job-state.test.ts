import { describe, it, expect } from 'vitest';
import { OrchestratorError } from './errors.js';
import {
  JOB_STATUSES,
  LEASED_STATUSES,
  TERMINAL_STATUSES,
  allowedTransitions,
  assertTransition,
  canTransition,
  isJobStatus,
  isTerminalStatus,
  type JobStatus,
} from './job-state.js';

/** The state machine of SPEC §2, written out independently of the implementation. */
const EXPECTED: Record<JobStatus, readonly JobStatus[]> = {
  waiting: ['pending', 'canceled'],
  pending: ['leased', 'canceled'],
  leased: ['running', 'pending', 'succeeded', 'failed', 'canceled'],
  running: ['pending', 'succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

const ALL: readonly JobStatus[] = [
  'waiting',
  'pending',
  'leased',
  'running',
  'succeeded',
  'failed',
  'canceled',
];

const PAIRS = ALL.flatMap((from) => ALL.map((to) => ({ from, to, allowed: EXPECTED[from].includes(to) })));
const ALLOWED_PAIRS = PAIRS.filter((p) => p.allowed);
const REFUSED_PAIRS = PAIRS.filter((p) => !p.allowed);

function thrown(fn: () => void): OrchestratorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OrchestratorError) return error;
    throw error;
  }
  throw new Error('expected an OrchestratorError, nothing was thrown');
}

describe('job statuses', () => {
  it('lists the seven states in lifecycle order', () => {
    expect(JOB_STATUSES).toEqual(ALL);
  });

  it('names the terminal and leased states', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['canceled', 'failed', 'succeeded']);
    expect([...LEASED_STATUSES].sort()).toEqual(['leased', 'running']);
  });

  it('isJobStatus accepts exactly the seven states', () => {
    for (const status of ALL) expect(isJobStatus(status)).toBe(true);
    for (const value of ['', 'PENDING', 'done', 'queued', ' pending', null, undefined, 1, {}, ['pending']]) {
      expect(isJobStatus(value)).toBe(false);
    }
  });

  it('isTerminalStatus is true for succeeded, failed and canceled only', () => {
    for (const status of ALL) {
      expect(isTerminalStatus(status), status).toBe(EXPECTED[status].length === 0);
    }
    expect(isTerminalStatus('succeeded')).toBe(true);
    expect(isTerminalStatus('failed')).toBe(true);
    expect(isTerminalStatus('canceled')).toBe(true);
    expect(isTerminalStatus('running')).toBe(false);
  });
});

describe('allowedTransitions', () => {
  it.each(ALL)('lists the targets of %s', (from) => {
    expect([...allowedTransitions(from)].sort()).toEqual([...EXPECTED[from]].sort());
  });

  it('never allows a self-transition', () => {
    for (const status of ALL) expect(allowedTransitions(status)).not.toContain(status);
  });

  it('never leaves a terminal state and never re-enters waiting', () => {
    for (const status of TERMINAL_STATUSES) expect(allowedTransitions(status)).toEqual([]);
    for (const status of ALL) expect(allowedTransitions(status)).not.toContain('waiting');
  });
});

describe('canTransition', () => {
  it('covers all 49 pairs: 13 allowed, 36 refused', () => {
    expect(PAIRS).toHaveLength(49);
    expect(ALLOWED_PAIRS).toHaveLength(13);
    expect(REFUSED_PAIRS).toHaveLength(36);
  });

  it.each(ALLOWED_PAIRS)('allows $from → $to', ({ from, to }) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(REFUSED_PAIRS)('refuses $from → $to', ({ from, to }) => {
    expect(canTransition(from, to)).toBe(false);
  });
});

describe('assertTransition', () => {
  it.each(ALLOWED_PAIRS)('lets $from → $to through', ({ from, to }) => {
    expect(() => {
      assertTransition(from, to);
    }).not.toThrow();
    expect(() => {
      assertTransition(from, to, 'job-1');
    }).not.toThrow();
  });

  it.each(REFUSED_PAIRS)('throws INVALID_TRANSITION for $from → $to', ({ from, to }) => {
    const error = thrown(() => {
      assertTransition(from, to);
    });
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.status).toBe(409);
    expect(error.details).toEqual({ from, to, allowed: EXPECTED[from] });
    expect(error.details).not.toHaveProperty('jobId');
    expect(error.message.startsWith(`a job cannot move from ${from} to ${to} (`)).toBe(true);

    const withId = thrown(() => {
      assertTransition(from, to, 'job-42');
    });
    expect(withId.code).toBe('INVALID_TRANSITION');
    expect(withId.details).toEqual({ from, to, allowed: EXPECTED[from], jobId: 'job-42' });
    expect(withId.message.startsWith(`job job-42 cannot move from ${from} to ${to} (`)).toBe(true);
  });

  it('lists the allowed targets in the message of a non-terminal state', () => {
    const error = thrown(() => {
      assertTransition('pending', 'succeeded', 'j1');
    });
    expect(error.message).toBe('job j1 cannot move from pending to succeeded (allowed: leased, canceled)');
    expect(error.details).toEqual({
      from: 'pending',
      to: 'succeeded',
      allowed: ['leased', 'canceled'],
      jobId: 'j1',
    });

    const running = thrown(() => {
      assertTransition('running', 'leased');
    });
    expect(running.message).toBe(
      'a job cannot move from running to leased (allowed: pending, succeeded, failed, canceled)',
    );
  });

  it('says a terminal state is terminal', () => {
    for (const from of ['succeeded', 'failed', 'canceled'] as const) {
      const error = thrown(() => {
        assertTransition(from, 'pending');
      });
      expect(error.message).toBe(`a job cannot move from ${from} to pending (${from} is terminal)`);
      expect(error.details).toEqual({ from, to: 'pending', allowed: [] });
    }
    const withId = thrown(() => {
      assertTransition('canceled', 'canceled', 'j9');
    });
    expect(withId.message).toBe('job j9 cannot move from canceled to canceled (canceled is terminal)');
  });

  it('keeps an empty-string job id (only undefined means "no id")', () => {
    const error = thrown(() => {
      assertTransition('failed', 'running', '');
    });
    expect(error.details).toEqual({ from: 'failed', to: 'running', allowed: [], jobId: '' });
    expect(error.message).toBe('job  cannot move from failed to running (failed is terminal)');
  });
});
