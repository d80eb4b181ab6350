import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_QUERIES, SERVER_QUERIES } from '../../src/domain/query-catalog';
import { canHelp, isServed, type CompositeIndex } from '../support/index-coverage';

const file = JSON.parse(
  readFileSync(path.join(__dirname, '../../../firestore.indexes.json'), 'utf8'),
) as {
  indexes: CompositeIndex[];
  fieldOverrides: {
    collectionGroup: string;
    fieldPath: string;
    ttl?: boolean;
    indexes?: unknown[];
  }[];
};
const describeShape = (s: (typeof SERVER_QUERIES)[number]) => JSON.stringify(s);

describe('firestore.indexes.json', () => {
  it.each([...SERVER_QUERIES, ...CLIENT_QUERIES].map((s) => [describeShape(s), s] as const))(
    'serves %s',
    (_name, shape) => {
      expect(isServed(shape, file.indexes)).toBe(true);
    },
  );

  it('declares no index that no query uses', () => {
    const all = [...SERVER_QUERIES, ...CLIENT_QUERIES];
    const unused = file.indexes.filter(
      (ix) => !all.some((s) => !isServed(s, []) && canHelp(ix, s)),
    );
    expect(unused).toEqual([]);
  });

  it('the checker itself: a missing index is caught', () => {
    const shape = {
      collection: 'tasks',
      equals: ['projectId'],
      orderBy: [['dueDate', 'asc']],
    } as const;
    expect(isServed(shape, [])).toBe(false);
    expect(
      isServed(shape, [
        {
          collectionGroup: 'tasks',
          queryScope: 'COLLECTION',
          fields: [
            { fieldPath: 'projectId', order: 'ASCENDING' },
            { fieldPath: 'dueDate', order: 'ASCENDING' },
          ],
        },
      ]),
    ).toBe(true);
    const desc = {
      collection: 'tasks',
      equals: ['projectId'],
      orderBy: [['dueDate', 'desc']],
    } as const;
    expect(isServed(desc, [])).toBe(false);
  });

  it('declares TTL policies for the expiring collections', () => {
    expect(file.fieldOverrides).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          collectionGroup: 'rateLimits',
          fieldPath: 'expireAt',
          ttl: true,
        }),
      ]),
    );
  });

  it('task schedules: the instants the sweeps range over keep their automatic index; the plans are not indexed', () => {
    const exempt = file.fieldOverrides
      .filter((o) => o.collectionGroup === 'taskSchedules' && o.indexes?.length === 0)
      .map((o) => o.fieldPath)
      .sort();
    expect(exempt).toEqual(['overdueNotice', 'reminders']);
    const ranged = SERVER_QUERIES.filter((s) => s.collection === 'taskSchedules').map(
      (s) => s.range,
    );
    expect(ranged.sort()).toEqual(['nextReminderAt', 'overdueCheckAt', 'recurrenceNextAt']);
    expect(ranged.filter((f) => exempt.includes(f ?? ''))).toEqual([]);
  });
});
