import {type Command, Help} from '@oclif/core'

/**
 * `rpcdiag --help`: every command with its one-line summary and, under it, its
 * first example, so the root help alone shows how each command is used.
 */
export default class RpcdiagHelp extends Help {
  protected override formatCommands(commands: Command.Loadable[]): string {
    if (commands.length === 0) return ''
    const rows = commands.map((c) => {
      const id = this.config.topicSeparator === ':' ? c.id : c.id.replaceAll(':', this.config.topicSeparator)
      const example = firstExample(c)
      const text = [this.summary(c) ?? '', example === undefined ? '' : `$ ${example.replaceAll('<%= config.bin %>', this.config.bin).replaceAll('<%= command.id %>', id)}`]
      return [id, text.filter((t) => t !== '').join('\n')]
    })
    return this.section('COMMANDS', this.renderList(rows, {indentation: 2, spacer: '\n', stripAnsi: this.opts.stripAnsi}))
  }
}

function firstExample(c: Command.Loadable): string | undefined {
  const e = c.examples?.[0]
  if (e === undefined) return undefined
  // Some plugins write their examples with the prompt already in front.
  return (typeof e === 'string' ? e : e.command).replace(/^\$ /, '')
}
