import { OrderingGate } from './ordering-gate.js';

describe('OrderingGate', () => {
  it('runs appends in ticket order whatever order they become ready in', async () => {
    const gate = new OrderingGate();
    const order: number[] = [];
    const tickets = [gate.take(), gate.take(), gate.take(), gate.take()];
    const append = (n: number) => () => {
      order.push(n);
      return Promise.resolve(n);
    };
    const runs = [gate.run(tickets[2], append(2)), gate.run(tickets[1], append(1))];
    expect(order).toEqual([]);
    gate.skip(tickets[3]);
    runs.push(gate.run(tickets[0], append(0)));
    expect(await Promise.all(runs)).toEqual([2, 1, 0]);
    expect(order).toEqual([0, 1, 2]);
    const after = gate.take();
    await gate.run(after, append(4));
    expect(order).toEqual([0, 1, 2, 4]);
  });

  it('a skipped ticket lets the later ones through, and a throwing append rejects only its caller', async () => {
    const gate = new OrderingGate();
    const [a, b, c] = [gate.take(), gate.take(), gate.take()];
    const late = gate.run(c, () => Promise.resolve('c'));
    const failing = gate.run(b, () => {
      throw new Error('bad');
    });
    gate.skip(a);
    await expect(failing).rejects.toThrow('bad');
    await expect(late).resolves.toBe('c');
  });
});
