import { describe, expect, it } from 'vitest';
import { scopesOf } from './access-token.js';
import { isScope, type Scope } from './scopes.js';

describe('scopesOf', () => {
  it('keeps the known scopes of a space-separated claim, in the claim’s order', () => {
    expect(scopesOf('orch:submit orch:read', isScope)).toEqual(['orch:submit', 'orch:read']);
    expect(scopesOf('orch:operate', isScope)).toEqual(['orch:operate']);
  });

  it('drops unknown scopes and the empty names of extra spaces', () => {
    expect(scopesOf('openid orch:read  orch:unknown orch:worker ', isScope)).toEqual([
      'orch:read',
      'orch:worker',
    ]);
    expect(scopesOf('', isScope)).toEqual([]);
    expect(scopesOf('profile email', isScope)).toEqual([]);
  });

  it('uses the given predicate to decide what is known', () => {
    const onlyRead = (value: string): value is Scope => value === 'orch:read';
    expect(scopesOf('orch:read orch:submit orch:read', onlyRead)).toEqual(['orch:read', 'orch:read']);
  });
});
