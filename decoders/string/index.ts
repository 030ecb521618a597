export {displayText, hexEscape, isPrintableText, isShowableCodeUnit, printableText, quoteBytes} from './printable.js'
export {chunkToJson, type ChunkJson} from './chunk.js'
export {toHex} from './hex.js'
