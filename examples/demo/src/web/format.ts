/** Formatting helpers for the page: times, sizes, initials, colours. */

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" today, "Yesterday", "Mon" this week, else "12 Mar". */
export function shortTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (ms >= startOfToday) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (ms >= startOfToday - 86_400_000) return 'Yesterday';
  if (ms >= startOfToday - 6 * 86_400_000) return d.toLocaleDateString(undefined, { weekday: 'short' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** "14:05". */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "Today", "Yesterday", "Monday, 12 March". */
export function dayLabel(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const t = new Date(now);
  const start = new Date(t.getFullYear(), t.getMonth(), t.getDate()).getTime();
  if (ms >= start) return 'Today';
  if (ms >= start - 86_400_000) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
}

/** Key of the local day of a timestamp (to insert day separators). */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "last seen just now", "last seen 5 min ago", "last seen today at 14:05", "last seen 12 Mar". */
export function lastSeen(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'offline';
  const diff = now - ms;
  if (diff < 60_000) return 'last seen just now';
  if (diff < 3_600_000) return `last seen ${Math.floor(diff / 60_000)} min ago`;
  const label = dayLabel(ms, now);
  if (label === 'Today' || label === 'Yesterday') return `last seen ${label.toLowerCase()} at ${clockTime(ms)}`;
  return `last seen ${shortTime(ms, now)}`;
}

/** "2:13", "1:02:03". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh > 0 ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

/** "12 KB", "3.4 MB". */
export function fileSize(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

/** One or two letters for an avatar. */
export function initials(name: string): string {
  const words = name.replace(/^#/, '').trim().split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? '?')][0] ?? '?';
  const second = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + second).toUpperCase();
}

const PALETTE = ['#e8590c', '#2f9e44', '#1971c2', '#9c36b5', '#c2255c', '#0c8599', '#f08c00', '#5f3dc4', '#e03131', '#087f5b'];

/** A stable avatar colour for an id. */
export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
