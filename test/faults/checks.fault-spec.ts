import { computeReport, parseEvent, reportLine, type SendRecord } from './support/checks.js';

/** Self-test of the lost / duplicated / reordered / hung computation (no broker needed). */
describe('fault checks: the computation of lost, duplicated, reordered and hung', () => {
  const t0 = 1_000_000;
  const sent = (
    id: string,
    key: string,
    seq: number,
    status: SendRecord['status'],
    tookMs?: number,
    report?: { partition: number; offset: string },
  ): SendRecord => ({
    value: { id, key, seq },
    startedAt: t0,
    settledAt: tookMs === undefined ? undefined : t0 + tookMs,
    status,
    report,
    error: status === 'rejected' ? new RangeError('x') : undefined,
  });
  const stored = (id: string, key: string, seq: number, partition: number, offset: number) => ({
    partition,
    offset: String(offset),
    value: { id, key, seq },
  });

  it('counts an acked record missing from the topic as lost, a rejected one not', () => {
    const r = computeReport(
      'T',
      [
        sent('a', 'k', 0, 'acked', 5),
        sent('b', 'k', 1, 'acked', 5),
        sent('c', 'k', 2, 'rejected', 5),
      ],
      [stored('a', 'k', 0, 0, 0)],
      1000,
      t0 + 10,
    );
    expect(r).toMatchObject({ sent: 3, acked: 2, rejected: 1, lost: 1, found: 1, hung: 0 });
    expect(r.errors).toEqual({ RangeError: 1 });
    expect(reportLine(r)).toBe('T 3 2 1 0 0 0');
  });

  it('counts extra copies as duplicated and not again as reordered; rejected-but-stored is reported', () => {
    const r = computeReport(
      'T',
      [
        sent('a', 'k', 0, 'acked', 5),
        sent('b', 'k', 1, 'rejected', 5),
        sent('c', 'k', 2, 'acked', 5),
      ],
      [
        stored('a', 'k', 0, 1, 0),
        stored('b', 'k', 1, 1, 1),
        stored('a', 'k', 0, 1, 2),
        stored('b', 'k', 1, 1, 3),
        stored('c', 'k', 2, 1, 4),
      ],
      1000,
      t0 + 10,
    );
    expect(r).toMatchObject({ lost: 0, duplicated: 2, reordered: 0, rejectedButStored: 1 });
  });

  it('counts, per key, first copies whose seq does not increase with the offset', () => {
    const r = computeReport(
      'T',
      ['a', 'b', 'c', 'd'].map((id, i) => sent(id, i < 3 ? 'k' : 'j', i, 'acked', 5)),
      [
        stored('b', 'k', 1, 0, 10),
        stored('a', 'k', 0, 0, 11), // after b: reordered
        stored('c', 'k', 2, 0, 12),
        stored('d', 'j', 3, 2, 0),
      ],
      1000,
      t0 + 10,
    );
    expect(r).toMatchObject({ reordered: 1, lost: 0, duplicated: 0, splitKeys: 0 });
  });

  it('orders offsets numerically (int64 strings), not as text', () => {
    const r = computeReport(
      'T',
      [sent('a', 'k', 0, 'acked', 5), sent('b', 'k', 1, 'acked', 5)],
      [stored('a', 'k', 0, 0, 9), stored('b', 'k', 1, 0, 10)],
      1000,
      t0 + 10,
    );
    expect(r.reordered).toBe(0);
  });

  it('counts a send with no answer past the bound, or an answer later than it, as hung', () => {
    const r = computeReport(
      'T',
      [
        sent('a', 'k', 0, 'pending'),
        sent('b', 'k', 1, 'rejected', 1500),
        sent('c', 'k', 2, 'acked', 999),
      ],
      [stored('c', 'k', 2, 0, 0)],
      1000,
      t0 + 2000,
    );
    expect(r).toMatchObject({ hung: 2, acked: 1, rejected: 1, maxSettleMs: 1500 });
    // Still pending but within the bound: not (yet) hung.
    expect(computeReport('T', [sent('a', 'k', 0, 'pending')], [], 1000, t0 + 500).hung).toBe(0);
  });

  it('checks acked reports against where the record is, and flags foreign records and split keys', () => {
    const r = computeReport(
      'T',
      [
        sent('a', 'k', 0, 'acked', 5, { partition: 0, offset: '0' }),
        sent('b', 'k', 1, 'acked', 5, { partition: 0, offset: '7' }),
        sent('c', 'k', 2, 'acked', 5, { partition: 0, offset: '-1' }),
      ],
      [
        stored('a', 'k', 0, 0, 0),
        stored('b', 'k', 1, 0, 1),
        stored('c', 'k', 2, 1, 0),
        { partition: 2, offset: '0', value: undefined },
      ],
      1000,
      t0 + 10,
    );
    expect(r).toMatchObject({ misreported: 2, foreign: 1, splitKeys: 1, lost: 0 });
    // With acks 0 the broker names no offset: -1 is what the report must say.
    const zero = computeReport(
      'T',
      [sent('c', 'k', 2, 'acked', 5, { partition: 1, offset: '-1' })],
      [stored('c', 'k', 2, 1, 0)],
      1000,
      t0 + 10,
      { acksZero: true },
    );
    expect(zero.misreported).toBe(0);
  });

  it('parses only fault-test event values', () => {
    expect(parseEvent(Buffer.from('{"id":"a","key":"k","seq":3}'))).toEqual({
      id: 'a',
      key: 'k',
      seq: 3,
    });
    expect(parseEvent(Buffer.from('{"id":"a"}'))).toBeUndefined();
    expect(parseEvent(Buffer.from('nope'))).toBeUndefined();
    expect(parseEvent(null)).toBeUndefined();
  });
});
