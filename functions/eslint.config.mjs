// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', 'coverage/**', '.local/**', 'eslint.config.mjs', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain must not know about triggers, Express or SendGrid: ports live in src/domain and
    // src/core, adapters outside them (STYLE.md, hexagonal layout).
    files: ['src/domain/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['firebase-functions', 'firebase-functions/*'], message: 'domain code is Firebase-free: take a port instead' },
            // firebase-admin/firestore is allowed: the domain takes a Firestore instance as a parameter.
            { group: ['firebase-admin', 'firebase-admin/app', 'firebase-admin/auth', 'firebase-admin/messaging'], message: 'domain code takes these as ports from the composition root' },
            { group: ['express', '@sendgrid/*'], message: 'domain code must not import delivery adapters' },
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
    },
  },
);
