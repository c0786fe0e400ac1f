// ESLint for the whole tree (`npm run lint`, which `npm test` runs after the build).
//
// Why typescript-eslint rather than Biome: the rules that matter most here (floating and misused
// promises, awaiting a non-promise) need the type checker: whether `x.close()` returns a promise is
// only known from its declaration, often in another package's .d.ts. typescript-eslint asks
// TypeScript itself (the same tsconfig files `tsc -b` uses); Biome's noFloatingPromises runs on
// Biome's own, partial type inference, which does not see everything tsc sees.
//
// The rule set is small on purpose: promise handling, unused code, `any` leaking in, and the
// correctness half of the recommended sets. Formatting and stylistic rules are left out.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

export default defineConfig(
  {
    // Build output, dependencies and anything generated.
    ignores: ["**/dist/**", "**/dist-test/**", "**/bundle/**", "**/build/**", "**/node_modules/**", "test-results/**", "coverage/**", ".demo/**"],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    extends: [js.configs.recommended, tseslint.configs.eslintRecommended],
    languageOptions: {
      parser: tseslint.parser,
      globals: globals.node,
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it (the packages', test/'s,
        // the web panel's); the .mjs scripts belong to no project and get the base options.
        projectService: {
          allowDefaultProject: ["eslint.config.mjs", "scripts/*.mjs", "examples/*.mjs", "packages/*/build-addon.mjs"],
          // The build, bundle, install, lint, setup, start and test scripts, the example and the
          // addons' install scripts.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
          defaultProject: "tsconfig.base.json",
        },
        tsconfigRootDir: root,
      },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      // Promises: every one is awaited, returned, or handed to something that handles it.
      // node:test's test()/describe() return promises the runner itself tracks.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",

      // Unused code.
      "no-unused-vars": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "no-unused-expressions": "off",
      "@typescript-eslint/no-unused-expressions": "error",
      // An assertion that changes nothing hides the moment it starts to matter.
      "@typescript-eslint/no-unnecessary-type-assertion": "error",

      // From recommended-type-checked: mistakes the type checker can see and the code is clean of.
      "@typescript-eslint/only-throw-error": "error",
      "@typescript-eslint/no-implied-eval": "error",
      "@typescript-eslint/no-array-delete": "error",
      "@typescript-eslint/no-for-in-array": "error",
      "@typescript-eslint/restrict-plus-operands": "error",
      "@typescript-eslint/no-unsafe-unary-minus": "error",
      "@typescript-eslint/no-unsafe-enum-comparison": "error",
      // From recommended (syntax only).
      "@typescript-eslint/ban-ts-comment": "error",
      "@typescript-eslint/no-extra-non-null-assertion": "error",
      "@typescript-eslint/no-non-null-asserted-optional-chain": "error",
      "@typescript-eslint/no-misused-new": "error",
      "@typescript-eslint/prefer-as-const": "error",
      "@typescript-eslint/no-wrapper-object-types": "error",
      "@typescript-eslint/no-unsafe-function-type": "error",

      // Left out of the recommended sets, on purpose:
      // - no-control-regex: the validators match control characters in order to refuse them.
      // - no-regex-spaces, no-useless-escape, prefer-const: style.
      // - no-useless-assignment: reports deliberate defensive initialisation and clearing.
      // - require-await, no-base-to-string, restrict-template-expressions, unbound-method,
      //   prefer-promise-reject-errors: here they report deliberate code (async for a uniform
      //   interface, String(unknown) after the Error case, closures returned as methods, an
      //   AbortSignal's own reason passed on).
      "no-control-regex": "off",
      "no-regex-spaces": "off",
      "no-useless-escape": "off",
      "no-useless-assignment": "off",
      "prefer-const": "off",
    },
  },
  {
    // No `any` written in TypeScript.
    files: ["**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "error" },
  },
  {
    // Nor leaking into the programs (JSON.parse, untyped values). Tests are exempt: they
    // inspect raw wire data on purpose (test/src/harness/raw-client.ts).
    files: ["packages/*/src/**/*.ts", "examples/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "error",
      "@typescript-eslint/no-unsafe-assignment": "error",
      "@typescript-eslint/no-unsafe-call": "error",
      "@typescript-eslint/no-unsafe-member-access": "error",
      "@typescript-eslint/no-unsafe-return": "error",
    },
  },
  {
    // The web panel's browser script: a classic script, checked with its own tsconfig (DOM types).
    files: ["examples/web-panel/public/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
);
