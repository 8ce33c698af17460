/** Round avatars with initials and an optional online dot. */
import { colorFor, initials } from './format.js';
import { h } from './render.js';

/** An avatar for a user or conversation. `online`: true shows the green dot. */
export function avatar(id: string, name: string, options: { size?: number; online?: boolean; kind?: 'direct' | 'group' | 'channel' } = {}): HTMLElement {
  const size = options.size ?? 44;
  const label = options.kind === 'channel' ? '#' : initials(name);
  return h(
    'span.avatar',
    {
      class: { channel: options.kind === 'channel', group: options.kind === 'group' },
      style: { '--size': `${size}px`, '--bg': colorFor(id) },
      'aria-hidden': 'true',
    },
    h('span.avatar-text', null, label),
    options.online ? h('span.online-dot', { title: 'online' }) : null,
  );
}
