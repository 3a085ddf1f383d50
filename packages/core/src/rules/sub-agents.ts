import { HANDOFF_DEPTH_MAX } from './limits';

/**
 * R7: checks the hand-off graph after `agentId`'s sub-agents become `subAgents`. Returns the problem
 * or null. Depth counts agents along the longest chain: A→B→C is 3.
 */
export function handoffProblem(
  graph: ReadonlyMap<string, readonly string[]>,
  agentId: string,
  subAgents: readonly string[],
): 'cycle' | 'too_deep' | null {
  const next = new Map(graph);
  next.set(agentId, [...subAgents]);

  // Longest chain (in agents) starting at each node; a node seen again on the current path is a cycle.
  const down = new Map<string, number>();
  const onPath = new Set<string>();
  let cycle = false;
  const depthFrom = (id: string): number => {
    const known = down.get(id);
    if (known !== undefined) return known;
    if (onPath.has(id)) {
      cycle = true;
      return 0;
    }
    onPath.add(id);
    let deepest = 0;
    for (const child of next.get(id) ?? []) deepest = Math.max(deepest, depthFrom(child));
    onPath.delete(id);
    down.set(id, deepest + 1);
    return deepest + 1;
  };

  // Only chains through the changed agent can have changed: its ancestors and its descendants.
  const parents = new Map<string, string[]>();
  for (const [from, tos] of next) {
    for (const to of tos) parents.set(to, [...(parents.get(to) ?? []), from]);
  }
  const ancestors = new Set<string>();
  const stack = [agentId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const p of parents.get(id) ?? []) {
      if (!ancestors.has(p)) {
        ancestors.add(p);
        stack.push(p);
      }
    }
  }
  for (const id of [agentId, ...ancestors]) {
    if (depthFrom(id) > HANDOFF_DEPTH_MAX) return cycle ? 'cycle' : 'too_deep';
    if (cycle) return 'cycle';
  }
  return cycle ? 'cycle' : null;
}
