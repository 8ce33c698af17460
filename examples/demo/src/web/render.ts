/**
 * A tiny DOM helper: `h('div.row', { onclick }, child, …)` builds elements; `patch(parent, …)`
 * replaces a container's children. No virtual DOM: views re-render their own container, and
 * long-lived elements (the composer's textarea) are kept and re-used so focus and input survive.
 */

/** What can be a child: nodes, text, nothing, or nested lists of those. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Element properties: event handlers (`on*`), `class`, `style` (object), `dataset`, attributes, DOM props. */
export type Props = {
  class?: string | Record<string, boolean> | undefined;
  style?: Record<string, string> | undefined;
  dataset?: Record<string, string> | undefined;
  ref?: ((el: HTMLElement) => void) | undefined;
} & { [key: string]: unknown };

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

function classOf(value: Props['class']): string {
  if (!value) return '';
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .filter(([, on]) => on)
    .map(([name]) => name)
    .join(' ');
}

/**
 * Create an element. `tag` may carry classes and an id: `'button.btn.primary#send'`.
 * Text is always inserted as text nodes, never parsed as HTML.
 */
export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement {
  const [, name = 'div', rest = ''] = /^([a-z0-9-]*)(.*)$/i.exec(tag) ?? [];
  const el = document.createElement(name || 'div');
  const classes = [...rest.matchAll(/\.([\w-]+)/g)].map((m) => m[1]!);
  const id = /#([\w-]+)/.exec(rest)?.[1];
  if (id) el.id = id;
  if (props) {
    const extra = classOf(props.class);
    if (extra) classes.push(...extra.split(/\s+/).filter(Boolean));
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class' || key === 'ref') continue;
      if (key === 'style') for (const [p, v] of Object.entries(value as Record<string, string>)) el.style.setProperty(p, v);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      else if (key in el && !key.includes('-') && key !== 'list' && key !== 'form') (el as unknown as Record<string, unknown>)[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  if (classes.length) el.className = classes.join(' ');
  for (const c of children) append(el, c);
  props?.ref?.(el);
  return el;
}

/** Replace the children of `parent` with `children`. */
export function patch(parent: Element, ...children: Child[]): void {
  const frag = document.createDocumentFragment();
  for (const c of children) append(frag, c);
  parent.replaceChildren(frag);
}

/**
 * Run a render and give the focus (and text selection) back to the element that had it, if the
 * render kept it. Views re-use long-lived elements (the composer's textarea, the search box) by
 * moving them into freshly built containers, and a node moved out of the document loses the
 * focus: without this every re-render (an incoming message, a receipt) would send the next
 * keystrokes, Enter included, to the page body.
 */
export function keepingFocus(render: () => void): void {
  const focused = document.activeElement;
  const keep = focused instanceof HTMLElement && focused !== document.body ? focused : null;
  const field = keep instanceof HTMLInputElement || keep instanceof HTMLTextAreaElement ? keep : null;
  const selection = field ? { start: field.selectionStart, end: field.selectionEnd, direction: field.selectionDirection } : null;
  render();
  if (!keep || !keep.isConnected || document.activeElement === keep) return;
  keep.focus({ preventScroll: true });
  if (field && selection && selection.start !== null && selection.end !== null) {
    try {
      field.setSelectionRange(selection.start, selection.end, selection.direction ?? undefined);
    } catch {
      /* input types without a selection */
    }
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Icon paths (24×24 viewBox, stroked). */
const ICONS: Record<string, string> = {
  search: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM21 21l-4.35-4.35',
  edit: 'M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z',
  users: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75',
  hash: 'M4 9h16M4 15h16M10 3 8 21M16 3l-2 18',
  phone:
    'M22 16.92v3a2 2 0 0 1-2.18 2 19.8 19.8 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.18 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.72c.13.96.36 1.9.7 2.81a2 2 0 0 1-.45 2.11L8.1 9.9a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45c.9.34 1.85.57 2.81.7A2 2 0 0 1 22 16.92z',
  video: 'M23 7l-7 5 7 5V7zM14 5H3a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2z',
  info: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 16v-4M12 8h.01',
  paperclip: 'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48',
  send: 'M22 2 11 13M22 2l-7 20-4-9-9-4z',
  reply: 'M9 17l-5-5 5-5M20 18v-2a4 4 0 0 0-4-4H4',
  smile: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01',
  trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6',
  flag: 'M4 22V4M4 4h13l-2 4 2 4H4',
  pencil: 'M17 3a2.8 2.8 0 0 1 4 4L7.5 20.5 2 22l1.5-5.5z',
  x: 'M18 6 6 18M6 6l12 12',
  plus: 'M12 5v14M5 12h14',
  bell: 'M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0',
  logout: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6',
  phoneOff: 'M23 1 1 23M16.5 16.5A16 16 0 0 1 7.5 7.5M10.7 13.3a16 16 0 0 0 3.4 2.6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.8.7a2 2 0 0 1 1.7 2v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1M5.2 13.1A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.4 2.1L8.1 9.9',
  back: 'M19 12H5M12 19l-7-7 7-7',
  check: 'M20 6 9 17l-5-5',
  more: 'M12 13a1 1 0 1 0 0-2 1 1 0 0 0 0 2zM19 13a1 1 0 1 0 0-2 1 1 0 0 0 0 2zM5 13a1 1 0 1 0 0-2 1 1 0 0 0 0 2z',
  download: 'M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M7 10l5 5 5-5M12 15V3',
  userPlus: 'M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M8.5 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM20 8v6M23 11h-6',
  clock: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 6v6l4 2',
};

/** An inline SVG icon by name. */
export function icon(name: keyof typeof ICONS | string, size = 20): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name] ?? '');
  svg.appendChild(path);
  return svg;
}
