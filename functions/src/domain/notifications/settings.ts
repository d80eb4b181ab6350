/** Settings of the notification engine; params in production, literal in tests. */
export interface NotificationSettings {
  /** Public origin for links in emails, e.g. `https://taskflow.app` (no trailing slash). */
  publicBaseUrl: string;
  /** Sender of notification emails. */
  emailFrom: { email: string; name: string };
  /** HMAC key of one-click unsubscribe tokens. */
  unsubscribeSigningKey: string;
  /** SendGrid Event Webhook verification key (base64 ECDSA public key); empty rejects every event. */
  sendgridWebhookPublicKey: string;
  /** Push/email about one thing within this window are sent as one; 0 sends at once. */
  coalesceWindowSeconds: number;
  /** Attempts of one push/email before it is recorded as failed. */
  maxDeliveryAttempts: number;
}
