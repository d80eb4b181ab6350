import type { BroadcastQueue } from './notifications/broadcast.service';
import type { Mailer, Messenger } from './notifications/channels';
import type { NotificationSettings } from './notifications/settings';
import type { AccountDirectory } from './users/accounts';

/**
 * The domain's ports in the operations' dependencies: merged into `Deps` of core/operation.ts,
 * which cannot name them (core/ never imports domain/). The composition root provides them.
 */
declare module '../core/operation' {
  interface Deps {
    /** Push transport (FCM, or a capturing/recording one locally and in tests). */
    messenger: Messenger;
    /** Email transport (SendGrid, or a capturing one locally and in tests). */
    mailer: Mailer;
    notifications: NotificationSettings;
    /** Sign-in accounts (Firebase Auth): finds an invitee's account by email. */
    accounts: AccountDirectory;
    /**
     * Where broadcast shards go (Cloud Tasks); absent → the inline transport: the process that
     * starts a broadcast runs every shard itself (the local stack, tests).
     */
    broadcastQueue?: BroadcastQueue | undefined;
  }
}
