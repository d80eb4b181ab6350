import type { Auth } from 'firebase-admin/auth';
import type { AccountDirectory } from '../../domain/users/accounts';

/** {@link AccountDirectory} over the Admin SDK's Auth (one `getUserByEmail` per lookup). */
export function firebaseAccounts(auth: Auth): AccountDirectory {
  return {
    async uidByEmail(email) {
      try {
        return (await auth.getUserByEmail(email)).uid;
      } catch (e) {
        const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
        if (code === 'auth/user-not-found') return null;
        throw e;
      }
    },
  };
}
