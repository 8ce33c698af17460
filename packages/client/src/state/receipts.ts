import type { Receipt } from '@parley/protocol';

/** Delivery state of one of the user's own messages. */
export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** How far one of the user's own messages got, aggregated over the other members. */
export interface ReceiptSummary {
  /** `read` when every other member read it, `delivered` when every one received it, else `sent`. */
  status: 'sent' | 'delivered' | 'read';
  /** Other members whose device received it. */
  delivered: number;
  /** Other members who read it. */
  read: number;
  /** Other current members. */
  recipients: number;
}

/**
 * Aggregate the watermarks of the other members for the message at `seq` sent by `me`. With no
 * other members (or receipts not loaded yet) the message is `sent`.
 */
export function summarize(seq: number, me: string, receipts: Iterable<Receipt>): ReceiptSummary {
  let delivered = 0;
  let read = 0;
  let recipients = 0;
  for (const r of receipts) {
    if (r.userId === me) continue;
    recipients++;
    if (r.readSeq >= seq) read++;
    if (r.deliveredSeq >= seq || r.readSeq >= seq) delivered++;
  }
  const status = recipients > 0 && read === recipients ? 'read' : recipients > 0 && delivered === recipients ? 'delivered' : 'sent';
  return { status, delivered, read, recipients };
}

/** Move a watermark pair forward only: the result never has a smaller seq than `current`. */
export function mergeReceipt(current: Receipt | undefined, next: Receipt): Receipt {
  if (!current) return { ...next, deliveredSeq: Math.max(next.deliveredSeq, next.readSeq) };
  const readSeq = Math.max(current.readSeq, next.readSeq);
  const deliveredSeq = Math.max(current.deliveredSeq, next.deliveredSeq, readSeq);
  if (readSeq === current.readSeq && deliveredSeq === current.deliveredSeq) return current;
  return { ...current, readSeq, deliveredSeq };
}
