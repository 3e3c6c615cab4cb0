import type { OutgoingRecord } from '../../record/outgoing-record.js';
import { slotKey } from '../../record/slot-key.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import { incrementSequence, ProducerIdentity, SequenceBook } from './sequence-book.js';

const MAX = 0x7fffffff;

describe('incrementSequence', () => {
  it('adds up to 2^31-1', () => {
    expect(incrementSequence(0, 0)).toBe(0);
    expect(incrementSequence(0, 1)).toBe(1);
    expect(incrementSequence(40, 3)).toBe(43);
    expect(incrementSequence(MAX - 5, 5)).toBe(MAX);
    expect(incrementSequence(0, MAX)).toBe(MAX);
  });

  it("wraps past 2^31-1 to 0, as Java's DefaultRecordBatch.incrementSequence does", () => {
    expect(incrementSequence(MAX, 1)).toBe(0);
    expect(incrementSequence(0x7ffffffe, 5)).toBe(3);
    expect(incrementSequence(MAX, MAX)).toBe(MAX - 1);
    expect(incrementSequence(1, MAX)).toBe(0);
  });

  it('is (base + increment) mod 2^31 for any base and increment in 0 … 2^31-1', () => {
    const values = [0, 1, 2, 7, 1000, 2 ** 30, MAX - 1000, MAX - 7, MAX - 2, MAX - 1, MAX];
    for (const base of values) {
      for (const increment of values) {
        expect(incrementSequence(base, increment)).toBe((base + increment) % 2 ** 31);
      }
    }
  });
});

/** A record batch of `count` records (only its count matters to the book). */
function batch(count: number): Promise<RecordBatch> {
  const records = Array.from({ length: count }, (_, i): OutgoingRecord => {
    const value = Buffer.from(`value ${i}`);
    return {
      topic: 't',
      keyValue: null,
      key: null,
      value,
      headers: {},
      timestamp: 1_700_000_000_000 + i,
      eventId: `e${i}`,
      size: value.length,
    };
  });
  return RecordBatch.encode(records);
}

describe('SequenceBook', () => {
  const A = slotKey('orders', 0);
  const B = slotKey('orders', 1);
  const C = slotKey('payments', 0);

  /** Numbers `b` for `slot` under `id` and returns its first sequence. */
  const seq = (book: SequenceBook, b: RecordBatch, slot: string, id: ProducerIdentity) =>
    book.number(b, slot, id).sequence;

  it("numbers a partition's first batch 0, each next one after the acked one's records", async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [three, one, five, two] = await Promise.all([3, 1, 5, 2].map(batch));
    expect(seq(book, three, A, id)).toBe(0);
    book.settle(three, A, 'acked');
    expect(seq(book, one, A, id)).toBe(3);
    book.settle(one, A, 'acked');
    expect(seq(book, five, A, id)).toBe(4);
    book.settle(five, A, 'acked');
    expect(seq(book, two, A, id)).toBe(9);
    book.settle(two, A, 'acked');
    expect(id.partitions.get(A)?.next).toBe(11);
  });

  it('numbers with the identity it is given, and says so', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(9_007_199_254_740_993n, 4);
    const b = await batch(2);
    const numbering = book.number(b, A, id);
    expect(numbering.identity).toBe(id);
    expect(numbering).toMatchObject({ sequence: 0 });
    expect([numbering.identity.producerId, numbering.identity.epoch]).toEqual([
      9_007_199_254_740_993n,
      4,
    ]);
  });

  it('gives a retry of the same batch the same numbers, whatever the earlier attempt got', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [first, second] = await Promise.all([batch(3), batch(4)]);
    expect(seq(book, first, A, id)).toBe(0);
    book.settle(first, A, 'acked');
    const numbering = book.number(second, A, id);
    expect(numbering.sequence).toBe(3);
    // Sent again before an answer, after a refusal, after an unknown outcome: the same.
    expect(book.number(second, A, id)).toBe(numbering);
    book.settle(second, A, 'refused');
    expect(book.number(second, A, id)).toBe(numbering);
    book.settle(second, A, 'in-doubt');
    expect(book.number(second, A, id)).toBe(numbering);
    // Even under another identity (another partition's batch took a new one meanwhile).
    expect(book.number(second, A, new ProducerIdentity(8n, 0))).toBe(numbering);
    book.settle(second, A, 'acked');
    expect(id.partitions.get(A)?.next).toBe(7);
  });

  it("leaves a refused batch's numbers the next batch's: a refusal wrote nothing", async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [first, refused, instead] = await Promise.all([batch(2), batch(5), batch(1)]);
    expect(seq(book, first, A, id)).toBe(0);
    book.settle(first, A, 'acked');
    expect(seq(book, refused, A, id)).toBe(2);
    book.settle(refused, A, 'refused');
    // The refused batch was given up (a fatal error): the next batch takes its place.
    expect(book.needsNewIdentity(instead, A, id)).toBe(false);
    expect(seq(book, instead, A, id)).toBe(2);
    book.settle(instead, A, 'acked');
    expect(id.partitions.get(A)?.next).toBe(3);
  });

  it('wants a new identity for another batch after one with an unknown outcome, not for that one', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [doubtful, next, elsewhere] = await Promise.all([batch(3), batch(1), batch(2)]);
    expect(book.needsNewIdentity(doubtful, A, id)).toBe(false);
    expect(seq(book, doubtful, A, id)).toBe(0);
    book.settle(doubtful, A, 'in-doubt');
    // Its retry may go out under its numbers; a different batch cannot know where to start.
    expect(book.needsNewIdentity(doubtful, A, id)).toBe(false);
    expect(book.needsNewIdentity(next, A, id)).toBe(true);
    // Other partitions are not in doubt.
    expect(book.needsNewIdentity(elsewhere, B, id)).toBe(false);
    // Under a new identity the next batch starts at 0.
    const fresh = new ProducerIdentity(8n, 0);
    expect(book.needsNewIdentity(next, A, fresh)).toBe(false);
    expect(seq(book, next, A, fresh)).toBe(0);
    book.settle(next, A, 'acked');
    expect(fresh.partitions.get(A)?.next).toBe(1);
  });

  it('clears the doubt once the batch of unknown outcome is acked (or refused for its numbering)', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [doubtful, next, other, after] = await Promise.all([3, 2, 1, 1].map(batch));
    expect(seq(book, doubtful, A, id)).toBe(0);
    book.settle(doubtful, A, 'in-doubt');
    // Refused on a retry (not leader): still unknown whether the first attempt was written.
    book.settle(doubtful, A, 'refused');
    expect(book.needsNewIdentity(next, A, id)).toBe(true);
    book.settle(doubtful, A, 'acked');
    expect(book.needsNewIdentity(next, A, id)).toBe(false);
    expect(seq(book, next, A, id)).toBe(3);

    expect(seq(book, other, B, id)).toBe(0);
    book.settle(other, B, 'in-doubt');
    expect(book.needsNewIdentity(after, B, id)).toBe(true);
    book.settle(other, B, 'renumber');
    // The doubt is gone; the batch itself is the one that needs a new identity now.
    expect(book.needsNewIdentity(after, B, id)).toBe(false);
    expect(book.needsNewIdentity(other, B, id)).toBe(true);
  });

  it('renumbers a batch the broker refused for its numbering, under a new identity only', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [first, refused, next] = await Promise.all([batch(4), batch(2), batch(3)]);
    expect(seq(book, first, A, id)).toBe(0);
    book.settle(first, A, 'acked');
    expect(seq(book, refused, A, id)).toBe(4);
    book.settle(refused, A, 'renumber');
    expect(book.needsNewIdentity(refused, A, id)).toBe(true);
    const fresh = new ProducerIdentity(8n, 0);
    expect(book.needsNewIdentity(refused, A, fresh)).toBe(false);
    const numbering = book.number(refused, A, fresh);
    expect(numbering.identity).toBe(fresh);
    expect(numbering.sequence).toBe(0);
    // Numbered again, it is a batch like any other: its retries keep the new numbers.
    expect(book.needsNewIdentity(refused, A, fresh)).toBe(false);
    expect(book.number(refused, A, fresh)).toBe(numbering);
    book.settle(refused, A, 'acked');
    expect(seq(book, next, A, fresh)).toBe(2);
    // The old identity's numbering of the partition is left as it was.
    expect(id.partitions.get(A)?.next).toBe(4);
  });

  it('keeps each topic-partition apart', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const send = async (slot: string, count: number, outcome: 'acked' | 'refused') => {
      const b = await batch(count);
      const sequence = seq(book, b, slot, id);
      book.settle(b, slot, outcome);
      return sequence;
    };
    expect(await send(A, 3, 'acked')).toBe(0);
    expect(await send(B, 2, 'acked')).toBe(0);
    expect(await send(A, 4, 'refused')).toBe(3);
    expect(await send(C, 1, 'acked')).toBe(0);
    expect(await send(B, 1, 'acked')).toBe(2);
    expect(await send(A, 2, 'acked')).toBe(3);
    expect(await send(C, 1, 'acked')).toBe(1);
    expect(await send(A, 1, 'acked')).toBe(5);
    expect(await send(B, 1, 'acked')).toBe(3);
  });

  it('starts every partition from 0 under each identity', async () => {
    const book = new SequenceBook();
    const one = new ProducerIdentity(7n, 0);
    const two = new ProducerIdentity(7n, 1);
    const [a, b, c] = await Promise.all([batch(3), batch(2), batch(1)]);
    expect(seq(book, a, A, one)).toBe(0);
    book.settle(a, A, 'acked');
    expect(seq(book, b, A, two)).toBe(0);
    book.settle(b, A, 'acked');
    expect(seq(book, c, A, one)).toBe(3);
    book.settle(c, A, 'acked');
    expect([one.partitions.get(A)?.next, two.partitions.get(A)?.next]).toEqual([4, 2]);
  });

  it('wraps record sequence numbers past 2^31-1 to 0, as Java does', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    // White-box: the partition after 2^31-3 records (too many to make here).
    id.partitions.set(A, { next: MAX - 2 });
    const [five, one] = await Promise.all([batch(5), batch(1)]);
    expect(seq(book, five, A, id)).toBe(MAX - 2);
    book.settle(five, A, 'acked');
    // MAX-2, MAX-1, MAX, 0, 1: the next starts at 2.
    expect(seq(book, one, A, id)).toBe(2);

    const exact = new ProducerIdentity(8n, 0);
    exact.partitions.set(A, { next: MAX });
    const [last, after] = await Promise.all([batch(1), batch(1)]);
    expect(seq(book, last, A, exact)).toBe(MAX);
    book.settle(last, A, 'acked');
    expect(seq(book, after, A, exact)).toBe(0);
  });

  it('ignores the outcome of a batch it never numbered', async () => {
    const book = new SequenceBook();
    const id = new ProducerIdentity(7n, 0);
    const [stranger, b] = await Promise.all([batch(3), batch(1)]);
    book.settle(stranger, A, 'acked');
    book.settle(stranger, A, 'in-doubt');
    expect(book.needsNewIdentity(b, A, id)).toBe(false);
    expect(seq(book, b, A, id)).toBe(0);
  });
});
