import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { ChatError, isChatError, toUnavailable } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import type { ChatStore } from './store.js';

describe('errors', () => {
  it('isChatError checks by name and code, so a copy of the class from another package copy still matches', () => {
    const own = new ChatError('FORBIDDEN', 'no');
    const foreign = Object.assign(new Error('no'), { name: 'ChatError', code: 'NOT_FOUND' });
    expect(isChatError(own)).toBe(true);
    expect(isChatError(own, 'FORBIDDEN')).toBe(true);
    expect(isChatError(own, 'INVALID')).toBe(false);
    expect(isChatError(foreign, 'NOT_FOUND')).toBe(true);
    expect(isChatError(new Error('plain'))).toBe(false);
    expect(isChatError({ code: 'INVALID' })).toBe(false);
    expect(isChatError(null)).toBe(false);
  });

  it('toJSON carries code, message and details but never the cause', () => {
    const e = new ChatError('RATE_LIMITED', 'slow down', { cause: new Error('secret'), retryAfterMs: 500 });
    expect(e.toJSON()).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 500 });
    expect(JSON.stringify(e.toJSON())).not.toContain('secret');
  });

  it('toUnavailable wraps a driver error with its cause and leaves ChatErrors alone', () => {
    const driver = new Error('connection refused');
    const wrapped = toUnavailable(driver, 'store.getUsers');
    expect(wrapped.code).toBe('UNAVAILABLE');
    expect(wrapped.cause).toBe(driver);
    expect(wrapped.message).toContain('connection refused');
    const typed = new ChatError('CONFLICT', 'x');
    expect(toUnavailable(typed, 'y')).toBe(typed);
    expect(toUnavailable('string failure', 'z')).toMatchObject({ code: 'UNAVAILABLE', cause: 'string failure' });
  });

  it('a store that throws a plain Error surfaces as ChatError UNAVAILABLE with the error as cause', async () => {
    const store = createMemoryStore();
    const driverError = new Error('socket hang up');
    const broken: ChatStore = Object.assign(Object.create(null) as ChatStore, store, {
      getUsers: async () => {
        throw driverError;
      },
      searchUsers: () => {
        throw driverError; // synchronous throw from a store method
      },
    });
    const chat = createChat({ store: broken });
    const error = await chat.as('ana').me({}).catch((e: unknown) => e);
    expect(isChatError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as ChatError).cause).toBe(driverError);
    const sync = await chat.as('ana').searchUsers({ query: 'a' }).catch((e: unknown) => e);
    expect(isChatError(sync, 'UNAVAILABLE')).toBe(true);
    expect((sync as ChatError).cause).toBe(driverError);
  });

  it('ChatErrors thrown by the store pass through unchanged', async () => {
    const store = createMemoryStore();
    const chat = createChat({ store });
    await chat.upsertUser({ id: 'a', displayName: 'A' });
    const error = await chat.as('a').history({ conversationId: 'nope' }).catch((e: unknown) => e);
    expect(isChatError(error, 'FORBIDDEN')).toBe(true);
    expect((error as ChatError).cause).toBeUndefined();
  });
});
