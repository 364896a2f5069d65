// DL/T 645-2007. Generic names carry a Dlt645 prefix so the package barrel stays collision-free.
export * from './constants.js';
export { decodeBcd, encodeBcd, fromBcdByte, toBcdByte, bcdMax, MAX_BCD_BYTES, type BcdOptions } from './bcd.js';
export {
  DLT645_WILDCARD_ADDRESS,
  DLT645_BROADCAST_ADDRESS,
  DLT645_ADDRESS_BYTES,
  normalizeDlt645Address,
  dlt645AddressToBytes,
  dlt645AddressFromBytes,
  isDlt645Broadcast,
  isDlt645Wildcard,
  dlt645AddressMatches,
} from './address.js';
export {
  encodeFrame,
  decodeFrame,
  decodeDlt645Control,
  encodeDlt645Control,
  dlt645Checksum,
  dlt645SkipPreamble,
  dlt645FrameLengthAt,
  type Dlt645Frame,
  type Dlt645Control,
  type Dlt645FrameInput,
  type Dlt645EncodeOptions,
} from './frame.js';
export { findFrame, type Dlt645FindResult } from './find-frame.js';
export { Dlt645Splitter, Dlt645FrameStream, type Dlt645SplitterOptions } from './splitter.js';
export {
  encodeDlt645DateTime,
  decodeDlt645DateTime,
  dlt645DateTimeFromDate,
  dlt645DateTimeToDate,
  DLT645_DATE_TIME_BYTES,
  type Dlt645DateTime,
} from './time.js';
export {
  encodeDlt645Credentials,
  decodeDlt645Credentials,
  DLT645_DEFAULT_CREDENTIALS,
  DLT645_CREDENTIALS_BYTES,
  type Dlt645Credentials,
} from './credentials.js';
export {
  DLT645_DATA_ITEMS,
  DLT645_DI_BYTES,
  findDlt645DataItem,
  findDlt645DataItemByKey,
  findDlt645DataItemForMeasurement,
  normalizeDlt645Di,
  dlt645DiToBytes,
  dlt645DiFromBytes,
  type Dlt645DataItem,
  type Dlt645ValueKind,
} from './data-identifiers.js';
export {
  decodeDlt645Value,
  encodeDlt645Value,
  encodeDlt645CanonicalValue,
  dlt645RawFromCanonical,
  formatDlt645Raw,
  type Dlt645Reading,
} from './data-values.js';
export { Dlt645AbnormalError, expectNormalReply, dlt645AbnormalReply, type Dlt645Abnormal } from './abnormal.js';
export {
  encodeReadDataRequest,
  encodeReadFollowUpRequest,
  encodeReadAddressRequest,
  encodeWriteDataRequest,
  encodeRelayControlRequest,
  encodeTimeSync,
  parseDlt645Request,
  type Dlt645Request,
  type Dlt645RelayControlInput,
} from './requests.js';
export {
  encodeReadDataReply,
  encodeReadAddressReply,
  encodeWriteDataReply,
  encodeRelayControlReply,
  encodeAbnormalReply,
  parseReadDataReply,
  parseReadAddressReply,
  parseWriteDataReply,
  parseRelayControlReply,
  dlt645ReadingFromReply,
  type Dlt645ReadReply,
  type Dlt645AddressReply,
  type Dlt645AckReply,
} from './replies.js';
export * from './event-records.js';
