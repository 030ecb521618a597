/**
 * Capture SOURCES only: where `sniff` gets its packets, and where it writes
 * them. What is done with the packets (reassembly, transactions) is src/sniff.
 *
 *     const opened = await openCapture({read: 'x.pcap'})            // or {read: '-'} for stdin
 *     const opened = await openCapture({interface: 'lo', ports: [12345], hosts: ['10.0.0.1'], filter: 'not port 22',
 *                                       backend: 'auto', signal: AbortSignal.timeout(10_000)})   // auto: dumpcap, tcpdump, cap
 *     if (!opened.ok) fail(opened.error)                            // RpcDiagError with a stable code, a fix in the message
 *     const {source, filter, notice} = opened.value                 // notice: e.g. "dumpcap: no permission ...; capturing through tcpdump"
 *     for await (const batch of source.batches())                   // or `for await (const p of source)`, one await per packet
 *       for (const p of batch) {
 *         const r = decodeCapturedPacket(p)                         // decoders/packet: link -> IP -> TCP
 *         if (r.kind === 'tcp') reassemble(r.segment)               // r.kind 'skip' (not IP/TCP, IP fragment) or 'error' (code, offset)
 *       }
 *     source.end        // {reason: 'eof' | 'stopped' | 'error', error?}: a truncated file, tcpdump dying...
 *     source.stats()    // packets, bytes, truncated (cut by the snap length), kernelDrops (when libpcap, dumpcap,
 *                       // tcpdump or pcapng report them), queueDrops, filtered, fileBytesRead/fileSize for a progress
 *                       // line; await source.refreshStats() asks the kernel now
 *     source.timestampSource // 'kernel' (dumpcap, tcpdump), 'userspace' (cap: timestampWarning(source) says so), 'file'
 *     await source.stop() // Ctrl-C, -c N, --duration: ends the iteration after what was already captured
 *
 * Sources (all behind CaptureSource):
 * - file-source: --read FILE | -, classic pcap (us/ns, both byte orders) and pcapng, decoded as chunks arrive;
 *   --port/--host are matched by rpcdiag, a raw --filter runs as libpcap's compiled BPF (tcpdump -ddd).
 * - process-source: the default live path, as Wireshark does it: a capture process (capture-programs.ts:
 *   dumpcap, else tcpdump) holds the privilege and hands pcapng/pcap records over a pipe, stamped by the kernel
 *   (ns), snap length 262144 (covers lo's 65536-byte MTU), drop counts from the program. It runs under a
 *   lifeline sh: when rpcdiag stops or dies (SIGKILL too) the program is told and nothing is left running.
 *   With `write` (-w) the program writes the file itself and the source reads it back as it grows, so the
 *   file holds all it captured whatever rpcdiag's pace; openCaptureFile opens it safely first.
 *   At low rates a packet may wait up to libpcap's block timeout (dumpcap 250 ms, tcpdump 1 s; immediate
 *   mode dropped packets at high rates).
 * - live-source: libpcap in this process through the optional cap addon, when no capture program is there
 *   or backend 'cap'; filter in the kernel, snaplen at most 65535 (cap's), 64 MiB ring. Packets are stamped
 *   when they reach JS (cap does not pass libpcap's timestamps); a packet cut by the snap length gets its
 *   wire length from its IP header; kernel drops are read from the socket (PACKET_STATISTICS, through a
 *   perl/python3 child). Packets reach JS at once.
 * The default interface is `any` on Linux. A missing privilege is CAPTURE_PERMISSION, whose message says:
 * run as root, setcap cap_net_raw,cap_net_admin=eip on the binary, or --read a file.
 *
 * Also: PcapWriter (--write: classic pcap, mode 0600, never through a symlink nor into anything but a regular
 * file, every write reaches the kernel before it returns, only whole records on a full disk, close() twice
 * is fine), listInterfaces (--list-interfaces), buildFilter/compileFilter (the BPF from
 * --port/--host/--filter, checked by libpcap).
 */
export * from './capture-source.js'
export * from './failure.js'
export * from './cap-addon.js'
export * from './bpf-filter.js'
export * from './bpf-compile.js'
export * from './live-options.js'
export * from './file-source.js'
export * from './live-source.js'
export * from './live-source-drops.js'
export * from './capture-programs.js'
export * from './process-source.js'
export * from './open-capture.js'
export * from './pcap-writer.js'
export * from './interfaces.js'
