// Result shapes of the schema-less protobuf decoder (like `protoc --decode_raw`).

/** Protobuf wire types. 4 (END_GROUP) closes a group and never stands for a field. */
export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2 // length-delimited: bytes, string, nested message, packed repeated
export const WIRE_START_GROUP = 3
export const WIRE_END_GROUP = 4
export const WIRE_FIXED32 = 5

export type WireType = 0 | 1 | 2 | 3 | 5

/**
 * A varint read as uint64 (what protoc prints) with its other readings:
 * int64/int32 (two's complement; a negative int32 is sent sign-extended to 10 bytes)
 * and sint64/sint32 (zigzag).
 */
export interface RawVarint {
  readonly kind: 'varint'
  readonly uint: bigint
  readonly int: bigint
  readonly sint: bigint
}

export interface RawFixed64 {
  readonly kind: 'fixed64'
  readonly uint: bigint
  readonly int: bigint
  readonly double: number
}

export interface RawFixed32 {
  readonly kind: 'fixed32'
  readonly uint: number
  readonly int: number
  readonly float: number
}

/** A length-delimited field whose bytes parse completely as a message. */
export interface RawMessage {
  readonly kind: 'message'
  /** View of the payload (after the length), nothing copied. */
  readonly bytes: Uint8Array
  readonly fields: readonly RawField[]
}

/** A length-delimited field that is not a message but valid, printable UTF-8 (may be empty). */
export interface RawString {
  readonly kind: 'string'
  readonly bytes: Uint8Array
  readonly text: string
}

/** Any other length-delimited field. */
export interface RawBytes {
  readonly kind: 'bytes'
  readonly bytes: Uint8Array
}

/** Wire types 3..4: the fields between START_GROUP and its matching END_GROUP. */
export interface RawGroup {
  readonly kind: 'group'
  readonly fields: readonly RawField[]
}

export type RawValue = RawVarint | RawFixed64 | RawFixed32 | RawMessage | RawString | RawBytes | RawGroup

export interface RawField {
  /** Field number, 1 .. 2^29-1. */
  readonly field: number
  readonly wireType: WireType
  /** Offset of the tag, counted from the start of the bytes given to decodeRaw. */
  readonly offset: number
  /** Bytes taken by tag and value (for a group: through its END_GROUP tag). */
  readonly length: number
  readonly value: RawValue
}

/** Stable codes for input that is not a protobuf message. Match on these, never on text. */
export type RawErrorCode =
  | 'TRUNCATED_VARINT' // a tag, length or varint value runs off the end
  | 'VARINT_TOO_LONG' // more bytes than the varint may take (value 10, tag and length 5)
  | 'BAD_WIRE_TYPE' // wire type 6 or 7
  | 'FIELD_NUMBER_ZERO' // field number 0 is illegal
  | 'LENGTH_PAST_END' // a length-delimited field claims more bytes than remain
  | 'TRUNCATED_FIXED' // a fixed32/fixed64 value runs off the end
  | 'UNEXPECTED_END_GROUP' // END_GROUP outside any group
  | 'END_GROUP_MISMATCH' // END_GROUP for another field number than the open group
  | 'UNTERMINATED_GROUP' // the input ended inside a group
  | 'GROUP_TOO_DEEP' // groups nested deeper than protoc accepts (100)

export interface RawDecodeError {
  readonly code: RawErrorCode
  /** Offset of the tag of the field that could not be decoded (or of the bad byte), from the start of the input. */
  readonly offset: number
  /** What is wrong, for humans; says nothing of the offset, which callers print from `offset`. */
  readonly message: string
  /** The field number, once its tag was read. */
  readonly field?: number
  readonly wireType?: number
}

export interface RawDecodeResult {
  /** Every field decoded before the error (all of them when there is none), in wire order. */
  readonly fields: readonly RawField[]
  /** Set when the input is not a complete protobuf message; fields then hold the part before it. */
  readonly error?: RawDecodeError
}

export interface RawDecodeOptions {
  /**
   * How many levels of length-delimited fields are tried as nested messages.
   * protoc --decode_raw uses 10; deeper payloads print as strings.
   */
  maxDepth?: number
}
