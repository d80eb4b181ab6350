import { FieldPath, Timestamp } from 'firebase-admin/firestore';
import { createTestFirestore } from '../support/firestore';

/**
 * Firestore query semantics the code relies on. They hold on the official emulator; on the
 * embedded server they hold because of our patch (patches/@firestore-emulator+server+0.3.15.patch:
 * unary and nested filters, cross-type ordering, cursors, offset, a limited page taken without
 * sorting the whole collection). If an upgrade of the embedded server drops the patch, these fail
 * first.
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

  it('answers a limited page of a larger collection as the same slice of the whole ordering', async () => {
    // Inserted out of order, with ids holding characters that sort below and above the path
    // separator '/' ('-' and '.' below it: 'a' < 'a-b' < 'a.b' < 'a0').
    const names = ['m', 'a0', 'B', 'a.b', 'z', 'a', '_', 'ab', 'a-b', 'k1', 'k10', 'k2', 'c', 'b'];
    const pages = () => fs.db.collection('pages');
    const batch = fs.db.batch();
    names.forEach((id, i) => batch.set(pages().doc(id), { n: i % 3 }));
    await batch.commit();
    const byId = [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const asc = pages().orderBy(FieldPath.documentId());
    expect(await ids(asc)).toEqual(byId);
    expect(await ids(asc.limit(4))).toEqual(byId.slice(0, 4));
    expect(await ids(asc.startAfter('a').limit(3))).toEqual(['a-b', 'a.b', 'a0']);
    expect(await ids(asc.offset(5).limit(3))).toEqual(byId.slice(5, 8));
    const desc = pages().orderBy(FieldPath.documentId(), 'desc');
    expect(await ids(desc.limit(3))).toEqual([...byId].reverse().slice(0, 3));
    const byN = pages().orderBy('n', 'desc').orderBy(FieldPath.documentId());
    const all = await ids(byN);
    expect(all).toHaveLength(names.length);
    for (let start = 0; start < all.length; start += 4)
      expect(await ids(byN.offset(start).limit(4))).toEqual(all.slice(start, start + 4));
  });

  it('counts with the same filters', async () => {
    const snap = await col().where('gone', '==', null).where('n', '==', 2).count().get();
    expect(snap.data().count).toBe(2);
  });
});
