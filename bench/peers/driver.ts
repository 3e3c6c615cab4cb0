import type { CellSpec } from '../support/types.js';

/**
 * One peer opened for one cell. Record `i` is always the same record (same key, same bytes)
 * whatever the peer, so peers differ only in how they send.
 */
export interface Driver {
  /**
   * Sends record i alone; resolves once it is acked as the cell's acks ask. Returns the
   * client's own promise (no async wrapper), so the harness adds no per-send frame (W3 holds
   * tens of thousands of sends at once).
   */
  sendOne(i: number): Promise<unknown>;
  /** Sends records from..from+count-1 in one call; resolves once all are acked. */
  sendBatch(from: number, count: number): Promise<void>;
  close(): Promise<void>;
}

export type DriverFactory = (spec: CellSpec) => Promise<Driver>;

/** Thrown by a factory when the peer cannot run this cell (the row is then reported skipped). */
export class SkipCell extends Error {
  override readonly name = 'SkipCell';
}

export const CLIENT_ID = 'bench';
