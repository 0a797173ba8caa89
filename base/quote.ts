/**
 * A value as an error message shows it: JSON-quoted, so a newline, a NUL or a trailing space is
 * visible, and with the characters JSON leaves raw but a terminal hides (C1 controls, format
 * characters such as U+200B, odd spaces such as U+00A0, a byte-order mark) escaped as well. The
 * config schema and the chaos CLI's outputs check print every user value through it.
 */
export function quote(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu,
    (c) => {
      const code = c.codePointAt(0)!;
      return code > 0xffff
        ? `\\u{${code.toString(16)}}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    },
  );
}
