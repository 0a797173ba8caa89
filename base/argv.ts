/**
 * A command line read by Node's own `util.parseArgs`, for the three CLIs (lab/settings.ts,
 * chaos/cli.ts, scripts/scenarios.ts), which then judge each word in order with their own
 * messages and exit codes. parseArgs runs in its lenient mode on purpose: a flag that takes a
 * value takes the next word whatever it looks like (`--workers --edge` is a bad --workers value,
 * as the CLIs have always read it, not a missing one), and an unknown flag is not an exception
 * thrown before the words ahead of it were judged, but a word the CLI reports in its turn.
 */
import { parseArgs } from "node:util";

/** The flags a CLI declares, by long name (without the dashes), as util.parseArgs takes them. */
export type FlagSpec = Readonly<
  Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>
>;

export type ArgvWord =
  /** A declared flag, as typed (`--name`, `--name=value`, or its one-letter `-x`); value: inline or the next word. */
  | {
      readonly kind: "flag";
      readonly name: string;
      readonly value?: string;
      readonly inline: boolean;
      readonly raw: string;
      readonly index: number;
    }
  /** A dash-led word that is no declared flag: an unknown `--name`, a group like `-hx`, `--` itself. */
  | { readonly kind: "unknown"; readonly raw: string; readonly index: number }
  /** Anything else (a command, a stray argument, a lone `-`). */
  | { readonly kind: "word"; readonly raw: string; readonly index: number };

/** The words of `argv` in order; `raw` is the word as typed, `index` its position in argv. */
export function readArgv(argv: readonly string[], flags: FlagSpec): ArgvWord[] {
  const { tokens } = parseArgs({
    args: [...argv],
    options: flags,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const words: ArgvWord[] = [];
  for (const t of tokens) {
    // parseArgs splits a group of short flags (`-hx`) into tokens of one index: the group is one word.
    if (words.length > 0 && words[words.length - 1].index === t.index) continue;
    const raw = argv[t.index];
    if (t.kind === "positional") {
      words.push({ kind: "word", raw, index: t.index });
    } else if (t.kind === "option-terminator") {
      words.push({ kind: "unknown", raw, index: t.index });
    } else {
      const spec = Object.hasOwn(flags, t.name) ? flags[t.name] : undefined;
      const declaredSpelling =
        t.rawName === `--${t.name}` ||
        (spec?.short !== undefined && t.rawName === `-${spec.short}`);
      const typedAsIs =
        raw === t.rawName || (t.rawName.startsWith("--") && raw.startsWith(`${t.rawName}=`));
      words.push(
        spec && declaredSpelling && typedAsIs
          ? {
              kind: "flag",
              name: t.name,
              ...(t.value !== undefined ? { value: t.value } : {}),
              inline: t.inlineValue === true,
              raw,
              index: t.index,
            }
          : { kind: "unknown", raw, index: t.index },
      );
    }
  }
  return words;
}
