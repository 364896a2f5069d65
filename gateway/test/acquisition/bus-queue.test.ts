import test from 'ava';
import { BusQueue } from '../../src/adapters/acquisition/bus-queue.js';

test('one transaction at a time, in order; high priority jumps the queue', async (t) => {
  const q = new BusQueue();
  let active = 0;
  let maxActive = 0;
  const order: string[] = [];
  const task = (name: string) => async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 5));
    order.push(name);
    active--;
    return name;
  };
  const all = [q.run(task('a')), q.run(task('b')), q.run(task('c')), q.run(task('w'), 'high')];
  t.deepEqual(await Promise.all(all), ['a', 'b', 'c', 'w']);
  t.is(maxActive, 1);
  t.deepEqual(order, ['a', 'w', 'b', 'c']);
  t.is(q.transactions, 4);
});

test('a failing transaction does not stop the queue', async (t) => {
  const q = new BusQueue();
  const bad = q.run(async () => {
    throw new Error('timeout');
  });
  const good = q.run(async () => 42);
  await t.throwsAsync(bad, { message: 'timeout' });
  t.is(await good, 42);
});

test('close waits for the transaction in flight and rejects the queued ones', async (t) => {
  const q = new BusQueue();
  let finished = false;
  const inFlight = q.run(async () => {
    await new Promise((r) => setTimeout(r, 20));
    finished = true;
  });
  const queued = q.run(async () => 1);
  await q.close();
  t.true(finished);
  await inFlight;
  await t.throwsAsync(queued, { message: /closed/ });
});
