import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_QUERIES } from '../../src/domain/query-catalog';
import { operations } from '../../src/operations/registry';
import { updateGuide } from '../../scripts/flutter-guide';

/** docs/flutter.md stays in step with the code (`npm run docs:flutter` regenerates its lists). */
const REPO = path.join(__dirname, '../../..');
const guide = readFileSync(path.join(REPO, 'docs/flutter.md'), 'utf8');

describe('the Flutter guide (docs/flutter.md)', () => {
  it('its callable reference and query table are up to date (else: npm run docs:flutter)', () => {
    expect(updateGuide(guide, operations, CLIENT_QUERIES)).toBe(guide);
  });

  it('has a section with a Dart call for every operation', () => {
    const missing = operations.filter(
      (op) => !guide.includes(`### ${op.name}\n`) || !guide.includes(`httpsCallable('${op.name}')`),
    );
    expect(missing.map((op) => op.name)).toEqual([]);
  });

  it('is linked from the README', () => {
    expect(readFileSync(path.join(REPO, 'README.md'), 'utf8')).toContain('docs/flutter.md');
  });
});
