/**
 * base/argv.ts: util.parseArgs read leniently, word by word, for the CLIs to judge in order. What
 * the CLIs rely on: a value is the next word whatever it looks like; an unknown or grouped flag and
 * `--` are single "unknown" words carrying what was typed.
 */
import { describe, expect, it } from "vitest";
import { readArgv } from "../../base/argv";

const FLAGS = {
  help: { type: "boolean", short: "h" },
  workers: { type: "string" },
  lab: { type: "boolean" },
} as const;

describe("readArgv", () => {
  it("reads declared flags with their values, next-word or inline, and words in between", () => {
    expect(readArgv(["up", "--workers", "3", "--workers=4", "--lab", "-h"], FLAGS)).toEqual([
      { kind: "word", raw: "up", index: 0 },
      { kind: "flag", name: "workers", value: "3", inline: false, raw: "--workers", index: 1 },
      { kind: "flag", name: "workers", value: "4", inline: true, raw: "--workers=4", index: 3 },
      { kind: "flag", name: "lab", inline: false, raw: "--lab", index: 4 },
      { kind: "flag", name: "help", inline: false, raw: "-h", index: 5 },
    ]);
  });

  it("takes the next word as the value even when it is dash-led, and none at the end", () => {
    expect(readArgv(["--workers", "--lab"], FLAGS)).toEqual([
      { kind: "flag", name: "workers", value: "--lab", inline: false, raw: "--workers", index: 0 },
    ]);
    expect(readArgv(["--workers", "-5"], FLAGS)[0]).toMatchObject({ value: "-5" });
    expect(readArgv(["--workers"], FLAGS)).toEqual([
      { kind: "flag", name: "workers", inline: false, raw: "--workers", index: 0 },
    ]);
  });

  it("an unknown flag, a short group, a long spelling of a short flag and `--` are one unknown word each", () => {
    expect(readArgv(["--bogus=1", "-hx", "--h", "--", "x"], FLAGS)).toEqual([
      { kind: "unknown", raw: "--bogus=1", index: 0 },
      { kind: "unknown", raw: "-hx", index: 1 },
      { kind: "unknown", raw: "--h", index: 2 },
      { kind: "unknown", raw: "--", index: 3 },
      { kind: "word", raw: "x", index: 4 },
    ]);
  });

  it("a boolean flag keeps an inline value for the CLI to refuse or ignore; a lone `-` is a word", () => {
    expect(readArgv(["--lab=yes", "-"], FLAGS)).toEqual([
      { kind: "flag", name: "lab", value: "yes", inline: true, raw: "--lab=yes", index: 0 },
      { kind: "word", raw: "-", index: 1 },
    ]);
  });
});
