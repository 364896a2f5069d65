/**
 * The Sparkplug B payload schema: the official Eclipse Tahu `sparkplug_b.proto` (committed beside
 * this file, EPL-2.0), loaded as the protobufjs JSON descriptor generated from it
 * (sparkplug-b-descriptor.ts, by scripts/sparkplug-descriptor.mjs; the core reads no files).
 * gateway/test/sparkplug/descriptor.test.ts checks that the descriptor is what the .proto parses to.
 */
import pb from 'protobufjs/light.js';
import { SPARKPLUG_B_DESCRIPTOR } from './sparkplug-b-descriptor.js';

export const sparkplugRoot: pb.Root = pb.Root.fromJSON(SPARKPLUG_B_DESCRIPTOR as pb.INamespace);

export const PayloadType: pb.Type = sparkplugRoot.lookupType('org.eclipse.tahu.protobuf.Payload');
