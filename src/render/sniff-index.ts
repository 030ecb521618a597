// Everything sniff prints, in one import for the command (and demo).
export {colorsFor} from './color.js'
export {CaptureClock, flowText, msText} from './sniff-format.js'
export {payloadLines, SniffHumanRenderer, type SniffHumanOptions} from './sniff-human.js'
export {renderInterfaces} from './sniff-interfaces.js'
export {payloadJson, SniffJsonRenderer, type SniffJsonOptions, summaryLine} from './sniff-json.js'
export {LineWriter, SniffPrinter, type SniffPrinterOptions} from './sniff-output.js'
export {ProgressLine, progressText} from './sniff-progress.js'
export {renderSniffHistogram, renderSniffSummary} from './sniff-summary.js'
