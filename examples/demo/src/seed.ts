import type { Chat } from '@parley/core';

/** The user who owns the seeded channels and writes their welcome messages. */
export const SEED_USER = { id: 'parley', displayName: 'Parley' } as const;

/** The public channels created on first start. */
export const SEED_CHANNELS = [
  {
    title: 'general',
    welcome:
      'Welcome to #general! This is a public channel: anyone can join, read and write. Try replying to this message, reacting to it, or start a direct chat from the ✎ button.',
  },
  { title: 'random', welcome: 'Anything goes in #random. Drop an image here to see attachments at work.' },
] as const;

/**
 * Create the demo's public channels on first start (when no channel exists yet). Idempotent:
 * later starts find the channels and do nothing. Returns the titles created.
 */
export async function seedChannels(chat: Chat): Promise<string[]> {
  await chat.upsertUser({ ...SEED_USER, statusText: 'Demo host' });
  const parley = chat.as(SEED_USER.id);
  const existing = await parley.listChannels({ limit: 50 });
  const have = new Set(existing.items.map((c) => c.title));
  const created: string[] = [];
  for (const { title, welcome } of SEED_CHANNELS) {
    if (have.has(title)) continue;
    const channel = await parley.createChannel({ title, metadata: { seeded: true, description: welcome } });
    await parley.send({ conversationId: channel.id, clientId: `seed-${title}`, text: welcome });
    created.push(title);
  }
  return created;
}

/**
 * Greet a user who signed in for the first time: join them to the seeded channels and post a
 * system line in each, so a new user's inbox is not empty and others see who arrived.
 *
 * The line is the user's own action, so it is sent as the user: sending advances the sender's
 * read watermark, so the notice is unread for everyone else and never for the user themself
 * (written as the host user, every new user started with an unread badge per channel).
 */
export async function welcomeNewUser(chat: Chat, userId: string, displayName: string): Promise<void> {
  const parley = chat.as(SEED_USER.id);
  const channels = await parley.listChannels({ limit: 50 });
  for (const channel of channels.items) {
    if (channel.metadata.seeded !== true) continue;
    await chat.as(userId).join({ conversationId: channel.id });
    await chat.systemMessage({ conversationId: channel.id, senderId: userId, text: `👋 ${displayName} joined #${channel.title ?? ''}` });
  }
}
