// Where Wireshark looks for a Lua plugin and its protobuf search paths, and
// the tshark options that set those paths for one run. A Lua script cannot
// set another dissector's table preference (a UAT), so the search paths are
// handed to the user: as tshark -o options, or as lines of the UAT file the
// Preferences dialog writes.

import {homedir} from 'node:os'
import {join} from 'node:path'

import {formatPortRange} from '../net/index.js'
import type {ProtoSearchPath} from './spec.js'

/** The UAT Wireshark keeps "Protobuf search paths" in, and its record format: "path","TRUE|FALSE". */
export const PROTOBUF_UAT = 'protobuf_search_paths'

/** A quoted UAT field: Wireshark escapes quote and backslash as \xNN. */
function uatField(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`
}

export function uatRecord(p: ProtoSearchPath): string {
  return `${uatField(p.path)},${uatField(p.loadAll ? 'TRUE' : 'FALSE')}`
}

/** tshark arguments that add the search paths for one run. */
export function tsharkProtoArgs(paths: readonly ProtoSearchPath[]): string[] {
  return paths.flatMap((p) => ['-o', `uat:${PROTOBUF_UAT}:${uatRecord(p)}`])
}

/** The same, quoted for a POSIX shell. */
export function tsharkProtoOptions(paths: readonly ProtoSearchPath[]): string[] {
  return tsharkProtoArgs(paths).map(shellQuote)
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export interface InstallPlaces {
  /** Wireshark's personal Lua plugins folder (Linux, macOS). */
  readonly pluginDir: string
  /** The personal configuration folder, where the UAT file lives. */
  readonly configDir: string
}

/** Wireshark's personal folders on Linux and macOS, as `tshark -G folders` prints them. */
export function installPlaces(env: NodeJS.ProcessEnv = process.env): InstallPlaces {
  const home = env.HOME ?? homedir()
  const config = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home, '.config')
  return {pluginDir: join(home, '.local', 'lib', 'wireshark', 'plugins'), configDir: join(config, 'wireshark')}
}

/** What `rpcdiag wireshark` reports: the file, what it holds, and how to put it to use. */
export interface InstallGuide {
  /** The file written, or null for stdout. */
  readonly file: string | null
  readonly ports: readonly string[]
  readonly methods: number
  readonly protoFiles: readonly string[]
  readonly searchPaths: readonly ProtoSearchPath[]
  readonly pluginDir: string
  /** The UAT file the Preferences dialog keeps the protobuf search paths in, and the lines it needs. */
  readonly uatFile: string
  readonly uatLines: readonly string[]
  /** A tshark command line that loads the file for one run, search paths included. */
  readonly tshark: string
}

export function installGuide(
  spec: {ports: ReadonlyArray<{from: number; to: number}>; methods: ReadonlyMap<string, unknown>; protoFiles: readonly string[]; searchPaths: readonly ProtoSearchPath[]},
  file: string | null,
  env: NodeJS.ProcessEnv = process.env,
): InstallGuide {
  const places = installPlaces(env)
  const script = shellQuote(`lua_script:${file ?? 'tinypb.lua'}`)
  return {
    file,
    ports: spec.ports.map(formatPortRange),
    methods: new Set(spec.methods.values()).size,
    protoFiles: spec.protoFiles,
    searchPaths: spec.searchPaths,
    pluginDir: places.pluginDir,
    uatFile: join(places.configDir, PROTOBUF_UAT),
    uatLines: spec.searchPaths.map(uatRecord),
    tshark: ['tshark', '-2', '-X', script, ...tsharkProtoOptions(spec.searchPaths), '-r', 'capture.pcap'].join(' '),
  }
}
