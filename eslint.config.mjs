// typescript-eslint, flat config. The type-aware rules are the ones that catch bugs: a promise
// nobody awaits (an assertion or a cleanup that silently never runs), a promise where a value is
// expected (`if (asyncFn())`, an async callback handed to something that ignores its result), an
// `await` of something that is not a promise, a thrown non-Error, an object stringified as
// "[object Object]". Unused values are errors too. Layout is Prettier's business (.prettierrc.json).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "bin/",
      "lab-report/",
      ".lab/",
      ".tools/",
      "**/*.js",
      "**/*.cjs",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/only-throw-error": "error",
      "@typescript-eslint/no-base-to-string": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-unused-expressions": "error",
      // `any` marks the edges where untyped data comes in (raw Docker/EC2 JSON, the mock monitor's
      // requests); the checks that matter at those edges are the promise rules above.
      "@typescript-eslint/no-explicit-any": "off",
      // Every finding was `\/` inside a regex character class: legal, harmless, and not a bug.
      "no-useless-escape": "off",
    },
  },
);
