import { Timestamp } from 'firebase-admin/firestore';
import type { Deps } from '../../core/operation';
import type { Logger } from '../../core/logger';
import { deliverNotification, notifierDeps } from '../notifications/delivery.service';
import { renderEmail } from '../notifications/email-templates';
import { isSuppressed } from '../notifications/suppressions.service';
import type { InvitationDoc } from './invitation.schema';
import { isAlreadyExists } from '../../storage/already-exists';
import { invitationEmailRef } from '../../storage/refs';

/**
 * Telling an invitee about an invitation: an inbox item (and push) when an account has the
 * address, and one email per invitation round to the address itself, each made exactly once.
 */

/** The inbox item (and push) for an account holder, and the email to the invited address. */
export async function notifyInvitee(
  deps: Deps,
  logger: Logger,
  id: string,
  inv: InvitationDoc,
): Promise<void> {
  const { publicBaseUrl } = deps.notifications;
  const acceptUrl = `${publicBaseUrl}/invitations/${id}`;
  const title = `Invitation to ${inv.workspaceName}`;
  const body = `${inv.inviterName ?? 'A member'} invited you to join as ${inv.role}.`;
  if (inv.inviteeId !== null) {
    await deliverNotification(notifierDeps(deps, logger), {
      key: `invitation:${id}:${String(inv.round)}`,
      recipientId: inv.inviteeId,
      category: 'workspace_invitation',
      title,
      body,
      groupKey: `invitation:${id}`,
      data: { invitationId: id, workspaceId: inv.workspaceId, url: acceptUrl },
      // The email goes to the invited address below, whatever the account's own address is.
      channels: { email: false },
    });
  }
  await emailInvitation(deps, logger, id, inv, acceptUrl);
}

/**
 * One email per invitation round to the invited address: claimed by creating
 * `invitations/{id}/emails/r{round}`, then sent, then the outcome recorded; a failed send is
 * retried by the next invite of the same address.
 */
async function emailInvitation(
  deps: Deps,
  logger: Logger,
  id: string,
  inv: InvitationDoc,
  acceptUrl: string,
): Promise<void> {
  const { db, clock, mailer, notifications } = deps;
  const claim = invitationEmailRef(db, id, inv.round);
  const now = Timestamp.fromDate(clock.now());
  try {
    await claim.create({ status: 'sending', to: inv.email, createdAt: now, updatedAt: now });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const previous = (await claim.get()).data()?.status;
    if (previous !== 'failed') return;
    await claim.update({ status: 'sending', updatedAt: now });
  }
  if ((await isSuppressed(db, inv.email)).suppressed) {
    await claim.update({ status: 'skipped', reason: 'suppressed', updatedAt: now });
    return;
  }
  const rendered = renderEmail(
    {
      kind: 'invitation',
      inviterName: inv.inviterName ?? undefined,
      workspaceName: inv.workspaceName,
      role: inv.role,
      acceptUrl,
      expiresAt: inv.expiresAt.toDate(),
      timeZone: 'UTC',
    },
    {
      // Not a subscription: there is nothing to unsubscribe from but the app itself.
      unsubscribeUrl: notifications.publicBaseUrl,
      preferencesUrl: notifications.publicBaseUrl,
      appUrl: notifications.publicBaseUrl,
      now: clock.now(),
    },
  );
  try {
    const { messageId } = await mailer.send({
      ...rendered,
      to: inv.email,
      headers: {},
      category: 'workspace_invitation',
      customArgs: { invitationId: id },
    });
    await claim.update({ status: 'sent', providerMessageId: messageId, updatedAt: now });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    logger.warn('Invitation email failed; inviting again retries it', {
      invitationId: id,
      message,
    });
    await claim.update({ status: 'failed', lastError: message, updatedAt: now });
  }
}
