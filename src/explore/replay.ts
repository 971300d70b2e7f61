/**
 * Replay: follows a recorded choice sequence, checking that each recorded
 * choice fits the point the model reached (a schedule choice must be an
 * enabled pid, a data choice must be in range). A misfit is a ChoiceMismatch:
 * the model is not the one the choices were recorded on, or it is not
 * deterministic. Past the recorded choices, either the run is a mismatch too
 * (exact replay) or it continues without preemptions or faults (used when
 * shrinking: an edited prefix followed by a non-preemptive completion).
 */
import type { ChoicePoint, StepRecord, Strategy } from '../sim/index.js';
import { ChoiceMismatch, nonPreemptive } from './common.js';

export interface ReplayOptions {
  /** After the recorded choices: 'strict' = a mismatch, 'complete' = non-preemptive completion. */
  readonly tail?: 'strict' | 'complete';
}

export class Replay implements Strategy {
  readonly choices: readonly number[];
  private readonly tail: 'strict' | 'complete';
  /** How many recorded choices were used. */
  consumed = 0;
  /** A mismatch found at a data point (raised at the end of that step, where raising is safe). */
  private pending: ChoiceMismatch | null = null;
  mismatch: ChoiceMismatch | null = null;

  constructor(choices: readonly number[], opts: ReplayOptions = {}) {
    this.choices = choices;
    this.tail = opts.tail ?? 'strict';
  }

  choose(p: ChoicePoint): number {
    if (this.pending) throw this.fail(this.pending);
    const i = this.consumed;
    if (i >= this.choices.length) {
      if (this.tail === 'complete') return nonPreemptive(p);
      return this.misfit(
        p,
        new ChoiceMismatch(i, `the run needs more choices than the ${this.choices.length} recorded`),
      );
    }
    const v = this.choices[i] as number;
    this.consumed++;
    if (p.kind === 'schedule') {
      if (!p.enabled.includes(v))
        throw this.fail(new ChoiceMismatch(i, `recorded pid ${v} is not enabled (enabled: ${p.enabled.join(',')})`));
      return v;
    }
    if (!Number.isInteger(v) || v < 0 || v >= p.options)
      return this.misfit(
        p,
        new ChoiceMismatch(i, `recorded value ${v} is out of range for ${p.options} options (${p.label})`),
      );
    return v;
  }

  stepped(_s: StepRecord): void {
    if (this.pending) throw this.fail(this.pending);
  }

  /** Whether the run used exactly the recorded choices. */
  exact(): boolean {
    return this.mismatch === null && this.consumed === this.choices.length;
  }

  private misfit(p: ChoicePoint, m: ChoiceMismatch): number {
    // Raising inside task code (a data point) would turn into an Oops of the model: defer it.
    if (p.kind === 'data') {
      this.pending = m;
      return 0;
    }
    throw this.fail(m);
  }

  private fail(m: ChoiceMismatch): ChoiceMismatch {
    this.mismatch = m;
    this.pending = null;
    return m;
  }
}
