/**
 * Port: the sign-in accounts (Firebase Auth), read by the server only. Users cannot list users;
 * the server looks one up by the address a member typed when inviting.
 */
export interface AccountDirectory {
  /** The uid of the account whose email is `email` (compared case-insensitively), or null. */
  uidByEmail(email: string): Promise<string | null>;
}
