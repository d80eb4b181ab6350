import { FieldPath, Timestamp } from 'firebase-admin/firestore';
import { createTestFirestore } from '../support/firestore';

/**
 * Firestore query semantics the code relies on. They hold on the official emulator; on the
 * embedded server they hold because of our patch (patches/@firestore-emulator+server+0.3.15.patch:
 * unary and nested filters, cross-type ordering, cursors, offset). If an upgrade of the embedded
 * server drops the patch, these fail first.
 */
const fs = createTestFirestore();
const col = () => fs.db.collection('items');

beforeAll(async () => {
  const batch = fs.db.batch();
  const rows: [string, Record<string, unknown>][] = [
    ['a', { n: 1, tag: 'x', at: Timestamp.fromMillis(3000), gone: null, meta: { owner: 'u1' } }],
    ['b', { n: 2, tag: 'y', at: null, gone: Timestamp.fromMillis(1), meta: { owner: 'u2' } }],
    ['c', { n: 2, tag: 'x', at: Timestamp.fromMillis(1000), gone: null, meta: { owner: 'u1' } }],
    ['d', { n: 3, tag: 'x', gone: null }],
    ['e', { n: 2, tag: 'z', at: Timestamp.fromMillis(1000), gone: null }],
  ];
  for (const [id, data] of rows) batch.set(col().doc(id), data);
  await batch.commit();
});
afterAll(() => fs.dispose());

const ids = async (q: FirebaseFirestore.Query) => (await q.get()).docs.map((d) => d.id);

describe('Firestore query semantics (embedded server patched to match)', () => {
  it('supports == null inside composite filters, and nested field paths', async () => {
    expect(
      await ids(
        col().where('gone', '==', null).where('tag', '==', 'x').orderBy(FieldPath.documentId()),
      ),
    ).toEqual(['a', 'c', 'd']);
    expect(
      await ids(col().where('meta.owner', '==', 'u1').orderBy(FieldPath.documentId())),
    ).toEqual(['a', 'c']);
  });

  it('orders across types (null before timestamps) and leaves out documents missing the field', async () => {
    expect(await ids(col().orderBy('at', 'asc').orderBy(FieldPath.documentId(), 'asc'))).toEqual([
      'b',
      'c',
      'e',
      'a',
    ]);
    expect(await ids(col().orderBy('at', 'desc').orderBy(FieldPath.documentId(), 'desc'))).toEqual([
      'a',
      'e',
      'c',
      'b',
    ]);
  });

  it('breaks ties by document id and honours startAfter / startAt / endBefore / offset', async () => {
    const q = col().orderBy('n', 'asc').orderBy(FieldPath.documentId(), 'asc');
    expect(await ids(q)).toEqual(['a', 'b', 'c', 'e', 'd']);
    expect(await ids(q.startAfter(2, 'b'))).toEqual(['c', 'e', 'd']);
    expect(await ids(q.startAt(2, 'c'))).toEqual(['c', 'e', 'd']);
    expect(await ids(q.endBefore(2, 'e'))).toEqual(['a', 'b', 'c']);
    expect(await ids(q.startAfter(1).limit(2))).toEqual(['b', 'c']);
    expect(await ids(q.offset(3))).toEqual(['e', 'd']);
    const desc = col().orderBy('n', 'desc').orderBy(FieldPath.documentId(), 'desc');
    expect(await ids(desc.startAfter(2, 'e'))).toEqual(['c', 'b', 'a']);
  });

  it('pages with a range filter and a null-safe cursor', async () => {
    const q = col()
      .where('at', '>=', Timestamp.fromMillis(1000))
      .orderBy('at', 'asc')
      .orderBy(FieldPath.documentId(), 'asc');
    expect(await ids(q)).toEqual(['c', 'e', 'a']);
    expect(await ids(q.startAfter(Timestamp.fromMillis(1000), 'c'))).toEqual(['e', 'a']);
    const withNull = col().orderBy('at').orderBy(FieldPath.documentId());
    expect(await ids(withNull.startAfter(null, 'b'))).toEqual(['c', 'e', 'a']);
  });

  it('counts with the same filters', async () => {
    const snap = await col().where('gone', '==', null).where('n', '==', 2).count().get();
    expect(snap.data().count).toBe(2);
  });
});
