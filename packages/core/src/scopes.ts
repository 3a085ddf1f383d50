export const SCOPES = [
  'agents:read',
  'agents:write',
  'agents:delete',
  'phone_numbers:read',
  'phone_numbers:write',
  'phone_numbers:delete',
  'conversations:read',
  'org:read',
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
