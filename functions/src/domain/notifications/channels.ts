/**
 * The ports of the notification engine: what the domain asks of a push service and of a mail
 * service. Adapters live in `src/infra/` (FCM through firebase-admin messaging, SendGrid through
 * `@sendgrid/mail`, and capturing/recording transports for the emulator and tests); the domain
 * never imports a provider SDK.
 */

/** What a notification is about; decides the preference that governs it and its grouping. */
export type NotificationCategory =
  | 'task_assigned'
  | 'task_unassigned'
  | 'task_status_changed'
  | 'task_completed'
  | 'task_due_soon'
  | 'task_overdue'
  | 'daily_summary'
  | 'weekly_summary'
  | 'broadcast'
  | 'custom'
  | 'workspace_invitation';

/**
 * How a failed delivery is treated:
 * - `transient`: try again later with backoff (FCM unavailable/internal/quota, SendGrid 429/5xx,
 *   network errors);
 * - `unregistered`: the push token is dead (FCM registration-token-not-registered /
 *   invalid-registration-token); the device is removed, no retry;
 * - `permanent`: retrying cannot help (bad request, rejected sender, invalid argument); recorded.
 */
export type FailureKind = 'transient' | 'unregistered' | 'permanent';

/** A provider failure classified for the engine. `code` is the provider's (e.g. `messaging/internal`, `sendgrid/429`). */
export class DeliveryError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

// ---------------------------------------------------------------------------------------------
// Push

/** One push notification, independent of the target. */
export interface PushContent {
  title: string;
  body: string;
  category: NotificationCategory;
  /**
   * Deep-link payload for the app. FCM data values must be strings; the adapter always adds
   * `type` (= category) and passes `taskId`/`projectId` when given.
   */
  data: Record<string, string>;
  taskId?: string | undefined;
  projectId?: string | undefined;
  /**
   * Grouping (notification grouping and categorization): pushes with one key replace
   * each other on Android (collapse key / tag) and are threaded on iOS (thread-id, apns-collapse-id).
   * E.g. `task:{taskId}` or `summary:daily`.
   */
  groupKey: string;
  /** Inbox unread count after this notification, shown as the app badge (iOS). */
  badge?: number | undefined;
}

/** The outcome for one token of a multi-token send. */
export type TokenResult =
  | { token: string; ok: true; messageId: string }
  | { token: string; ok: false; error: DeliveryError };

/** The topic names FCM accepts (`Messenger.sendToTopic`); validated wherever a topic comes in. */
export const FCM_TOPIC_PATTERN = /^[a-zA-Z0-9\-_.~%]{1,900}$/;

export interface Messenger {
  /**
   * Sends `content` to each token (FCM `sendEach`, in chunks of 500) and answers one result per
   * token, in order. Per-token failures are results, not exceptions; it throws (a DeliveryError)
   * only when the whole call failed.
   */
  sendToTokens(tokens: readonly string[], content: PushContent): Promise<TokenResult[]>;
  /** Sends to every device subscribed to `topic`; throws a DeliveryError on failure. */
  sendToTopic(topic: string, content: PushContent): Promise<{ messageId: string }>;
}

// ---------------------------------------------------------------------------------------------
// Email

/** A rendered email (see `email-templates.ts`). */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface EmailMessage extends RenderedEmail {
  to: string;
  toName?: string | undefined;
  /**
   * Extra headers, e.g. `List-Unsubscribe: <https://…/api/unsubscribe?token=…>` and
   * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
   */
  headers: Record<string, string>;
  /** SendGrid category (analytics grouping in SendGrid), e.g. the notification category. */
  category: string;
  /** Echoed back by the SendGrid Event Webhook (e.g. `deliveryId`, `userId`). Strings only. */
  customArgs: Record<string, string>;
}

export interface Mailer {
  /** Sends one email; answers the provider's message id (SendGrid `X-Message-Id`) if any. Throws a DeliveryError on failure. */
  send(message: EmailMessage): Promise<{ messageId: string | null }>;
}

// ---------------------------------------------------------------------------------------------
// What producers (task triggers, sweeps, scheduled jobs, admin sends) hand to the engine

/** Template data of an email, by kind; rendered by `email-templates.ts`. */
export type EmailTemplateData =
  | {
      kind: 'task_event';
      /** One line per change (several when a burst was coalesced). */
      changes: readonly { category: NotificationCategory; text: string; at: Date }[];
      taskTitle: string;
      taskUrl: string;
      projectName?: string | undefined;
      dueDate?: Date | null | undefined;
    }
  | {
      kind: 'task_due';
      category: 'task_due_soon' | 'task_overdue';
      taskTitle: string;
      taskUrl: string;
      dueDate: Date;
      /** Zone for showing the due date in the recipient's local time. */
      timeZone: string;
    }
  | {
      kind: 'summary';
      period: 'daily' | 'weekly';
      /** Local date range label, e.g. "Mon 23 Nov 2026" or "16–22 Nov 2026". */
      periodLabel: string;
      completed: readonly { title: string; url: string }[];
      upcoming: readonly { title: string; url: string; dueDate: Date }[];
      overdue: readonly { title: string; url: string; dueDate: Date }[];
      /** e.g. "You completed 12 tasks, 20% more than last week." */
      insight: string;
      timeZone: string;
      /** What the completed list covers: "Completed yesterday" (default "today" / "this week"). */
      completedWhen?: string | undefined;
      /** Exact totals when the lists hold only their first items (default: the lists' lengths). */
      totals?: { completed: number; upcoming: number; overdue: number } | undefined;
    }
  | { kind: 'message'; heading: string; body: string; actionUrl?: string | undefined }
  | {
      kind: 'invitation';
      /** Who invites (a display name or address); absent when unknown. */
      inviterName?: string | undefined;
      workspaceName: string;
      role: 'owner' | 'admin' | 'member';
      /** The app page where the invitee accepts or declines. */
      acceptUrl: string;
      expiresAt: Date;
      /** Zone for the expiry date (the recipient's, or UTC for an address without an account). */
      timeZone: string;
    };

/**
 * One notification for one recipient. The engine writes the inbox item, decides push and email
 * from the recipient's preferences (at send time), holds push in quiet hours, coalesces bursts
 * with the same `groupKey`, and delivers each channel exactly once per `key`.
 */
export interface NotificationIntent {
  /** Idempotency key, unique per (event, recipient): a redelivered event repeats it. */
  key: string;
  recipientId: string;
  category: NotificationCategory;
  title: string;
  body: string;
  taskId?: string | null | undefined;
  projectId?: string | null | undefined;
  /** Same key → folded in the inbox, collapsed/threaded on the phone, coalesced within the window. */
  groupKey: string;
  /** Extra deep-link data for the app (strings). */
  data?: Record<string, string> | undefined;
  /** Channels the producer wants; preferences can only narrow them. Default: all three. */
  channels?: Partial<Record<'inbox' | 'push' | 'email', boolean>> | undefined;
  /** Email content; without it the email is a plain `message` of title and body. */
  email?: EmailTemplateData | undefined;
  /**
   * When the thing the notification is about last changed before this change (a task's previous
   * write), `null` when it is new; leave it out when unknown. A coalesced category sends at once
   * without looking for a recent message when nothing changed for two windows (nothing can have
   * been sent in the last one).
   */
  previousChangeAt?: Date | null | undefined;
}
