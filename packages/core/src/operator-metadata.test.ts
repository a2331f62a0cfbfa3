import { describe, expect, it } from 'vitest';
import { checkOperatorMetadata, OPERATOR_METADATA_LIMITS, operatorTextProblem } from './operator-metadata.js';

describe('operatorTextProblem', () => {
  it('accepts text up to the limit, counting characters rather than UTF-16 units', () => {
    expect(operatorTextProblem('maintenance window', 256)).toBeNull();
    expect(operatorTextProblem('x'.repeat(256), 256)).toBeNull();
    expect(operatorTextProblem('😀'.repeat(128), 128)).toBeNull();
    expect(operatorTextProblem('café – € 中文', 20)).toBeNull();
  });

  it('refuses empty, over-long, malformed and control-character text', () => {
    expect(operatorTextProblem('', 10)).toBe('must not be empty');
    expect(operatorTextProblem('x'.repeat(257), 256)).toBe('must be at most 256 characters');
    expect(operatorTextProblem('😀'.repeat(129), 128)).toBe('must be at most 128 characters');
    expect(operatorTextProblem('bad \ud800 half', 100)).toBe('must be well-formed Unicode text');
    for (const control of ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f']) {
      expect(operatorTextProblem(`a${control}b`, 100), JSON.stringify(control)).toBe(
        'must not contain control characters',
      );
    }
  });
});

describe('checkOperatorMetadata', () => {
  it('uses the SPEC limits: reasons 256, tickets 128', () => {
    expect(OPERATOR_METADATA_LIMITS).toEqual({ maxReasonLength: 256, maxTicketLength: 128 });
    expect(checkOperatorMetadata({ reason: 'r'.repeat(256), ticket: 't'.repeat(128) })).toEqual([]);
    expect(checkOperatorMetadata({})).toEqual([]);
    expect(checkOperatorMetadata({ reason: undefined, ticket: undefined })).toEqual([]);
  });

  it('names every field that fails, under the given paths', () => {
    expect(checkOperatorMetadata({ reason: 'r'.repeat(257), ticket: 't'.repeat(129) })).toEqual([
      { path: 'reason', message: 'must be at most 256 characters' },
      { path: 'ticket', message: 'must be at most 128 characters' },
    ]);
    expect(
      checkOperatorMetadata({ ticket: 'OPS\n1' }, { reason: 'header.reason', ticket: 'header.ticket' }),
    ).toEqual([{ path: 'header.ticket', message: 'must not contain control characters' }]);
  });
});
