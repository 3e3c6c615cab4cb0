import { OutboxStoreMessages } from './outbox-store.messages.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A table or schema name, checked (letters, digits, `_`; at most 63 characters, PostgreSQL's
 * limit) and double-quoted for SQL. Names come from configuration, never from input, but a
 * strict check keeps them out of reach of SQL injection all the same.
 */
export function quoteIdentifier(what: string, name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new TypeError(OutboxStoreMessages.invalidIdentifier(what, String(name)));
  }
  return `"${name}"`;
}
