/** The authenticated caller, built from verified token claims plus the role-to-domain mapping. */
export interface CurrentUser {
  dingUserId: string;
  name: string;
  unionId: string;
  roles: string[];
  positions: string[];
  departments: string[];
  /** Business domains the user may act in; never read from the token. */
  domainCodes: string[];
}

/** The identity claims of a verified token, before domains are resolved. */
export type UserClaims = Omit<CurrentUser, "domainCodes">;
