/** Kahn's order over a component graph, ready components taken by natural name order (c2 before c10); cycles leave components out. */
export function topologicalOrder(names: string[], edges: { from: string; to: string }[]): string[] {
  const natural = new Intl.Collator('en', { numeric: true }).compare;
  const indeg = new Map(names.map((n) => [n, 0]));
  for (const e of edges) indeg.set(e.to, indeg.get(e.to)! + 1);
  const ready = names.filter((n) => indeg.get(n) === 0);
  const order: string[] = [];
  while (ready.length) {
    ready.sort(natural);
    const n = ready.shift()!;
    order.push(n);
    for (const e of edges) {
      if (e.from !== n) continue;
      const d = indeg.get(e.to)! - 1;
      indeg.set(e.to, d);
      if (d === 0) ready.push(e.to);
    }
  }
  return order;
}
