import { better, Problem } from "./problem";

/** The best distinct solutions seen, kept in problem slots [first, first + capacity). */
export class Elite {
  size: i32 = 0;
  /** members entered so far; enteredAt[i]: the count when member i entered (which pairs path relinking walked already) */
  entries: i32 = 0;
  readonly enteredAt: StaticArray<i32>;

  constructor(public pb: Problem, public first: i32, public capacity: i32) {
    this.enteredAt = new StaticArray<i32>(capacity);
  }

  /**
   * Offers the current solution (saved to scratch slot first); it enters if the set has room or it
   * beats the worst member, and is no copy of a member. Returns whether it entered.
   */
  offer(scratch: i32): bool {
    const pb = this.pb;
    const v = pb.infeasibility();
    const c = pb.cost();
    let worst = -1;
    for (let i = 0; i < this.size; i++) {
      const s = this.first + i;
      if (worst < 0 || better(pb.slotInfeasibility(worst), pb.slotCost(worst), pb.slotInfeasibility(s), pb.slotCost(s))) worst = s;
    }
    if (this.size == this.capacity && !better(v, c, pb.slotInfeasibility(worst), pb.slotCost(worst))) return false;
    pb.saveSlot(scratch);
    for (let i = 0; i < this.size; i++) if (pb.distance(scratch, this.first + i) == 0) return false;
    const target = this.size < this.capacity ? this.first + this.size++ : worst;
    pb.saveSlot(target);
    this.enteredAt[target - this.first] = ++this.entries;
    return true;
  }

  /** Slot of the best member (-1 when empty). */
  best(): i32 {
    const pb = this.pb;
    let b = -1;
    for (let i = 0; i < this.size; i++) {
      const s = this.first + i;
      if (b < 0 || better(pb.slotInfeasibility(s), pb.slotCost(s), pb.slotInfeasibility(b), pb.slotCost(b))) b = s;
    }
    return b;
  }
}
