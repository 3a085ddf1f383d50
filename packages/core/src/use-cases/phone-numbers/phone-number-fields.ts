import type { Issue } from '../../errors';
import { ACCESS_TOKEN_MAX, ACCESS_TOKEN_MIN, ACCESS_TOKEN_PATTERN, DISPLAY_NAME_MAX } from '../../rules/limits';

export function accessTokenIssue(token: string): Issue | null {
  if (token.length < ACCESS_TOKEN_MIN || token.length > ACCESS_TOKEN_MAX || !ACCESS_TOKEN_PATTERN.test(token)) {
    return {
      field: 'access_token',
      rule: 'invalid',
      message: `access_token must be ${ACCESS_TOKEN_MIN}-${ACCESS_TOKEN_MAX} characters without spaces`,
    };
  }
  return null;
}

export function displayNameIssue(name: string | null): Issue | null {
  if (name !== null && (name.trim().length < 1 || name.length > DISPLAY_NAME_MAX)) {
    return { field: 'display_name', rule: 'length', message: `display_name must be 1-${DISPLAY_NAME_MAX} characters` };
  }
  return null;
}
