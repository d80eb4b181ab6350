import type { LogEntry } from 'firebase-functions/logger';
import { functionsLogger } from '../../src/infra/functions.logger';

describe('functionsLogger', () => {
  it('writes the logging contract fields, inherits child fields, and never writes secrets', () => {
    const lines: LogEntry[] = [];
    const root = functionsLogger({ service: 'taskflow-functions' }, (e) => lines.push(e));
    root
      .child({ requestId: 'r-1', function: 'api', authorization: 'Bearer abc' })
      .info('Notification sent successfully', {
        userId: 'user_123',
        fcmToken: 'tok',
        messageId: 'm1',
      });
    expect(lines).toEqual([
      {
        severity: 'INFO',
        level: 'INFO',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        service: 'taskflow-functions',
        function: 'api',
        requestId: 'r-1',
        authorization: '[redacted]',
        message: 'Notification sent successfully',
        userId: 'user_123',
        fcmToken: '[redacted]',
        messageId: 'm1',
      },
    ]);
  });

  it('maps warn to Cloud Logging WARNING severity', () => {
    const lines: LogEntry[] = [];
    functionsLogger({}, (e) => lines.push(e)).warn('careful');
    expect(lines[0]).toMatchObject({ severity: 'WARNING', level: 'WARN', message: 'careful' });
  });
});
