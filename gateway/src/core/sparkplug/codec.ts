/**
 * Sparkplug B payloads to and from bytes (protobuf, schema.ts). Values are typed by the metric's
 * datatype: Int8..UInt32 travel in int_value (signed ones as 32-bit two's complement), Int64,
 * UInt64 and DateTime in long_value, Float, Double, Boolean, String/Text in their own fields.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import { DataType, type DataTypeCode } from './datatypes.js';
import { PayloadType } from './schema.js';

export type MetricValue = number | boolean | string | null;

export interface PropertyValue {
  type: DataTypeCode;
  value: MetricValue;
}

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype: DataTypeCode;
  value: MetricValue;
  isHistorical?: boolean;
  properties?: Record<string, PropertyValue>;
}

export interface Payload {
  /** Epoch ms UTC at sending. */
  timestamp: number;
  /** 0..255; absent on NDEATH. */
  seq?: number;
  metrics: Metric[];
}

function codecError(message: string, path?: string): PrepaidError {
  return new PrepaidError('E_SPARKPLUG_PAYLOAD', path ? `${path}: ${message}` : message, path ? { path } : {});
}

type Fields = Record<string, unknown>;

function valueFields(type: number, value: MetricValue, where: string): Fields {
  if (value === null) return { isNull: true };
  const bad = (): never => {
    throw codecError(`value ${JSON.stringify(value)} does not fit datatype ${type}`, where);
  };
  switch (type) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad();
      return { intValue: value >>> 0 };
    case DataType.Int64:
    case DataType.UInt64:
    case DataType.DateTime:
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return bad();
      // A number, negative ones too: the writer's uint64 takes it as 64-bit two's complement.
      return { longValue: value };
    case DataType.Float:
      if (typeof value !== 'number') return bad();
      return { floatValue: value };
    case DataType.Double:
      if (typeof value !== 'number') return bad();
      return { doubleValue: value };
    case DataType.Boolean:
      if (typeof value !== 'boolean') return bad();
      return { booleanValue: value };
    case DataType.String:
    case DataType.Text:
      if (typeof value !== 'string') return bad();
      return { stringValue: value };
    default:
      throw codecError(`datatype ${type} is not supported`, where);
  }
}

function toProtoMetric(m: Metric, i: number): Fields {
  const where = `metrics[${i}]`;
  const out: Fields = { datatype: m.datatype, ...valueFields(m.datatype, m.value, where) };
  if (m.name !== undefined) out.name = m.name;
  if (m.alias !== undefined) out.alias = m.alias;
  if (m.timestamp !== undefined) out.timestamp = m.timestamp;
  if (m.isHistorical) out.isHistorical = true;
  if (m.properties) {
    const keys = Object.keys(m.properties);
    out.properties = {
      keys,
      values: keys.map((k) => ({ type: m.properties![k]!.type, ...valueFields(m.properties![k]!.type, m.properties![k]!.value, `${where}.properties.${k}`) })),
    };
  }
  return out;
}

export function encodePayload(p: Payload): Uint8Array {
  const msg: Fields = { timestamp: p.timestamp, metrics: p.metrics.map(toProtoMetric) };
  if (p.seq !== undefined) {
    if (!Number.isInteger(p.seq) || p.seq < 0 || p.seq > 255) throw codecError(`${p.seq} is not 0..255`, 'seq');
    msg.seq = p.seq;
  }
  // Plain objects straight to the writer: fromObject would first convert every uint64 to a Long
  // (and clamp negative numbers to 0), about half the CPU of an encode.
  return PayloadType.encode(msg).finish();
}

function fromValueFields(type: number, f: Fields): MetricValue {
  if (f.isNull) return null;
  switch (type) {
    case DataType.Int8:
      return ((Number(f.intValue ?? 0) << 24) >> 24);
    case DataType.Int16:
      return ((Number(f.intValue ?? 0) << 16) >> 16);
    case DataType.Int32:
      return Number(f.intValue ?? 0) | 0;
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return Number(f.intValue ?? 0) >>> 0;
    case DataType.Int64:
      return Number(BigInt.asIntN(64, BigInt(String(f.longValue ?? '0'))));
    case DataType.UInt64:
    case DataType.DateTime:
      return Number(BigInt(String(f.longValue ?? '0')));
    case DataType.Float:
      return Number(f.floatValue ?? 0);
    case DataType.Double:
      return Number(f.doubleValue ?? 0);
    case DataType.Boolean:
      return Boolean(f.booleanValue);
    case DataType.String:
    case DataType.Text:
      return String(f.stringValue ?? '');
    default:
      return null;
  }
}

/** Decodes a payload (NCMD/DCMD from a host). Malformed bytes: E_SPARKPLUG_PAYLOAD. */
export function decodePayload(bytes: Uint8Array): Payload {
  let o: Fields;
  try {
    o = PayloadType.toObject(PayloadType.decode(bytes), { longs: String, defaults: false }) as Fields;
  } catch (e) {
    throw codecError(`not a Sparkplug B payload: ${(e as Error).message}`);
  }
  const metrics = ((o.metrics as Fields[] | undefined) ?? []).map((m): Metric => {
    const datatype = Number(m.datatype ?? 0) as DataTypeCode;
    const out: Metric = { datatype, value: fromValueFields(datatype, m) };
    if (m.name !== undefined) out.name = String(m.name);
    if (m.alias !== undefined) out.alias = Number(m.alias);
    if (m.timestamp !== undefined) out.timestamp = Number(m.timestamp);
    if (m.isHistorical) out.isHistorical = true;
    const props = m.properties as { keys?: string[]; values?: Fields[] } | undefined;
    if (props?.keys) {
      out.properties = {};
      props.keys.forEach((k, i) => {
        const v = props.values?.[i] ?? {};
        const type = Number(v.type ?? 0) as DataTypeCode;
        out.properties![k] = { type, value: fromValueFields(type, v) };
      });
    }
    return out;
  });
  const p: Payload = { timestamp: Number(o.timestamp ?? 0), metrics };
  if (o.seq !== undefined) p.seq = Number(o.seq);
  return p;
}
