// -Y: tshark-style display filters over calls.
export {compileDisplayFilter, type DisplayFilter, type DisplayFilterOptions} from './compile.js'
