/**
 * The metric model of the edge node: a meter's readings become device metrics named by the
 * canonical measurement names (protocols MEASUREMENTS), Int64 for whole-number quantities (energy
 * in Wh) and Double otherwise, with the unit as the `engUnit` property (the property name
 * Ignition and Cirrus Link read). Names outside MEASUREMENTS keep their name, as Double, no unit.
 */
import { measurementFor } from '@prepaid-edge/protocols';
import type { Metric } from './codec.js';
import { DataType, type DataTypeCode } from './datatypes.js';

export const NODE_REBIRTH = 'Node Control/Rebirth';
export const BDSEQ = 'bdSeq';
export const NODE_VERSION = 'Properties/Software Version';
/** Device metric a host writes by DCMD: a String holding the signed command envelope of the JSON contract. */
export const DEVICE_COMMAND = 'Command';

/**
 * Default deadband by unit, absolute, in the canonical unit: a value is reported again once it moved
 * at least this far from the last reported one. Energy registers report every change.
 */
export const DEFAULT_DEADBANDS: Readonly<Record<string, number>> = Object.freeze({
  V: 0.5,
  A: 0.05,
  W: 5,
  Hz: 0.01,
  '': 0.01,
  Wh: 0,
});

export interface MetricSpec {
  name: string;
  datatype: DataTypeCode;
  unit?: string;
  deadband: number;
}

export function metricSpec(name: string, deadbands: Readonly<Record<string, number>> = {}): MetricSpec {
  const m = measurementFor(name);
  const datatype = m?.integer ? DataType.Int64 : DataType.Double;
  const unit = m?.unit;
  const deadband = deadbands[name] ?? (unit !== undefined ? DEFAULT_DEADBANDS[unit] : undefined) ?? 0;
  return unit ? { name, datatype, unit, deadband } : { name, datatype, deadband };
}

/**
 * A device metric with its value; `birth` adds the engineering unit property. With an alias, a
 * birth carries name and alias and data the alias only. One object literal: this runs per metric
 * per reading (bench sparkplug-vs-json).
 */
export function deviceMetric(spec: MetricSpec, value: number, ts: number, birth: boolean, historical = false, alias?: number): Metric {
  const v = spec.datatype === DataType.Int64 ? Math.round(value) : value;
  const m: Metric = alias === undefined || birth ? { name: spec.name, timestamp: ts, datatype: spec.datatype, value: v } : { alias, timestamp: ts, datatype: spec.datatype, value: v };
  if (alias !== undefined && birth) m.alias = alias;
  if (historical) m.isHistorical = true;
  if (birth && spec.unit) m.properties = { engUnit: { type: DataType.String, value: spec.unit } };
  return m;
}

/** Every node metric, for NBIRTH: bdSeq, the rebirth control (false) and the software version. */
export function nodeBirthMetrics(bdSeq: number, version: string, ts: number): Metric[] {
  return [
    { name: BDSEQ, timestamp: ts, datatype: DataType.Int64, value: bdSeq },
    { name: NODE_REBIRTH, timestamp: ts, datatype: DataType.Boolean, value: false },
    { name: NODE_VERSION, timestamp: ts, datatype: DataType.String, value: version },
  ];
}

/** The NDEATH payload (the MQTT will): bdSeq only, no seq. */
export function deathMetrics(bdSeq: number, ts: number): Metric[] {
  return [{ name: BDSEQ, timestamp: ts, datatype: DataType.Int64, value: bdSeq }];
}
