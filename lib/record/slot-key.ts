/** Topic-partition keys, built once per partition: every send looks its queue up by one. */
const slotKeys = new Map<string, string[]>();
const MAX_CACHED_TOPICS = 10_000;

/**
 * The key of a topic-partition in the module's maps (accumulator queues, base offsets,
 * sequence numbers): the same string object each time for a topic seen before.
 */
export function slotKey(topic: string, partition: number): string {
  let keys = slotKeys.get(topic);
  if (!keys) {
    keys = [];
    if (slotKeys.size < MAX_CACHED_TOPICS) slotKeys.set(topic, keys);
  }
  return (keys[partition] ??= `${topic}\0${partition}`);
}
