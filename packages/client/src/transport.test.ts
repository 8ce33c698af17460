import { OpParams, WireOpParams } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from './ops.js';

describe('operation names from @parley/protocol/lite', () => {
  it('list exactly the ops the protocol schemas define (minus auth, which the connection sends itself)', () => {
    const wire = Object.keys(WireOpParams).filter((op) => op !== 'auth');
    expect([...OP_NAMES].sort()).toEqual([...Object.keys(OpParams), ...wire].sort());
  });
});
