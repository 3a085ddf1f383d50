import { describe, expect, it } from 'vitest';
import { renderedJson } from '../src';

describe('renderedJson', () => {
  const render = (calls: string[]) => (item: { id: string; at: number }) => {
    calls.push(item.id);
    return { id: item.id, at: new Date(item.at).toISOString() };
  };

  it('renders a frozen item once per render function, and gives the same JSON as JSON.stringify', () => {
    const calls: string[] = [];
    const toView = render(calls);
    const item = Object.freeze({ id: 'agent_1', at: 0 });
    expect(renderedJson(item, toView)).toBe('{"id":"agent_1","at":"1970-01-01T00:00:00.000Z"}');
    expect(renderedJson(item, toView)).toBe(JSON.stringify(toView(item)));
    expect(calls).toEqual(['agent_1', 'agent_1']); // the first call, then the direct one above
    const other = render([]);
    expect(renderedJson(item, (i) => ({ only: i.id }))).toBe('{"only":"agent_1"}');
    expect(renderedJson(item, other)).toBe(renderedJson(item, toView));
  });

  it('renders an item that is not frozen every time, so a change to it shows', () => {
    const calls: string[] = [];
    const toView = render(calls);
    const item = { id: 'agent_2', at: 0 };
    expect(renderedJson(item, toView)).toContain('1970-01-01T00:00:00.000Z');
    item.at = 1000;
    expect(renderedJson(item, toView)).toContain('1970-01-01T00:00:01.000Z');
    expect(calls).toEqual(['agent_2', 'agent_2']);
  });
});
