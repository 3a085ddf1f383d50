/**
 * Meta's customer service window (contract §8, "The 24-hour window"): a free-form reply may go out
 * only within 24 hours of the customer's last message. Pure: the caller passes the clock's reading,
 * and checks right before each send, since a queue or a retry can cross the boundary.
 */

export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * True while less than 24 hours have passed since the customer's last message; false at 24 hours
 * exactly and after, and when there is no such message or either time is not a valid date. A last
 * message "in the future" (clocks a little apart) is inside the window.
 */
export function insideWindow(lastCustomerMessageAt: Date | string | number | null | undefined, now: Date | number): boolean {
  if (lastCustomerMessageAt === null || lastCustomerMessageAt === undefined) return false;
  const last = new Date(lastCustomerMessageAt).getTime();
  const at = new Date(now).getTime();
  if (Number.isNaN(last) || Number.isNaN(at)) return false;
  return at - last < SERVICE_WINDOW_MS;
}
