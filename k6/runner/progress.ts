// One status line for a terminal (rewritten in place), or a line every few seconds for a log.

export interface Progress {
  update(line: string): void;
  log(line: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let lastPrinted = 0;
  let current = "";
  return {
    update(line) {
      current = line;
      if (tty) stream.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastPrinted >= 10_000) {
        stream.write(`${line}\n`);
        lastPrinted = Date.now();
      }
    },
    log(line) {
      if (tty && current) stream.write("\r\x1b[2K");
      stream.write(`${line}\n`);
      if (tty && current) stream.write(current);
    },
    done() {
      if (tty) stream.write("\r\x1b[2K");
      current = "";
    },
  };
}

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
