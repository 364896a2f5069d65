/**
 * The Sparkplug B payload schema as a protobufjs reflection tree. Field numbers and types follow
 * the official `sparkplug_b.proto` (Eclipse Tahu, sparkplug_b/sparkplug_b.proto, package
 * org.eclipse.tahu.protobuf, proto2). Only what this edge node sends or reads is declared:
 * protobuf skips unknown fields, so a subset is wire-compatible (DataSet, Template, MetaData and
 * PropertySetList are left out). Tests decode our bytes with Tahu's own decoder.
 */
import pb from 'protobufjs/light.js';

const opt = (type: string, id: number): { type: string; id: number } => ({ type, id });

// Explicit: protobufjs reads a JSON descriptor without one as proto3, which would drop explicit zeros (seq 0).
const Payload = {
  edition: 'proto2',
        fields: {
          timestamp: opt('uint64', 1),
          metrics: { rule: 'repeated', type: 'Metric', id: 2 },
          seq: opt('uint64', 3),
          uuid: opt('string', 4),
          body: opt('bytes', 5),
        },
        nested: {
          PropertyValue: {
            oneofs: { value: { oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'propertysetValue'] } },
            fields: {
              type: opt('uint32', 1),
              isNull: opt('bool', 2),
              intValue: opt('uint32', 3),
              longValue: opt('uint64', 4),
              floatValue: opt('float', 5),
              doubleValue: opt('double', 6),
              booleanValue: opt('bool', 7),
              stringValue: opt('string', 8),
              propertysetValue: opt('PropertySet', 9),
            },
          },
          PropertySet: {
            fields: {
              keys: { rule: 'repeated', type: 'string', id: 1 },
              values: { rule: 'repeated', type: 'PropertyValue', id: 2 },
            },
          },
          Metric: {
            oneofs: { value: { oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'bytesValue'] } },
            fields: {
              name: opt('string', 1),
              alias: opt('uint64', 2),
              timestamp: opt('uint64', 3),
              datatype: opt('uint32', 4),
              isHistorical: opt('bool', 5),
              isTransient: opt('bool', 6),
              isNull: opt('bool', 7),
              properties: opt('PropertySet', 9),
              intValue: opt('uint32', 10),
              longValue: opt('uint64', 11),
              floatValue: opt('float', 12),
              doubleValue: opt('double', 13),
              booleanValue: opt('bool', 14),
              stringValue: opt('string', 15),
              bytesValue: opt('bytes', 16),
            },
          },
        },
};

const pkg = (name: string, nested: object): object => ({ nested: { [name]: nested } });

export const sparkplugRoot: pb.Root = pb.Root.fromJSON(
  pkg('org', pkg('eclipse', pkg('tahu', pkg('protobuf', { nested: { Payload } })))) as pb.INamespace,
);

export const PayloadType: pb.Type = sparkplugRoot.lookupType('org.eclipse.tahu.protobuf.Payload');
