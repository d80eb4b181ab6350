import { Firestore, GeoPoint, Timestamp } from 'firebase-admin/firestore';
import { toJsonValue } from '../../src/domain/users/export.service';

describe('toJsonValue (stored Firestore values in the GDPR export)', () => {
  const db = new Firestore({ projectId: 'demo-unit' });
  afterAll(() => db.terminate());

  it('turns timestamps into ISO-8601 UTC strings, at any depth', () => {
    const ts = Timestamp.fromDate(new Date('2026-03-29T01:30:00.250+02:00'));
    expect(
      toJsonValue({ at: ts, nested: { list: [ts, { deep: ts }] }, when: new Date(0) }),
    ).toEqual({
      at: '2026-03-28T23:30:00.250Z',
      nested: { list: ['2026-03-28T23:30:00.250Z', { deep: '2026-03-28T23:30:00.250Z' }] },
      when: '1970-01-01T00:00:00.000Z',
    });
  });

  it('writes references as paths, bytes as base64 and geo points as coordinates', () => {
    expect(
      toJsonValue({
        ref: db.doc('projects/p1'),
        bytes: Buffer.from('hi!'),
        raw: new Uint8Array([0, 255]),
        place: new GeoPoint(52.52, 13.405),
      }),
    ).toEqual({
      ref: 'projects/p1',
      bytes: 'aGkh',
      raw: 'AP8=',
      place: { latitude: 52.52, longitude: 13.405 },
    });
  });

  it('keeps JSON values and makes the rest representable', () => {
    expect(
      toJsonValue({
        s: 'x',
        n: 1.5,
        b: false,
        nul: null,
        missing: undefined,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        big: 12345678901234567890n,
      }),
    ).toEqual({
      s: 'x',
      n: 1.5,
      b: false,
      nul: null,
      missing: null,
      nan: 'NaN',
      inf: 'Infinity',
      big: '12345678901234567890',
    });
  });
});
