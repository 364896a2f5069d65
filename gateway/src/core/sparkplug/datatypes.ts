/** Sparkplug B datatype codes (sparkplug_b.proto, "Indexes of Data Types"; Sparkplug 3.0 §6.4.16). */
export const DataType = Object.freeze({
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
} as const);

export type DataTypeName = keyof typeof DataType;
export type DataTypeCode = (typeof DataType)[DataTypeName];
