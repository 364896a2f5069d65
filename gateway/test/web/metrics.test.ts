/**
 * /metrics: Prometheus text format, parsed by parse-prometheus-text-format and checked line by line
 * against the exposition grammar; names, types, labels and values come from the gateway's state.
 */
import test from 'ava';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { API_TOKEN, METRICS_TOKEN, fakeHost, fakeStatus, http, startFakeConsole } from './helpers.js';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = '\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")*,?)?\\}';
const VALUE = '(?:[-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|\\.\\d+)|NaN|[-+]Inf)';
const SAMPLE = new RegExp(`^(${NAME})(${LABELS})? ${VALUE}(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

/** Strict reading of the text format: every line well formed, TYPE once per family and before its samples. */
function strictCheck(text: string): Map<string, string> {
  const types = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    let m: RegExpExecArray | null;
    if ((m = TYPE.exec(line))) {
      if (types.has(m[1]!)) throw new Error(`line ${i + 1}: second TYPE for ${m[1]}`);
      types.set(m[1]!, m[2]!);
    } else if (HELP.test(line) || line === '') {
      // Blank lines are allowed between families.
      continue;
    } else if ((m = SAMPLE.exec(line))) {
      const name = m[1]!;
      const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => types.has(n));
      if (!family) throw new Error(`line ${i + 1}: sample ${name} before its TYPE`);
    } else {
      throw new Error(`line ${i + 1} is not Prometheus text format: ${JSON.stringify(line)}`);
    }
  }
  return types;
}

function family(fams: ParsedFamily[], name: string): ParsedFamily {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no metric ${name}`);
  return f;
}

function value(fams: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const f = family(fams, name);
  const s = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v) && Object.keys(m.labels ?? {}).length === Object.keys(labels).length);
  if (!s) throw new Error(`no sample ${name}${JSON.stringify(labels)} in ${JSON.stringify(f.metrics)}`);
  return Number(s.value);
}

test('metrics parse as Prometheus text and carry the bus, meter, outbox, MQTT, relay and credit numbers', async (t) => {
  const host = fakeHost();
  const { url } = await startFakeConsole(t, { host });
  const [obs] = [...host.observers];
  const ts = Date.UTC(2026, 0, 5, 12);
  const health = fakeStatus().meters[0]!;
  for (const ms of [8, 12, 30, 700]) obs!.reading!({ meter: 'm1', ts, values: { power: 100, energyImport: 5 } }, { ...health, lastLatencyMs: ms });
  obs!.event!({ ts, type: 'tripped', meter: 'm1', data: { cause: 'credit-exhausted', readback: 'disconnected' } });
  obs!.event!({ ts, type: 'relay-closed', meter: 'm1', data: { cause: 'technician:tech', readback: 'connected' } });
  obs!.event!({ ts, type: 'relay-closed', meter: 'm1', data: { cause: 'credit-restored', readback: 'connected' } });
  obs!.event!({ ts, type: 'relay-mismatch', meter: 'm1', data: { target: 'disconnected' } });
  obs!.event!({ ts, type: 'low-credit', meter: 'm1', data: { index: 0 } });
  obs!.event!({ ts, type: 'low-credit', meter: 'm1', data: { index: 1 } });
  obs!.event!({ ts, type: 'disconnect-scheduled', meter: 'm1', data: {} });
  obs!.event!({ ts, type: 'comm-lost', meter: 'm2', data: {} });

  const r = await http(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.is(r.status, 200);
  t.regex(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const types = strictCheck(r.text);
  const fams = parsePrometheusTextFormat(r.text);

  const expected: Record<string, string> = {
    prepaid_bus_transactions_total: 'counter',
    prepaid_bus_queue_depth: 'gauge',
    prepaid_bus_errors_total: 'counter',
    prepaid_meter_errors_total: 'counter',
    prepaid_meter_polls_total: 'counter',
    prepaid_meter_up: 'gauge',
    prepaid_meter_last_seen_timestamp_seconds: 'gauge',
    prepaid_poll_latency_seconds: 'histogram',
    prepaid_outbox_readings: 'gauge',
    prepaid_outbox_bytes: 'gauge',
    prepaid_outbox_events: 'gauge',
    prepaid_outbox_dropped_total: 'counter',
    prepaid_mqtt_connected: 'gauge',
    prepaid_mqtt_inflight: 'gauge',
    prepaid_mqtt_connects_total: 'counter',
    prepaid_mqtt_reconnects_total: 'counter',
    prepaid_mqtt_published_total: 'counter',
    prepaid_relay_actions_total: 'counter',
    prepaid_credit_events_total: 'counter',
    prepaid_console_logins_total: 'counter',
    prepaid_gateway_info: 'gauge',
    prepaid_gateway_uptime_seconds: 'gauge',
  };
  for (const [name, type] of Object.entries(expected)) {
    t.is(types.get(name), type, name);
    t.is(family(fams, name).type, type.toUpperCase() as ParsedFamily['type'], name);
    t.true(family(fams, name).help.length > 10, `${name} has help`);
  }
  t.true([...types.keys()].some((n) => n.startsWith('prepaid_gateway_process_')), 'process metrics');

  t.is(value(fams, 'prepaid_bus_transactions_total', { bus: 'b1' }), 120);
  t.is(value(fams, 'prepaid_bus_transactions_total', { bus: 'rs1' }), 40);
  t.is(value(fams, 'prepaid_bus_queue_depth', { bus: 'b1' }), 1);
  t.is(value(fams, 'prepaid_bus_errors_total', { bus: 'rs1', code: 'E_MODBUS_CRC' }), 3);
  t.is(value(fams, 'prepaid_bus_errors_total', { bus: 'rs1', code: 'E_MODBUS_TIMEOUT' }), 17);
  t.is(value(fams, 'prepaid_meter_errors_total', { meter: 'm2', bus: 'rs1', code: 'E_MODBUS_TIMEOUT' }), 17);
  t.is(value(fams, 'prepaid_meter_polls_total', { meter: 'm1', bus: 'b1', result: 'ok' }), 58);
  t.is(value(fams, 'prepaid_meter_polls_total', { meter: 'm1', bus: 'b1', result: 'failed' }), 2);
  t.is(value(fams, 'prepaid_meter_up', { meter: 'm1', bus: 'b1' }), 1);
  t.is(value(fams, 'prepaid_meter_up', { meter: 'm2', bus: 'rs1' }), 0);
  t.is(value(fams, 'prepaid_meter_last_seen_timestamp_seconds', { meter: 'm1', bus: 'b1' }), (ts - 1000) / 1000);
  t.false(family(fams, 'prepaid_meter_last_seen_timestamp_seconds').metrics.some((m) => m.labels?.meter === 'm2'), 'never-seen meter has no last-seen sample');
  t.is(value(fams, 'prepaid_outbox_readings'), 1500);
  t.is(value(fams, 'prepaid_outbox_bytes'), 180_000);
  t.is(value(fams, 'prepaid_outbox_events'), 3);
  t.is(value(fams, 'prepaid_outbox_dropped_total'), 7);
  t.is(value(fams, 'prepaid_mqtt_connected'), 0);
  t.is(value(fams, 'prepaid_mqtt_reconnects_total'), 5);
  t.is(value(fams, 'prepaid_mqtt_published_total', { kind: 'readings' }), 900);
  t.is(value(fams, 'prepaid_relay_actions_total', { meter: 'm1', target: 'disconnected', result: 'verified' }), 1);
  t.is(value(fams, 'prepaid_relay_actions_total', { meter: 'm1', target: 'connected', result: 'verified' }), 2);
  t.is(value(fams, 'prepaid_relay_actions_total', { meter: 'm1', target: 'disconnected', result: 'mismatch' }), 1);
  t.is(value(fams, 'prepaid_credit_events_total', { meter: 'm1', type: 'low-credit' }), 2);
  t.is(value(fams, 'prepaid_credit_events_total', { meter: 'm1', type: 'disconnect-scheduled' }), 1);
  t.false(family(fams, 'prepaid_credit_events_total').metrics.some((m) => m.labels?.type === 'comm-lost'));
  t.is(value(fams, 'prepaid_gateway_info', { gateway: 'gw-web', version: '0.1.0' }), 1);

  // parse-prometheus-text-format drops the labels of histogram samples: read those lines directly.
  const sample = (name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(r.text)?.[1]);
  t.is(sample('prepaid_poll_latency_seconds_count', 'bus="b1"'), 4);
  t.is(sample('prepaid_poll_latency_seconds_sum', 'bus="b1"').toFixed(3), '0.750');
  t.is(sample('prepaid_poll_latency_seconds_bucket', 'le="0.01",bus="b1"'), 1);
  t.is(sample('prepaid_poll_latency_seconds_bucket', 'le="0.025",bus="b1"'), 2);
  t.is(sample('prepaid_poll_latency_seconds_bucket', 'le="0.05",bus="b1"'), 3);
  t.is(sample('prepaid_poll_latency_seconds_bucket', 'le="1",bus="b1"'), 4);
  t.is(sample('prepaid_poll_latency_seconds_bucket', 'le="\\+Inf",bus="b1"'), 4);
});

test('metrics follow the gateway: counters copied from its totals at each scrape', async (t) => {
  let status = fakeStatus();
  const { url } = await startFakeConsole(t, { host: fakeHost(undefined, () => status) });
  const scrape = async () => parsePrometheusTextFormat((await http(`${url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text);
  t.is(value(await scrape(), 'prepaid_bus_transactions_total', { bus: 'b1' }), 120);
  status = fakeStatus({ buses: fakeStatus().buses.map((b) => ({ ...b, transactions: b.transactions + 10 })), uplink: { ...fakeStatus().uplink, connected: true } });
  const fams = await scrape();
  t.is(value(fams, 'prepaid_bus_transactions_total', { bus: 'b1' }), 130);
  t.is(value(fams, 'prepaid_mqtt_connected'), 1);
});
