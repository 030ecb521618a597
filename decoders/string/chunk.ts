import {toHex} from './hex.js'
import {printableText} from './printable.js'

/** A chunk in JSON output: exact text when the bytes are printable UTF-8, else hex. Lossless either way. */
export interface ChunkJson {
  length: number
  encoding: 'utf8' | 'hex'
  data: string
}

export function chunkToJson(bytes: Uint8Array): ChunkJson {
  const text = printableText(bytes)
  return text === undefined ? {length: bytes.length, encoding: 'hex', data: toHex(bytes)} : {length: bytes.length, encoding: 'utf8', data: text}
}
