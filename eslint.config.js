// ESLint for the field web app's JavaScript (sync/static/field/; `make lint-js`, run by `make test`).
// ES modules in a browser page or its service worker; third-party code under vendor/ is not ours.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: ["sync/static/field/vendor/**", "node_modules/**"],
  },
  js.configs.recommended,
  {
    files: ["sync/static/field/**/*.js", "sync/static/field/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, ...globals.serviceworker },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
