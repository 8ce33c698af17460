import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

/** A function that names a table of the store, qualified with the configured Postgres schema. */
export type TableRef = (name: string) => RawBuilder<unknown>;

/** Valid unquoted-or-quoted schema names we accept (letters, digits, underscore; no quoting games). */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Check a schema name given by the host app; throws on anything unusual. */
export function checkSchemaName(schema: string | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid Postgres schema name: ${JSON.stringify(schema)}`);
  return schema;
}

/** Build the table-naming function for a schema (the connection's search_path when undefined). */
export function tableRef(schema: string | undefined): TableRef {
  const checked = checkSchemaName(schema);
  return (name) => (checked === undefined ? sql.table(name) : sql.table(`${checked}.${name}`));
}

/** Event `type` values as stored (a smallint keeps every event row two bytes wide here). */
export const EVENT_TYPE_CODES = {
  'conversation.created': 0,
  message: 1,
  'message.edited': 2,
  'message.deleted': 3,
  'message.reaction': 4,
  'message.pinned': 5,
  'member.joined': 6,
  'member.left': 7,
  'member.role': 8,
  'conversation.updated': 9,
  call: 10,
  moderation: 11,
} as const;

/** The code of `message` events. */
export const MESSAGE_TYPE = EVENT_TYPE_CODES.message;

/** Codes of the events that mutate an earlier message (left out of timeline reads). */
export const MUTATION_TYPES = [
  EVENT_TYPE_CODES['message.edited'],
  EVENT_TYPE_CODES['message.deleted'],
  EVENT_TYPE_CODES['message.reaction'],
  EVENT_TYPE_CODES['message.pinned'],
];

/** Event type by stored code. */
export const EVENT_TYPE_NAMES: Record<number, keyof typeof EVENT_TYPE_CODES> = Object.fromEntries(
  Object.entries(EVENT_TYPE_CODES).map(([name, code]) => [code, name]),
) as Record<number, keyof typeof EVENT_TYPE_CODES>;
