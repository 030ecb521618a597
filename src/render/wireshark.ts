// `rpcdiag wireshark` for humans: what was written and how to use it.

import type {ChalkInstance} from 'chalk'

import type {InstallGuide} from '../wireshark/index.js'
import {shellQuote} from '../wireshark/index.js'

export function renderInstallGuide(g: InstallGuide, c: ChalkInstance): string[] {
  const what = g.protoFiles.length > 0 ? `${g.methods} method(s) from ${g.protoFiles.join(', ')}` : 'payloads schema-less (no --proto)'
  const file = g.file ?? 'tinypb.lua'
  const lines = [
    g.file === null ? `TinyPB dissector written to stdout (ports ${g.ports.join(', ')} and a TCP heuristic; ${what})` : `wrote ${g.file}: TinyPB dissector for Wireshark 4.0+ (ports ${g.ports.join(', ')} and a TCP heuristic; ${what})`,
    '',
    c.bold('Wireshark:') + ` copy it into your personal Lua plugins folder, then restart Wireshark (or Analyze > Reload Lua Plugins):`,
    `  mkdir -p ${shellQuote(g.pluginDir)} && cp ${shellQuote(file)} ${shellQuote(g.pluginDir)}/`,
  ]
  if (g.searchPaths.length > 0) {
    lines.push(
      '  and add the .proto folder(s) to Edit > Preferences > Protocols > ProtoBuf > Protobuf search paths',
      ...g.searchPaths.map((p) => `    ${p.path}${p.loadAll ? '  (load all files)' : ''}`),
      `  (the same as these lines in ${g.uatFile}:`,
      ...g.uatLines.map((l) => `    ${l}`),
      '  )',
    )
  }
  lines.push(
    c.bold('tshark:') + ' load it for one run (-2: pairing looks ahead for response_in and unanswered requests):',
    `  ${g.tshark}`,
    `  ${g.tshark} -Y 'tinypb.time > 0.005'`,
  )
  return lines
}
