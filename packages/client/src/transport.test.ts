import { CLOSE_CODES as PROTOCOL_CLOSE_CODES, OP_NAMES as PROTOCOL_OPS, SUBPROTOCOL as PROTOCOL_SUBPROTOCOL, WireOpParams } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from './ops.js';
import { CLOSE_CODES, SUBPROTOCOL } from './transport.js';

describe('constants mirrored from @parley/protocol', () => {
  it('match the protocol package', () => {
    expect(SUBPROTOCOL).toBe(PROTOCOL_SUBPROTOCOL);
    for (const [name, code] of Object.entries(CLOSE_CODES)) expect(PROTOCOL_CLOSE_CODES[name as keyof typeof PROTOCOL_CLOSE_CODES]).toBe(code);
    const wire = Object.keys(WireOpParams).filter((op) => op !== 'auth');
    expect([...OP_NAMES].sort()).toEqual([...PROTOCOL_OPS, ...wire].sort());
  });
});
