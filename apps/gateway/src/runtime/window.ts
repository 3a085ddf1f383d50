import { insideServiceWindow, SERVICE_WINDOW_MS } from '@gateway/core';

/**
 * Meta's customer service window (contract §8, "The 24-hour window"): the core's rule
 * (`insideServiceWindow`, which the turn checks right before each send), taking dates as well.
 */

export { SERVICE_WINDOW_MS };

/**
 * True while less than 24 hours have passed since the customer's last message; false at 24 hours
 * exactly and after, and when there is no such message or either time is not a valid date. A last
 * message "in the future" (clocks a little apart) is inside the window.
 */
export function insideWindow(lastCustomerMessageAt: Date | string | number | null | undefined, now: Date | number): boolean {
  if (lastCustomerMessageAt === null || lastCustomerMessageAt === undefined) return false;
  return insideServiceWindow(new Date(lastCustomerMessageAt).getTime(), new Date(now).getTime());
}
