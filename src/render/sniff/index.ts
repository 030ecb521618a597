// Everything sniff prints, in one import for the command (and demo).
export {colorsFor} from '../color.js'
export {CaptureClock, flowText, msText} from './format.js'
export {payloadLines, SniffHumanRenderer, type SniffHumanOptions} from './human.js'
export {renderInterfaces} from './interfaces.js'
export {payloadJson, SniffJsonRenderer, type SniffJsonOptions, summaryLine} from './json.js'
export {LineWriter, SniffPrinter, type SniffPrinterOptions} from './output.js'
export {ProgressLine, progressText} from './progress.js'
export {renderSniffHistogram, renderSniffSummary} from './summary.js'
