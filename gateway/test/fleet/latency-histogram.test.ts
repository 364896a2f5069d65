import test from 'ava';
import { LatencyHistogram } from '../../src/app/fleet/latency-histogram.js';

test('percentiles of 1..100 ms: nearest rank, 1 ms buckets', (t) => {
  const h = new LatencyHistogram();
  for (let ms = 100; ms >= 1; ms--) h.add(ms);
  t.is(h.count, 100);
  t.is(h.percentile(0.5), 50);
  t.is(h.percentile(0.99), 99);
  t.is(h.percentile(1), 100);
  t.is(h.max, 100);
});

test('empty: no percentile; beyond 60 s: the overflow bucket reports the max', (t) => {
  const h = new LatencyHistogram();
  t.is(h.percentile(0.5), null);
  h.add(10);
  h.add(90_000);
  t.is(h.percentile(0.5), 10);
  t.is(h.percentile(0.99), 90_000);
});

test('negative latencies (clock skew between machines) count as 0 ms', (t) => {
  const h = new LatencyHistogram();
  h.add(-5);
  t.is(h.percentile(0.5), 0);
});
