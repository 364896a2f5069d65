/** The codec's schema is the official Tahu sparkplug_b.proto: the committed descriptor is what the .proto parses to. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import test from 'ava';
import { SPARKPLUG_B_DESCRIPTOR } from '../../src/core/sparkplug/sparkplug-b-descriptor.js';
import { PayloadType } from '../../src/core/sparkplug/schema.js';

const pb = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const PROTO = new URL('../../../src/core/sparkplug/sparkplug_b.proto', import.meta.url);

test('sparkplug-b-descriptor.ts is exactly what protobufjs parses from the committed sparkplug_b.proto', (t) => {
  const proto = readFileSync(PROTO, 'utf8');
  t.regex(proto, /SPDX-License-Identifier: EPL-2\.0/, 'the .proto keeps its EPL-2.0 header');
  t.regex(proto, /^package org\.eclipse\.tahu\.protobuf;$/m);
  // Through JSON: protobufjs builds some objects without a prototype.
  t.deepEqual(SPARKPLUG_B_DESCRIPTOR, JSON.parse(JSON.stringify(pb.parse(proto, { keepCase: false }).root.toJSON())) as object);
});

test('the codec uses the full official Payload: every message and field of the .proto, with its field numbers', (t) => {
  const official = pb.parse(readFileSync(PROTO, 'utf8'), { keepCase: false }).root.lookupType('org.eclipse.tahu.protobuf.Payload');
  const fields = (ty: import('protobufjs').Type) => Object.fromEntries(Object.values(ty.fields).map((f) => [f.name, [f.id, f.type, f.rule ?? 'optional']]));
  t.deepEqual(fields(PayloadType), fields(official));
  for (const nested of ['Metric', 'PropertyValue', 'PropertySet', 'PropertySetList', 'MetaData', 'DataSet', 'Template']) {
    t.deepEqual(fields(PayloadType.lookupType(nested)), fields(official.lookupType(nested)), nested);
  }
  t.is(PayloadType.lookupType('Metric').fields['isHistorical']!.id, 5);
});
