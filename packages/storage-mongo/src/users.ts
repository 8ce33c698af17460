import type { ChatStore } from '@parley/core';
import type { Contact, User } from '@parley/protocol';
import type { StoreContext } from './context.js';
import { stripUndefined, toContact, toUser } from './documents.js';
import { isDuplicateKeyError } from './errors.js';
import { contactId, userId as userKey } from './ids.js';
import { containsFilter } from './queries.js';

/** Run an upsert once more when two concurrent upserts of one `_id` raced on its insert. */
async function upsertRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return run();
  }
}

/** `$set` for the given fields and `$setOnInsert` for the defaults of the others. */
function splitDefaults<T extends object>(given: Partial<T>, defaults: T): { set: Partial<T>; setOnInsert: Partial<T> } {
  const set: Partial<T> = {};
  const setOnInsert: Partial<T> = {};
  for (const key of Object.keys(defaults) as Array<keyof T>) {
    if (given[key] !== undefined) set[key] = given[key];
    else setOnInsert[key] = defaults[key];
  }
  return { set, setOnInsert };
}

/** True when either user has blocked the other (one indexed read of at most two contact documents). */
export async function blockedEitherWay(ctx: StoreContext, a: string, b: string): Promise<boolean> {
  const hit = await ctx.cols.contacts.findOne({ _id: { $in: [contactId(a, b), contactId(b, a)] }, blocked: true }, { projection: { _id: 1 } });
  return hit !== null;
}

/** Users and contacts. */
export function userMethods(
  ctx: StoreContext,
): Pick<
  ChatStore,
  'upsertUser' | 'getUsers' | 'searchUsers' | 'setLastSeen' | 'getContact' | 'putContact' | 'removeContact' | 'listContacts' | 'isBlockedEitherWay'
> {
  const { users, contacts } = ctx.cols;
  return {
    async upsertUser(input) {
      const defaults: Omit<User, 'updatedAt'> = {
        id: input.id,
        displayName: input.displayName ?? input.id,
        avatarUrl: null,
        statusText: null,
        metadata: {},
        lastSeenAt: null,
        createdAt: input.now,
      };
      const given: Partial<Omit<User, 'updatedAt'>> = {
        displayName: input.displayName,
        avatarUrl: input.avatarUrl,
        statusText: input.statusText,
        metadata: input.metadata === undefined ? undefined : stripUndefined(input.metadata),
      };
      const { set, setOnInsert } = splitDefaults(given, defaults);
      const doc = await upsertRetry(() =>
        users.findOneAndUpdate(
          { _id: userKey(input.id) },
          { $set: { ...set, updatedAt: input.now }, $setOnInsert: setOnInsert },
          { upsert: true, returnDocument: 'after' },
        ),
      );
      if (!doc) throw new Error('upsertUser: the upsert returned no document');
      return toUser(doc);
    },
    async getUsers(ids) {
      if (ids.length === 0) return [];
      return (await users.find({ _id: { $in: ids.map(userKey) } }).toArray()).map(toUser);
    },
    async searchUsers({ query, limit }) {
      const filter = query ? { displayName: containsFilter(query) } : {};
      return (await users.find(filter).sort({ displayName: 1, id: 1 }).limit(limit).toArray()).map(toUser);
    },
    async setLastSeen({ userId, at }) {
      await users.updateOne({ _id: userKey(userId), $or: [{ lastSeenAt: null }, { lastSeenAt: { $lt: at } }] }, { $set: { lastSeenAt: at } });
    },
    async getContact(ownerId, userId) {
      const doc = await contacts.findOne({ _id: contactId(ownerId, userId) });
      return doc ? toContact(doc) : null;
    },
    async putContact({ ownerId, userId, alias, blocked, now }) {
      const defaults: Omit<Contact, 'updatedAt'> = { ownerId, userId, alias: null, blocked: false, createdAt: now };
      const { set, setOnInsert } = splitDefaults<Omit<Contact, 'updatedAt'>>({ alias, blocked }, defaults);
      const doc = await upsertRetry(() =>
        contacts.findOneAndUpdate(
          { _id: contactId(ownerId, userId) },
          { $set: { ...set, updatedAt: now }, $setOnInsert: setOnInsert },
          { upsert: true, returnDocument: 'after' },
        ),
      );
      if (!doc) throw new Error('putContact: the upsert returned no document');
      return toContact(doc);
    },
    async removeContact({ ownerId, userId }) {
      const res = await contacts.deleteOne({ _id: contactId(ownerId, userId) });
      return res.deletedCount === 1;
    },
    async listContacts(ownerId) {
      return (await contacts.find({ ownerId }).sort({ userId: 1 }).toArray()).map(toContact);
    },
    isBlockedEitherWay: (a, b) => blockedEitherWay(ctx, a, b),
  };
}
