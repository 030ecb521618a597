import {colorChoice} from '../cli/color-flag.js'
import type {CommandIo} from '../cli/command-io.js'
import {schemaFromFlags} from '../cli/proto-flags.js'
import {UsageError} from '../errors.js'
import type {NetAddr} from '../net/net-addr.js'
import type {PreparedCall} from '../rpc/call-prepare.js'
import type {CallArgs, CallFlags} from './flags.js'

/** --repeat or --duration: a load test rather than one call. */
export function isLoadTest(flags: CallFlags): boolean {
  return flags.repeat !== undefined || flags.duration !== undefined
}

/**
 * What one call and a load test share: the flags checked against each other,
 * the address, the body read and encoded against the .proto (protobufjs only
 * when one is given), warnings printed. Bad input throws its UsageError
 * before anything is sent.
 */
export async function prepareCommandCall(args: CallArgs, flags: CallFlags, io: CommandIo): Promise<{addr: NetAddr; prepared: PreparedCall}> {
  const [{parseAddr}, input, {prepareCall, preparedWarnings}] = await Promise.all([
    import('../net/net-addr.js'),
    import('../rpc/call-input.js'),
    import('../rpc/call-prepare.js'),
  ])
  const addr = parseAddr(flags.addr)
  if (!addr.ok) throw addr.error
  const loadTest = isLoadTest(flags)
  if (!loadTest && (flags['connection-per-call'] || flags.pipeline > 1 || flags.concurrency > 1 || flags.report !== undefined)) {
    throw new UsageError('BAD_FLAGS', '--concurrency, --connection-per-call, --pipeline and --report need --repeat N')
  }
  if (!loadTest && (flags.rps !== undefined || flags.warmup !== undefined || flags.progress !== undefined || flags.format === 'csv')) {
    throw new UsageError('BAD_FLAGS', '--rps, --warmup, --progress and --format csv are for a load test: add --repeat N or --duration')
  }

  const body =
    flags.json !== undefined
      ? // grpcurl reads the body from stdin with `-d @`; readJsonBody's stdin is `-`.
        await input.readJsonBody(flags.json === '@' ? '-' : flags.json, {maxBytes: flags['max-body']})
      : flags['data-hex'] !== undefined
        ? input.parseHexBody(flags['data-hex'])
        : flags['data-base64'] !== undefined
          ? input.parseBase64Body(flags['data-base64'])
          : undefined
  if (body !== undefined && !body.ok) throw body.error

  const loaded = await schemaFromFlags(flags)
  if (!loaded.ok) throw loaded.error
  const schema = loaded.value

  const prepared = prepareCall({
    method: args.method,
    schema,
    body: body?.value,
    allowUnknownFields: flags['allow-unknown-fields'],
    msgId: flags['msg-id'],
    peer: flags.peer,
    force: flags.force,
  })
  if (!prepared.ok) throw prepared.error
  const warnings = preparedWarnings(prepared.value)
  if (warnings.length > 0) {
    const {colorsFor} = await import('../render/color.js')
    const errColors = colorsFor(process.stderr, process.env, colorChoice(flags))
    for (const w of warnings) io.logToStderr(errColors.yellow(`warning: ${w}`))
  }

  return {addr: addr.value, prepared: prepared.value}
}
