import { describe, it, expect } from 'vitest';
import { silentLogger } from './ports.js';

describe('silentLogger', () => {
  it('drops every line without throwing', () => {
    expect(() => {
      silentLogger.debug({ a: 1 }, 'debug');
      silentLogger.info({}, 'info');
      silentLogger.warn({ b: 'x' }, 'warn');
      silentLogger.error({ err: new Error('boom') }, 'error');
    }).not.toThrow();
  });

  it('has children that are silent too', () => {
    const child = silentLogger.child({ requestId: 'r1' });
    expect(child).toBe(silentLogger);
    expect(child.child({ more: true })).toBe(silentLogger);
    expect(() => {
      child.info({}, 'x');
    }).not.toThrow();
  });
});
