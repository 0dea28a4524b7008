/** How far a load has got. */
export interface LoadProgress {
  readonly files: number;
  readonly filesDone: number;
  readonly entries: number;
  readonly entriesDone: number;
  readonly seconds: number;
}

export function progressLine(progress: LoadProgress): string {
  const rate = progress.seconds > 0 ? Math.round(progress.entriesDone / progress.seconds) : 0;
  return `load: ${progress.filesDone}/${progress.files} files, ${progress.entriesDone}/${progress.entries} entries, ${rate} entries/s`;
}

/**
 * A self-updating line on a terminal; elsewhere (a log, a pipe) plain lines, at most one a second
 * plus the first, so a log stays readable and a watcher sees the load start.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { show(progress: LoadProgress): void; end(): void } {
  let lastShown = 0;
  let shownOnTty = false;
  return {
    show(progress) {
      const now = Date.now();
      const finished = progress.entriesDone === progress.entries;
      if (stream.isTTY) {
        if (now - lastShown < 100 && !finished) return;
        stream.write(`\r\x1b[K${progressLine(progress)}`);
        shownOnTty = true;
      } else {
        if (lastShown !== 0 && now - lastShown < 1000 && !finished) return;
        stream.write(`${progressLine(progress)}\n`);
      }
      lastShown = now;
    },
    end() {
      if (shownOnTty) stream.write('\n');
    },
  };
}
