// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Adapters the domain takes as ports from the composition root. */
const ADAPTER_PATHS = [
  'firebase-admin',
  'firebase-admin/app',
  'firebase-admin/auth',
  'firebase-admin/messaging',
].map((name) => ({
  name,
  message: 'domain code takes this as a port from the composition root',
}));

const DOMAIN_PATTERNS = [
  {
    group: ['firebase-functions', 'firebase-functions/*'],
    message: 'domain code knows nothing of triggers: take a port instead',
  },
  { group: ['express', '@sendgrid/*'], message: 'domain code must not import delivery adapters' },
  {
    // Collection names, isAlreadyExists and the cursor codec have one home: src/storage.
    regex: String.raw`^\.\./(?!(\.\./)*storage/)`,
    importNames: [
      'isAlreadyExists',
      'encodeTimestampCursor',
      'decodeTimestampCursor',
      'USERS',
      'DEVICES',
      'DEVICE_TOKENS',
      'NOTIFICATIONS',
      'WORKSPACES',
      'PROJECTS',
      'INVITATIONS',
      'TASKS',
      'TASK_SEARCH',
      'TASK_ASSIGNMENTS',
      'ACTIVITY',
      'USER_STATS',
      'DELIVERIES',
      'DIGEST_SCHEDULE',
      'DIGESTS',
      'SCHEDULED_JOBS',
    ],
    message: 'import it from src/storage (one home for storage helpers)',
  },
];

const CORE_PATTERNS = [
  {
    group: ['**/domain', '**/domain/**', '**/infra/**', '**/storage/**', '**/http/**'],
    message: 'core/ is below every layer: move what it needs into core/ instead',
  },
];

const PURE_PATTERNS = [
  {
    group: ['firebase-admin', 'firebase-admin/*', '@google-cloud/*'],
    allowTypeImports: true,
    message: 'a pure decision module takes data, never a Firebase or Google Cloud client',
  },
  {
    group: ['**/infra/**', '**/*.service'],
    allowTypeImports: true,
    message: 'a pure decision module does no I/O: no adapters, storage or services',
  },
  {
    // Collection names are plain constants (a query's shape names its collection): allowed.
    regex: String.raw`(^|/)storage(/(?!collections$).*)?$`,
    allowTypeImports: true,
    message: 'a pure decision module does no I/O: no adapters, storage or services',
  },
];

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
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ADAPTER_PATHS, patterns: DOMAIN_PATTERNS }],
    },
  },
  {
    // core/ is the operation pipeline every layer builds on: it never reaches up into domain/.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ADAPTER_PATHS, patterns: [...DOMAIN_PATTERNS, ...CORE_PATTERNS] },
      ],
    },
  },
  {
    // The file name says the role (docs/architecture.md): a domain module without a role suffix is
    // pure — plain functions of its inputs, tested without Firebase. No Firebase SDK, no Google
    // Cloud client, no adapters, storage or services (their types are data and allowed). I/O
    // lives in `*.service.ts`, stored shapes in `*.schema.ts`, indexed query shapes (which name
    // their collections) in `*.query.ts`; `query-catalog.ts` gathers the shapes of every service.
    files: ['src/domain/**/*.ts'],
    ignores: [
      'src/domain/**/*.service.ts',
      'src/domain/**/*.schema.ts',
      'src/domain/**/*.query.ts',
      'src/domain/query-catalog.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: PURE_PATTERNS }],
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
