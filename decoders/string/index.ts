export {printableText, isPrintableText, isShowableCodeUnit, quoteBytes, displayText} from './printable.js'
export {describeChunk, chunkToJson, type ChunkView, type TextChunkView, type BinaryChunkView, type DescribeOptions, type ChunkJson} from './chunk.js'
export {StringChunkSequencer, formatChunk, chunkHeader, type StringChunk, type DirectionTotals, type FormatChunkOptions} from './chunk-stream.js'
