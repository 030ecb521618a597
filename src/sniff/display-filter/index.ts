// -Y: tshark-style display filters over calls.
export {compileDisplayFilter, type DisplayFilter, type DisplayFilterOptions} from './compile.js'
export {CallSelection, type StateCounts} from './selection.js'
