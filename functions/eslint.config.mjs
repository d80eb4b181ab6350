// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['lib/**', 'node_modules/**', 'coverage/**', '.local/**', 'eslint.config.mjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The domain must not know about triggers, Express or SendGrid: ports live in src/domain and
    // src/core, adapters outside them (hexagonal layout, docs/architecture.md).
    files: ['src/domain/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // firebase-admin/firestore is allowed: the domain takes a Firestore instance as a parameter.
          paths: [
            'firebase-admin',
            'firebase-admin/app',
            'firebase-admin/auth',
            'firebase-admin/messaging',
          ].map((name) => ({
            name,
            message: 'domain code takes this as a port from the composition root',
          })),
          patterns: [
            {
              group: ['firebase-functions', 'firebase-functions/*'],
              message: 'domain code knows nothing of triggers: take a port instead',
            },
            {
              group: ['express', '@sendgrid/*'],
              message: 'domain code must not import delivery adapters',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // supertest bodies are `any` by design; assertions check their shape.
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain CommonJS scripts (local stack, embedded emulator, configs): no type information.
    files: ['**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-var-requires': 'off',
    },
  },
);
