/** The message composer: text, reply/edit bar, attachments (button, drag & drop, paste) and typing signals. */
import type { Attachment, InboxEntry, MessageKind } from '@parley/protocol';
import { uploadFile } from './api.js';
import type { App } from './app.js';
import { summaryOf } from './message.js';
import { h, icon } from './render.js';

const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,text/markdown,application/json,application/zip,audio/*,video/mp4,video/webm,video/quicktime';
const drafts = new Map<string, string>();
let textarea: HTMLTextAreaElement | undefined;
let fileInput: HTMLInputElement | undefined;
let draftFor: string | null = null;
let lastTyping = 0;
let uploading = 0;

function kindOf(a: Attachment): Exclude<MessageKind, 'call' | 'system' | 'text'> {
  if (a.mime.startsWith('image/')) return 'image';
  if (a.mime.startsWith('video/')) return 'video';
  if (a.mime.startsWith('audio/')) return 'audio';
  return 'file';
}

/** Upload files and send each as a message in the conversation. */
export async function sendFiles(app: App, conversationId: string, files: readonly File[]): Promise<void> {
  for (const file of files) {
    uploading++;
    app.render();
    try {
      const attachment = await uploadFile(app.state.session.token, file);
      const replyTo = app.state.replyTo?.seq ?? undefined;
      app.state.replyTo = null;
      app.client.send({ conversationId, kind: kindOf(attachment), attachments: [attachment], ...(replyTo ? { replyTo } : {}) });
    } catch (error) {
      app.toast(`${file.name}: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      uploading--;
      app.render();
    }
  }
}

function submit(app: App, conversationId: string): void {
  const ta = textarea!;
  const text = ta.value.trim();
  const { state, client } = app;
  if (state.editing) {
    const target = state.editing;
    state.editing = null;
    ta.value = '';
    drafts.delete(conversationId);
    app.render();
    if (text && text !== target.text && target.seq !== null) {
      void app.run(() => client.api.edit({ conversationId, seq: target.seq!, text }));
    }
    return;
  }
  if (!text) return;
  const replyTo = state.replyTo?.seq ?? undefined;
  client.send({ conversationId, text, ...(replyTo ? { replyTo } : {}) });
  state.replyTo = null;
  ta.value = '';
  drafts.delete(conversationId);
  autosize(ta);
  if (lastTyping) {
    lastTyping = 0;
    void client.setTyping(conversationId, false).catch(() => {});
  }
  app.render();
}

function autosize(ta: HTMLTextAreaElement): void {
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(160, ta.scrollHeight)}px`;
}

/** Render the composer for a conversation (the textarea element is kept across renders). */
export function renderComposer(app: App, entry: InboxEntry): HTMLElement {
  const id = entry.conversation.id;
  const { state } = app;
  if (!textarea) {
    textarea = h('textarea', {
      rows: 1,
      placeholder: 'Write a message…',
      'aria-label': 'Message',
      maxLength: 4096,
      oninput: () => {
        const cid = draftFor;
        if (!cid || !textarea) return;
        drafts.set(cid, textarea.value);
        autosize(textarea);
        const now = Date.now();
        if (textarea.value.trim() && now - lastTyping > 2500) {
          lastTyping = now;
          void app.client.setTyping(cid, true).catch(() => {});
        }
      },
      onkeydown: (e: KeyboardEvent) => {
        if (!draftFor) return;
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          submit(app, draftFor);
        } else if (e.key === 'Escape' && (state.replyTo || state.editing)) {
          if (state.editing) textarea!.value = drafts.get(draftFor) ?? '';
          state.replyTo = null;
          state.editing = null;
          app.render();
        }
      },
      onpaste: (e: ClipboardEvent) => {
        const files = [...(e.clipboardData?.files ?? [])];
        if (files.length > 0 && draftFor) {
          e.preventDefault();
          void sendFiles(app, draftFor, files);
        }
      },
    }) as HTMLTextAreaElement;
    fileInput = h('input', {
      type: 'file',
      multiple: true,
      accept: ACCEPT,
      hidden: true,
      dataset: { test: 'file-input' },
      onchange: () => {
        const files = [...(fileInput!.files ?? [])];
        fileInput!.value = '';
        if (draftFor && files.length > 0) void sendFiles(app, draftFor, files);
      },
    }) as HTMLInputElement;
  }
  if (draftFor !== id) {
    textarea.value = drafts.get(id) ?? '';
    draftFor = id;
    queueMicrotask(() => textarea && autosize(textarea));
  }

  const bar = state.editing
    ? h(
        'div.compose-bar.editing',
        null,
        icon('pencil', 16),
        h('span.compose-bar-text', null, h('b', null, 'Edit message'), h('span', null, summaryOf(state.editing))),
        h('button.icon-btn.small', { title: 'Cancel', 'aria-label': 'Cancel edit', onclick: () => ((textarea!.value = drafts.get(id) ?? ''), (state.editing = null), app.render()) }, icon('x', 16)),
      )
    : state.replyTo
      ? h(
          'div.compose-bar',
          { dataset: { test: 'reply-bar' } },
          icon('reply', 16),
          h('span.compose-bar-text', null, h('b', null, `Reply to ${state.replyTo.senderId === app.me ? 'yourself' : app.users.name(state.replyTo.senderId)}`), h('span', null, summaryOf(state.replyTo))),
          h('button.icon-btn.small', { title: 'Cancel', 'aria-label': 'Cancel reply', onclick: () => ((state.replyTo = null), app.render()) }, icon('x', 16)),
        )
      : null;

  return h(
    'footer.composer',
    {
      ondragover: (e: DragEvent) => e.preventDefault(),
      ondrop: (e: DragEvent) => {
        e.preventDefault();
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0) void sendFiles(app, id, files);
      },
    },
    bar,
    uploading > 0 ? h('div.uploading', null, h('span.spinner'), `Uploading ${uploading} file${uploading > 1 ? 's' : ''}…`) : null,
    h(
      'div.compose-row',
      null,
      h('button.icon-btn', { title: 'Attach a file', 'aria-label': 'Attach a file', onclick: () => fileInput!.click() }, icon('paperclip')),
      fileInput,
      h('div.compose-input', null, textarea),
      h('button.send-btn', { title: state.editing ? 'Save' : 'Send', 'aria-label': state.editing ? 'Save' : 'Send', dataset: { test: 'send' }, onclick: () => submit(app, id) }, icon(state.editing ? 'check' : 'send')),
    ),
  );
}
