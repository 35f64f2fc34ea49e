/**
 * Wall-clock milliseconds per phase of a run (fetch, plan, commit...), for the debug log.
 */
export class PhaseTimer {
  private last = performance.now();
  private readonly phases: Record<string, number> = {};

  mark(name: string): void {
    const now = performance.now();
    this.phases[name] = Math.round(now - this.last);
    this.last = now;
  }

  report(): Record<string, number> {
    return this.phases;
  }
}
