import type { InboxEntry, Message } from '@parley/protocol';
import { createClient, type ClientOptions, type ParleyClient } from '@parley/client';

/** Decides what the bot answers to a message; return null to stay silent. */
export type Responder = (message: Message) => string | null | Promise<string | null>;

/** Options of {@link startBot}: the client's connection options plus the responder. */
export type BotOptions = Pick<ClientOptions, 'url' | 'token' | 'getToken' | 'WebSocket'> & { respond: Responder };

/** A running bot. */
export interface Bot {
  client: ParleyClient;
  /** How many messages the bot has answered. */
  readonly answered: number;
  stop(): void;
}

/** A small default responder: echoes, tells the time, or explains itself. */
export const defaultResponder: Responder = (message) => {
  const text = message.text?.trim() ?? '';
  if (text === '') return null;
  if (/^\/time\b/i.test(text)) return `It is ${new Date().toISOString()}.`;
  if (/^\/help\b/i.test(text)) return 'I answer /time, /help, and echo anything else.';
  return `You said: ${text}`;
};

/**
 * A Node bot on the client SDK. Its read watermark is its cursor: whenever the inbox shows unread
 * messages in a conversation, it reads the messages after its `readSeq`, answers those from
 * others (as replies) and marks them read. Messages that arrived while it was offline show up as
 * unread after the SDK's resume, and a message it has marked read is never answered again, even
 * across restarts.
 */
export function startBot(options: BotOptions): Bot {
  const client = createClient({ url: options.url, token: options.token, getToken: options.getToken, WebSocket: options.WebSocket, window: null });
  let answered = 0;
  const busy = new Set<string>();

  const work = async (entry: InboxEntry) => {
    const me = client.connection.getSnapshot().userId;
    let after = entry.member.readSeq;
    for (;;) {
      const page = await client.api.history({ conversationId: entry.conversation.id, after, limit: 50 });
      for (const event of page.events) {
        after = event.seq;
        if (event.type !== 'message' || event.message.senderId === me || event.message.kind === 'call' || event.message.kind === 'system') continue;
        const reply = await options.respond(event.message);
        if (reply !== null) {
          await client.send({ conversationId: entry.conversation.id, text: reply, replyTo: event.seq }).message;
          answered += 1;
        }
        await client.api.markRead({ conversationId: entry.conversation.id, seq: event.seq });
      }
      if (!page.hasMore) return;
    }
  };

  const scan = () => {
    if (client.connection.getSnapshot().state !== 'ready') return;
    for (const entry of client.inbox.getSnapshot().items) {
      const id = entry.conversation.id;
      if (entry.unread === 0 || busy.has(id)) continue;
      busy.add(id);
      void work(entry)
        .catch(() => {
          // the SDK reconnects; the next inbox change retries from the read watermark
        })
        .finally(() => {
          busy.delete(id);
          scan();
        });
    }
  };
  const unsubscribe = client.inbox.subscribe(scan);
  client.on('ready', scan);
  return {
    client,
    get answered() {
      return answered;
    },
    stop() {
      unsubscribe();
      client.off('ready', scan);
      client.close();
    },
  };
}
