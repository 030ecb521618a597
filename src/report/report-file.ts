// Writing a report: the file is opened (created or truncated) when the
// command starts, so a path that cannot be written fails at once and not after
// an hour of capture; the page is written whole at the end.

import {closeSync, fstatSync, ftruncateSync, openSync, unlinkSync, writeSync} from 'node:fs'

import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'
import type {ReportData} from './data.js'
import {reportHtml} from './html.js'
import {pageAssets} from './page-assets.js'

export interface WrittenReport {
  readonly path: string
  readonly bytes: number
}

export class ReportFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  static open(path: string): Result<ReportFile, UsageError> {
    try {
      return ok(new ReportFile(path, openSync(path, 'w', 0o644)))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message
      return err(new UsageError('WRITE_FAILED', `cannot write the report ${path}: ${why}`, {cause: e}))
    }
  }

  /** Write the page for this data and close the file. */
  async write(data: ReportData): Promise<Result<WrittenReport, RpcDiagError>> {
    const fd = this.fd
    if (fd === undefined) return err(new RpcDiagError('WRITE_FAILED', `${this.path} is closed`))
    try {
      const html = Buffer.from(reportHtml(data, await pageAssets()), 'utf8')
      if (fstatSync(fd).isFile()) ftruncateSync(fd, 0)
      let at = 0
      while (at < html.length) at += writeSync(fd, html, at, html.length - at)
      return ok({path: this.path, bytes: html.length})
    } catch (e) {
      return err(new RpcDiagError('WRITE_FAILED', `writing the report ${this.path} failed: ${(e as Error).message}`, {cause: e}))
    } finally {
      this.close()
    }
  }

  /** Nothing to write after all (the capture could not start): close and remove the empty file. */
  discard(): void {
    if (this.fd === undefined) return
    const regular = fstatSync(this.fd).isFile()
    this.close()
    if (regular) unlinkSync(this.path)
  }

  close(): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    closeSync(fd)
  }
}

/** The line a command prints once the report is written. */
export function writtenText(w: WrittenReport): string {
  return `report written to ${w.path} (${(w.bytes / 1024).toFixed(0)} KiB)`
}
