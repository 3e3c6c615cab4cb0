import type { CellSpec } from './types.js';

/**
 * Empty when the broker's count agrees with the acks: equal, or for transactional runs
 * (whose logs also hold one commit marker per partition per transaction) at least the acks
 * and at most the acks plus a marker per partition for each transaction (and one more).
 */
export function verifyCount(spec: CellSpec, onBroker: number, acked: number): string {
  const holds = `the broker holds ${onBroker} offsets, the peer acked ${acked}`;
  if (!spec.transactional) return onBroker === acked ? '' : holds;
  const markers = (Math.ceil(acked / spec.batch) + 1) * spec.partitions;
  if (onBroker >= acked && onBroker <= acked + markers) return '';
  return `${holds} (at most ${markers} commit markers expected)`;
}
